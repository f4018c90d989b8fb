/**
 * The activities the workflows call, bound to their dependencies once by the worker. Workflows import only the type
 * of `createActivities`; everything here may do I/O.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CommitInput, CommitResult } from './commit';
import { commitWindow } from './commit';
import type { BatchHeartbeat, ExportBatchInput, ExportBatchResult, ExportDeps } from './export-batch';
import { exportBatch } from './export-batch';
import type { ListPage, ListWindow } from './list-sessions';
import { listSessionsPage } from './list-sessions';
import type { VerifyInput, VerifyReport } from './verify';
import { verifyLake } from './verify';
import { NON_RETRYABLE_ERROR_TYPES } from '../workflows/failures';

export interface ActivityDeps extends ExportDeps {
  database: string;
  decodeConcurrency: number;
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** The sessions a previous attempt of this batch finished, from its last heartbeat. */
function resumeDone(batchIndex: number): string[] {
  try {
    const details = Context.current().info.heartbeatDetails as Partial<BatchHeartbeat> | undefined;
    return details?.batchIndex === batchIndex && Array.isArray(details.done)
      ? details.done.filter((d) => typeof d === 'string')
      : [];
  } catch {
    return [];
  }
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Outside an activity (direct calls in tests) there is nothing to heartbeat to.
  }
}

/** Keeps bad-config failures from burning retries: they surface at once with their message. */
async function classify<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && NON_RETRYABLE_ERROR_TYPES.includes(err.name)) {
      throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true, cause: err });
    }
    throw err;
  }
}

export function createActivities(deps: ActivityDeps) {
  return {
    async listSessions(input: {
      window: ListWindow;
      after: { teamId: number; sessionId: string } | null;
      limit: number;
    }): Promise<ListPage> {
      return classify(async () =>
        listSessionsPage(deps.clickhouse, input.window, input.after, input.limit, {
          withLegacy: await deps.withLegacy(),
          signal: cancellationSignal(),
        }),
      );
    },

    async exportBatch(input: ExportBatchInput): Promise<ExportBatchResult> {
      return classify(() =>
        exportBatch(
          deps,
          input,
          { heartbeat, signal: cancellationSignal(), resumeDone: resumeDone(input.batchIndex) },
          deps.decodeConcurrency,
        ),
      );
    },

    async commitWindow(input: CommitInput): Promise<CommitResult> {
      return classify(() => commitWindow(deps.lake, input));
    },

    async verifyLake(input: VerifyInput): Promise<VerifyReport> {
      return classify(() => verifyLake(deps, input, { heartbeat, signal: cancellationSignal() }));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

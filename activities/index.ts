/**
 * The activities the workflows call, bound to their dependencies once by the worker. Workflows import only the type
 * of `createActivities`. Each activity heartbeats on a timer while it works (a listing query or a commit can take a
 * while, and a worker that dies must be noticed within the heartbeat timeout), and ends with a classified failure:
 * fatal ones (configuration) fail the run at once, the rest are retried.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { BatchRunner } from './batch-pool';
import type { CommitInput, CommitResult } from './commit';
import type { PrivacySettings } from './privacy';
import { commitWindow } from './commit';
import type { ExportBatchInput, ExportBatchResult } from './export-batch';
import { SessionOutOfMemoryError } from './export-batch';
import { describeFailure, isCancellation } from './failures';
import type { LakeStore } from './lake-store';
import type { ListCursor, ListPage, ListWindow } from './listing';
import { listSessionsPage } from './listing';
import type { SourceSchema } from './source-schema';
import type { VerifyInput, VerifyReport } from './verify';
import { verifyLake } from './verify';
import { emit } from './telemetry';

export interface ActivityDeps {
  clickhouse: ClickHouseClient;
  lake: LakeStore;
  schema(): Promise<SourceSchema>;
  batches: BatchRunner;
  commit: { configDigest: string; orphanGraceMs: number; keepVersions: number; privacy: PrivacySettings };
}

/** Heartbeats are cheap to call (the SDK throttles them to 0.8 × the timeout); this keeps them flowing. */
const HEARTBEAT_EVERY_MS = 2_000;

function context(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Outside an activity (direct calls in tests) there is nothing to heartbeat to.
    return undefined;
  }
}

/**
 * Runs `fn` with a heartbeat on a timer (carrying the latest details `fn` reported) and turns whatever it throws
 * into an ApplicationFailure whose type and retryability come from failures.ts.
 */
async function activity<T>(fn: (report: (details: unknown) => void, signal?: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = context();
  let details: unknown = null;
  const timer = ctx ? setInterval(() => ctx.heartbeat(details), HEARTBEAT_EVERY_MS) : undefined;
  try {
    ctx?.heartbeat(details);
    return await fn((d) => (details = d), ctx?.cancellationSignal);
  } catch (err) {
    if (isCancellation(err) || err instanceof ApplicationFailure) throw err;
    const f = describeFailure(err);
    throw ApplicationFailure.create({ type: f.type, message: f.message, nonRetryable: f.fatal, cause: err as Error });
  } finally {
    if (timer) clearInterval(timer);
  }
}

function outOfMemoryFrom(details: unknown): string[] {
  const list = (details as { outOfMemory?: unknown } | null | undefined)?.outOfMemory;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

export function createActivities(deps: ActivityDeps) {
  return {
    async listSessions(input: { window: ListWindow; after: ListCursor | null; limit: number }): Promise<ListPage> {
      return activity(async (_report, signal) => {
        const page = await listSessionsPage(
          deps.clickhouse,
          await deps.schema(),
          input.window,
          input.after,
          input.limit,
          signal,
        );
        emit('listing_page', {
          sessions: page.sessions.length,
          skipped: page.skipped.reduce((n, s) => n + s.deleted + s.unsettled, 0),
          rows_read: page.rowsRead,
          more: page.next !== null,
        });
        return page;
      });
    },

    async exportBatch(input: ExportBatchInput): Promise<ExportBatchResult> {
      // Heartbeat details outlive an attempt: a session a thread ran out of memory in is named there, so the next
      // attempt marks it failed instead of dying on it again.
      const outOfMemory = outOfMemoryFrom(context()?.info.heartbeatDetails);
      return activity(async (report, signal) => {
        report({ outOfMemory });
        try {
          return await deps.batches.run(input, {
            signal,
            progress: (p) => report({ ...p, outOfMemory }),
            outOfMemory,
          });
        } catch (err) {
          if (err instanceof SessionOutOfMemoryError) {
            report({ outOfMemory: [...outOfMemory, err.sessionId] });
            context()?.heartbeat({ outOfMemory: [...outOfMemory, err.sessionId] });
          }
          throw err;
        }
      });
    },

    async commitWindow(input: CommitInput): Promise<CommitResult> {
      return activity((report) =>
        commitWindow(deps.lake, input, {
          ...deps.commit,
          progress: (done, total) => report({ partitionsDone: done, partitions: total }),
        }),
      );
    },

    async verifyLake(input: VerifyInput): Promise<VerifyReport> {
      return activity((report, signal) => verifyLake(deps, input, { heartbeat: report, signal }));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

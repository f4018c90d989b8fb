/**
 * exportWindow: list a window's sessions page by page, export them in batches with at most `parallelism` in flight,
 * then commit every (day, team) partition. Activities carry keys and counts, never recording data; a very large window
 * continues as new before its history grows past a few thousand events.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from './failures';
import { exportWindowId, windowProblem } from './window';

export interface ExportWindowInput {
  teams: number[];
  startMs: number;
  endMs: number;
  settleHours: number;
  batchSize: number;
  parallelism: number;
  /** Fixed on the first run so that continue-as-new and retries list against the same cut-off. */
  settledBeforeMs?: number;
  /** Carried across continue-as-new. */
  resume?: { after: { teamId: number; sessionId: string } | null; batches: number; totals: ExportTotals };
}

export interface ExportTotals {
  sessions: number;
  events: number;
  errors: number;
  deleted: number;
  unsettled: number;
}

export interface ExportWindowResult extends ExportTotals {
  windowId: string;
  batches: number;
  partitions: number;
  files: number;
  staleDeleted: number;
}

export interface ExportProgress extends ExportTotals {
  windowId: string;
  phase: 'listing' | 'exporting' | 'committing' | 'done';
  batchesStarted: number;
  batchesDone: number;
  listingDone: boolean;
}

export const exportProgressQuery = defineQuery<ExportProgress>('progress');

/** Retries are unlimited for transient faults (PostHog's batch exports do the same); bad input fails at once. */
const retry = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

const { listSessions, commitWindow } = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', retry });
const { exportBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '3 minutes',
  retry,
});

const LIST_PAGE = 1000;
/** Each batch costs about three history events; continue as new well before Temporal's 10k warning. */
const BATCHES_PER_RUN = 1500;

export async function exportWindow(input: ExportWindowInput): Promise<ExportWindowResult> {
  const problem = windowProblem(input.startMs, input.endMs, input.teams);
  if (problem) throw ApplicationFailure.create({ type: 'BadWindowError', message: problem, nonRetryable: true });
  const windowId = exportWindowId(input.startMs, input.endMs, input.teams);
  const settledBeforeMs = input.settledBeforeMs ?? Date.now() - input.settleHours * 3_600_000;
  const window = { windowId, teams: input.teams, startMs: input.startMs, endMs: input.endMs, settledBeforeMs };

  const totals: ExportTotals = input.resume?.totals ?? { sessions: 0, events: 0, errors: 0, deleted: 0, unsettled: 0 };
  let after = input.resume?.after ?? null;
  let batches = input.resume?.batches ?? 0;
  const firstBatch = batches;
  const progress: ExportProgress = {
    ...totals,
    windowId,
    phase: 'listing',
    batchesStarted: batches,
    batchesDone: batches,
    listingDone: false,
  };
  setHandler(exportProgressQuery, () => ({ ...progress, ...totals }));

  let inFlight = 0;
  let failure: Error | undefined;
  const running: Array<Promise<void>> = [];
  const startBatch = (sessions: Awaited<ReturnType<typeof listSessions>>['sessions']) => {
    const batchIndex = batches++;
    inFlight++;
    progress.batchesStarted = batches;
    progress.phase = 'exporting';
    running.push(
      exportBatch({ window, batchIndex, sessions }).then(
        (r) => {
          totals.sessions += r.sessions;
          totals.events += r.events;
          totals.errors += r.errors;
          progress.batchesDone++;
          inFlight--;
        },
        (err: unknown) => {
          failure ??= err instanceof Error ? err : new Error(String(err));
          inFlight--;
        },
      ),
    );
  };

  let listingDone = false;
  while (!listingDone) {
    const page = await listSessions({
      window: { teams: input.teams, startMs: input.startMs, endMs: input.endMs, settledBeforeMs },
      after,
      limit: LIST_PAGE,
    });
    totals.deleted += page.deleted;
    totals.unsettled += page.unsettled;
    for (let i = 0; i < page.sessions.length; i += input.batchSize) {
      await condition(() => inFlight < input.parallelism || failure !== undefined);
      if (failure !== undefined) break;
      startBatch(page.sessions.slice(i, i + input.batchSize));
    }
    after = page.next;
    listingDone = after === null || failure !== undefined;
    if (!listingDone && (batches - firstBatch >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await Promise.all(running);
      if (failure !== undefined) break;
      await continueAsNew<typeof exportWindow>({ ...input, settledBeforeMs, resume: { after, batches, totals } });
    }
  }
  progress.listingDone = true;
  await Promise.all(running);
  if (failure !== undefined) throw failure;

  progress.phase = 'committing';
  const info = workflowInfo();
  const commit = await commitWindow({
    window,
    batches,
    skipped: { deleted: totals.deleted, unsettled: totals.unsettled },
    run: { workflowId: info.workflowId, runId: info.runId },
  });
  progress.phase = 'done';
  return {
    ...totals,
    windowId,
    batches,
    partitions: commit.partitions,
    files: commit.files,
    staleDeleted: commit.staleDeleted,
  };
}

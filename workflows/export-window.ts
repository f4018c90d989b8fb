/**
 * exportWindow: list a window's sessions page by page, export them in batches with at most `parallelism` in flight,
 * then commit every (day, team) partition. Activities carry keys and counts, never recording data; a very large window
 * continues as new before its history grows past a few thousand events.
 *
 * Batches never straddle a partition and are cut by count and by PostHog's byte size, so one huge session gets a
 * batch of its own. Every activity heartbeats: a worker that dies is noticed within `heartbeatSeconds`, and its batch
 * resumes elsewhere from the checkpoint it left in staging.
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
import type { ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExportBatchResult } from '../activities/export-batch';
import type { ListCursor, PartitionSkips, SessionRef } from '../activities/listing';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/failures';
import { addExportCounters, emptyExportCounters } from '../common/totals';
import type { ExportCounters } from '../common/totals';
import { exportWindowId, utcDay, windowProblem } from '../common/windows';

export interface ExportWindowInput {
  teams: number[];
  startMs: number;
  endMs: number;
  settleHours: number;
  /** Sessions per batch at most. */
  batchSize: number;
  /** PostHog's uncompressed bytes per batch at most (a session larger than this is a batch on its own). */
  batchBytes: number;
  parallelism: number;
  /** How soon a silent (dead) worker's activity is handed to another worker. */
  heartbeatSeconds: number;
  /** Fixed on the first run so that continue-as-new and retries list against the same cut-off. */
  settledBeforeMs?: number;
  /** Carried across continue-as-new. */
  resume?: { after: ListCursor | null; batches: number; totals: ExportTotals; skipped: PartitionSkips[] };
}

/**
 * Everything a window's export takes besides its days and teams: what the configuration decides (worker/config.ts
 * exportOptions) and what a backfill or nightly run hands each day's export.
 */
export type ExportOptions = Omit<ExportWindowInput, 'teams' | 'startMs' | 'endMs' | 'settledBeforeMs' | 'resume'>;

export interface ExportTotals extends ExportCounters {
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

/**
 * Retries are unlimited for transient faults (PostHog's batch exports do the same), with backoff capped so that a
 * store that comes back is used again within half a minute; configuration errors fail at once.
 */
export const ACTIVITY_RETRY: ActivityOptions['retry'] = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

const LIST_PAGE = 1000;
/** Each batch costs about three history events; continue as new well before Temporal's 10k warning. */
const BATCHES_PER_RUN = 1500;

function emptyTotals(): ExportTotals {
  return { ...emptyExportCounters(), deleted: 0, unsettled: 0 };
}

/** Cuts a listing page into batches: one partition each, at most `size` sessions and about `bytes` bytes. */
export function cutBatches(sessions: readonly SessionRef[], size: number, bytes: number): SessionRef[][] {
  const out: SessionRef[][] = [];
  let current: SessionRef[] = [];
  let currentBytes = 0;
  let partition = '';
  for (const s of sessions) {
    const p = `${utcDay(s.startMs)}/${s.teamId}`;
    if (current.length > 0 && (p !== partition || current.length >= size || currentBytes + s.bytes > bytes)) {
      out.push(current);
      current = [];
      currentBytes = 0;
    }
    partition = p;
    current.push(s);
    currentBytes += s.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function addSkips(into: PartitionSkips[], page: readonly PartitionSkips[]): void {
  for (const s of page) {
    const known = into.find((x) => x.dt === s.dt && x.teamId === s.teamId);
    if (known) {
      known.deleted += s.deleted;
      known.unsettled += s.unsettled;
    } else into.push({ ...s });
  }
}

export async function exportWindow(input: ExportWindowInput): Promise<ExportWindowResult> {
  const problem = windowProblem(input.startMs, input.endMs, input.teams);
  if (problem) throw ApplicationFailure.create({ type: 'BadWindowError', message: problem, nonRetryable: true });
  const heartbeatTimeout = `${input.heartbeatSeconds} seconds`;
  const { listSessions, commitWindow } = proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: ACTIVITY_RETRY,
  });
  const { exportBatch } = proxyActivities<Activities>({
    startToCloseTimeout: '24 hours',
    heartbeatTimeout,
    retry: ACTIVITY_RETRY,
  });

  const windowId = exportWindowId(input.startMs, input.endMs, input.teams);
  const settledBeforeMs = input.settledBeforeMs ?? Date.now() - input.settleHours * 3_600_000;
  const window = { windowId, teams: input.teams, startMs: input.startMs, endMs: input.endMs, settledBeforeMs };
  const info = workflowInfo();
  const run = { workflowId: info.workflowId, chainId: info.firstExecutionRunId };

  const totals: ExportTotals = input.resume?.totals ?? emptyTotals();
  const skipped: PartitionSkips[] = input.resume?.skipped ?? [];
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
  let failure: unknown;
  const done = (r: ExportBatchResult) => {
    const t = r.totals;
    addExportCounters(totals, t);
    progress.batchesDone++;
  };
  const startBatch = (sessions: SessionRef[]) => {
    const batchIndex = batches++;
    inFlight++;
    progress.batchesStarted = batches;
    progress.phase = 'exporting';
    void exportBatch({ window, batchIndex, sessions, run })
      .then(done, (err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        inFlight--;
      });
  };
  const failed = () => failure !== undefined;

  let listingDone = false;
  while (!listingDone) {
    const page = await listSessions({
      window: { teams: input.teams, startMs: input.startMs, endMs: input.endMs, settledBeforeMs },
      after,
      limit: LIST_PAGE,
    });
    addSkips(skipped, page.skipped);
    for (const s of page.skipped) {
      totals.deleted += s.deleted;
      totals.unsettled += s.unsettled;
    }
    for (const batch of cutBatches(page.sessions, input.batchSize, input.batchBytes)) {
      await condition(() => inFlight < input.parallelism || failed());
      if (failed()) throw failure;
      startBatch(batch);
    }
    after = page.next;
    listingDone = after === null;
    if (!listingDone && (batches - firstBatch >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await condition(() => inFlight === 0);
      if (failed()) throw failure;
      await continueAsNew<typeof exportWindow>({
        ...input,
        settledBeforeMs,
        resume: { after, batches, totals, skipped },
      });
    }
  }
  progress.listingDone = true;
  await condition(() => inFlight === 0 || failed());
  // A failed batch ends the run at once; the others see the cancellation at their next heartbeat.
  if (failed()) throw failure;

  progress.phase = 'committing';
  const commit = await commitWindow({
    window,
    batches,
    skipped,
    run: { ...run, runId: info.runId },
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

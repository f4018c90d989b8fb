/**
 * backfill: a date range → one child exportWindow per UTC day, at most `concurrency` at once, continuing as new every
 * few hundred days so that years of history fit. A repeated backfill attaches to its running self by id; a day that
 * an `export` or the nightly schedule is exporting at the same moment runs alongside it, and whichever commits last
 * replaces the partitions whole.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  defineQuery,
  executeChild,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExportOptions, ExportWindowInput, ExportWindowResult } from './export-window';
import { exportWindow } from './export-window';
import { backfillDayWorkflowId } from './ids';
import { DAY_MS, utcDay, windowProblem } from '../common/windows';

export interface BackfillInput {
  teams: number[];
  startMs: number;
  endMs: number;
  concurrency: number;
  /** Everything a day's export takes besides its window. */
  export: ExportOptions;
  /** Carried across continue-as-new. */
  resume?: { nextDayMs: number; done: BackfillProgress['done']; failed: BackfillProgress['failed'] };
}

export interface BackfillProgress {
  daysTotal: number;
  daysDone: number;
  running: string[];
  done: { days: number; sessions: number; sessionsFailed: number; events: number; errors: number };
  failed: Array<{ day: string; message: string }>;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

const DAYS_PER_RUN = 200;

export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const problem = windowProblem(input.startMs, input.endMs, input.teams);
  if (problem) throw ApplicationFailure.create({ type: 'BadWindowError', message: problem, nonRetryable: true });
  const progress: BackfillProgress = {
    daysTotal: Math.round((input.endMs - input.startMs) / DAY_MS),
    daysDone: 0,
    running: [],
    done: input.resume?.done ?? { days: 0, sessions: 0, sessionsFailed: 0, events: 0, errors: 0 },
    failed: input.resume?.failed ?? [],
  };
  progress.daysDone = progress.done.days + progress.failed.length;
  setHandler(backfillProgressQuery, () => progress);
  const backfillId = workflowInfo().workflowId;

  let day = input.resume?.nextDayMs ?? input.startMs;
  const firstDay = day;
  while (day < input.endMs) {
    if (day - firstDay >= DAYS_PER_RUN * DAY_MS) {
      await condition(() => progress.running.length === 0);
      await continueAsNew<typeof backfill>({
        ...input,
        resume: { nextDayMs: day, done: progress.done, failed: progress.failed },
      });
    }
    await condition(() => progress.running.length < input.concurrency);
    const startMs = day;
    const label = utcDay(startMs);
    const childInput: ExportWindowInput = { ...input.export, teams: input.teams, startMs, endMs: startMs + DAY_MS };
    progress.running.push(label);
    void executeChild(exportWindow, {
      workflowId: backfillDayWorkflowId(backfillId, label),
      args: [childInput],
      // Cancelling the backfill cancels the days it is running; finished days stay committed.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    })
      .then(
        (r: ExportWindowResult) => {
          progress.done.days++;
          progress.done.sessions += r.sessions;
          progress.done.sessionsFailed += r.sessionsFailed;
          progress.done.events += r.events;
          progress.done.errors += r.errors;
        },
        (err: unknown) => {
          progress.failed.push({ day: label, message: failureMessage(err) });
        },
      )
      .finally(() => {
        progress.running = progress.running.filter((d) => d !== label);
        progress.daysDone++;
      });
    day += DAY_MS;
  }
  await condition(() => progress.running.length === 0);
  if (progress.failed.length > 0) {
    throw ApplicationFailure.create({
      type: 'BackfillDaysFailed',
      message: `${progress.failed.length} of ${progress.daysTotal} days failed: ${progress.failed.map((f) => `${f.day}: ${f.message}`).join('; ')}`,
      nonRetryable: true,
      details: [progress],
    });
  }
  return progress;
}

/** The innermost message of a failure chain: what actually went wrong, not "Child Workflow execution failed". */
function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * backfill: a date range → one child exportWindow per UTC day, at most `concurrency` at once, continuing as new every
 * few hundred days so that years of history fit. Child ids are the days' export ids, so a day exported by hand or by
 * the nightly schedule is the same workflow, and a repeated backfill attaches to its running self by id.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  defineQuery,
  executeChild,
  setHandler,
} from '@temporalio/workflow';
import type { ExportWindowInput, ExportWindowResult } from './export-window';
import { exportWindow } from './export-window';
import { DAY_MS, exportWindowId, utcDay, windowProblem } from './window';

export interface BackfillInput {
  teams: number[];
  startMs: number;
  endMs: number;
  concurrency: number;
  settleHours: number;
  batchSize: number;
  parallelism: number;
  /** Carried across continue-as-new. */
  resume?: { nextDayMs: number; done: BackfillProgress['done']; failed: BackfillProgress['failed'] };
}

export interface BackfillProgress {
  daysTotal: number;
  daysDone: number;
  running: string[];
  done: { days: number; sessions: number; events: number; errors: number };
  failed: Array<{ day: string; message: string }>;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

const DAYS_PER_RUN = 200;

export function exportWorkflowId(windowId: string): string {
  return `replaylake/export/${windowId}`;
}

export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const problem = windowProblem(input.startMs, input.endMs, input.teams);
  if (problem) throw ApplicationFailure.create({ type: 'BadWindowError', message: problem, nonRetryable: true });
  const progress: BackfillProgress = {
    daysTotal: Math.round((input.endMs - input.startMs) / DAY_MS),
    daysDone: 0,
    running: [],
    done: input.resume?.done ?? { days: 0, sessions: 0, events: 0, errors: 0 },
    failed: input.resume?.failed ?? [],
  };
  progress.daysDone = progress.done.days + progress.failed.length;
  setHandler(backfillProgressQuery, () => progress);

  let day = input.resume?.nextDayMs ?? input.startMs;
  const firstDay = day;
  const running: Array<Promise<void>> = [];
  while (day < input.endMs) {
    if (day - firstDay >= DAYS_PER_RUN * DAY_MS) {
      await Promise.all(running);
      await continueAsNew<typeof backfill>({
        ...input,
        resume: { nextDayMs: day, done: progress.done, failed: progress.failed },
      });
    }
    await condition(() => progress.running.length < input.concurrency);
    const startMs = day;
    const label = utcDay(startMs);
    const childInput: ExportWindowInput = {
      teams: input.teams,
      startMs,
      endMs: startMs + DAY_MS,
      settleHours: input.settleHours,
      batchSize: input.batchSize,
      parallelism: input.parallelism,
    };
    progress.running.push(label);
    running.push(
      executeChild(exportWindow, {
        workflowId: exportWorkflowId(exportWindowId(startMs, startMs + DAY_MS, input.teams)),
        args: [childInput],
        // Cancelling the backfill cancels the days it is running; finished days stay committed.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      })
        .then(
          (r: ExportWindowResult) => {
            progress.done.days++;
            progress.done.sessions += r.sessions;
            progress.done.events += r.events;
            progress.done.errors += r.errors;
          },
          (err: unknown) => {
            progress.failed.push({ day: label, message: err instanceof Error ? err.message : String(err) });
          },
        )
        .finally(() => {
          progress.running = progress.running.filter((d) => d !== label);
          progress.daysDone++;
        }),
    );
    day += DAY_MS;
  }
  await Promise.all(running);
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

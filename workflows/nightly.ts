/**
 * nightlyExport: the action of the nightly Temporal Schedule. Its window comes from the time the run was scheduled
 * for (TemporalScheduledStartTime), never the wall clock, so a late or caught-up run exports the day it was meant to.
 * The day exported is the last whole UTC day that ended at least `settleHours` before that time, so the sessions in
 * it have stopped growing.
 */
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { ExportWindowResult } from './export-window';
import { exportWindow } from './export-window';
import { exportWorkflowId } from './backfill';
import { DAY_MS, exportWindowId } from './window';

export interface NightlyInput {
  teams: number[];
  settleHours: number;
  batchSize: number;
  parallelism: number;
  /** For runs started by hand (the demo, a re-run): the time to act as if scheduled at. */
  scheduledMs?: number;
}

export function nightlyWindowStart(scheduledMs: number, settleHours: number): number {
  return Math.floor((scheduledMs - settleHours * 3_600_000) / DAY_MS) * DAY_MS - DAY_MS;
}

export async function nightlyExport(input: NightlyInput): Promise<ExportWindowResult> {
  const attrs = workflowInfo().searchAttributes as Record<string, unknown[] | undefined>;
  const scheduled = attrs['TemporalScheduledStartTime']?.[0];
  // Started by hand without scheduledMs: the start time stands in for the scheduled time.
  const scheduledMs =
    input.scheduledMs ??
    (scheduled instanceof Date
      ? scheduled.getTime()
      : typeof scheduled === 'string'
        ? Date.parse(scheduled)
        : workflowInfo().startTime.getTime());
  const startMs = nightlyWindowStart(scheduledMs, input.settleHours);
  const endMs = startMs + DAY_MS;
  return executeChild(exportWindow, {
    workflowId: exportWorkflowId(exportWindowId(startMs, endMs, input.teams)),
    args: [
      {
        teams: input.teams,
        startMs,
        endMs,
        settleHours: input.settleHours,
        batchSize: input.batchSize,
        parallelism: input.parallelism,
      },
    ],
  });
}

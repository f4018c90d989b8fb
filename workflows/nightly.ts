/**
 * nightlyExport: the action of the nightly Temporal Schedule. Its window comes from the time the run was scheduled
 * for (TemporalScheduledStartTime), never the wall clock, so a late or caught-up run exports the day it was meant to.
 * The day exported is the last whole UTC day that ended at least `settleHours` before that time, so the sessions in
 * it have stopped growing.
 */
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { ExportOptions, ExportWindowResult } from './export-window';
import { exportWindow } from './export-window';
import { nightlyExportWorkflowId } from './ids';
import { DAY_MS } from '../common/windows';

export interface NightlyInput {
  teams: number[];
  export: ExportOptions;
  /** For runs started by hand (the demo, a re-run): the time to act as if scheduled at. */
  scheduledMs?: number;
}

export function nightlyWindowStart(scheduledMs: number, settleHours: number): number {
  return Math.floor((scheduledMs - settleHours * 3_600_000) / DAY_MS) * DAY_MS - DAY_MS;
}

export async function nightlyExport(input: NightlyInput): Promise<ExportWindowResult> {
  const info = workflowInfo();
  const attrs = info.searchAttributes as Record<string, unknown[] | undefined>;
  const scheduled = attrs['TemporalScheduledStartTime']?.[0];
  // Started by hand without scheduledMs: the start time stands in for the scheduled time.
  const scheduledMs =
    input.scheduledMs ??
    (scheduled instanceof Date
      ? scheduled.getTime()
      : typeof scheduled === 'string'
        ? Date.parse(scheduled)
        : info.startTime.getTime());
  const startMs = nightlyWindowStart(scheduledMs, input.export.settleHours);
  return executeChild(exportWindow, {
    workflowId: nightlyExportWorkflowId(info.workflowId),
    args: [{ ...input.export, teams: input.teams, startMs, endMs: startMs + DAY_MS }],
  });
}

/**
 * Every workflow and schedule id replaylake uses, in one place. Ids are deterministic: starting an id that is
 * running attaches to it, so the same export started twice runs once.
 */
import { exportWindowId } from '../common/windows';

export function exportWorkflowId(startMs: number, endMs: number, teams: readonly number[]): string {
  return `replaylake/export/${exportWindowId(startMs, endMs, teams)}`;
}

export function backfillWorkflowId(startMs: number, endMs: number, teams: readonly number[]): string {
  return `replaylake/backfill/${exportWindowId(startMs, endMs, teams)}`;
}

/**
 * A backfill's day is its own workflow, not the day's `export` id: a child cannot attach to a running workflow, and
 * an export of the same day running beside it is harmless (each commit replaces the partition whole).
 */
export function backfillDayWorkflowId(backfillId: string, day: string): string {
  return `${backfillId}/day/${day}`;
}

export function verifyWorkflowId(startMs: number, endMs: number, teams: readonly number[]): string {
  return `replaylake/verify/${exportWindowId(startMs, endMs, teams)}`;
}

function teamList(teams: readonly number[]): string {
  return [...teams].sort((a, b) => a - b).join('-');
}

export function scheduleId(teams: readonly number[]): string {
  return `replaylake-nightly-teams-${teamList(teams)}`;
}

/** The id the schedule gives its runs; Temporal appends each run's scheduled time. */
export function nightlyWorkflowId(teams: readonly number[]): string {
  return `replaylake/nightly/teams-${teamList(teams)}`;
}

/** The export a nightly run starts: one per run, so a late run never collides with a manual export of its day. */
export function nightlyExportWorkflowId(nightlyId: string): string {
  return `${nightlyId}/export`;
}

/** `npm run demo`'s runs of the sample day: its own ids, so a demo never attaches to a user's export or verify. */
export function demoWorkflowId(kind: 'nightly' | 'verify', day: string): string {
  return `replaylake/demo/${kind}-${day}`;
}

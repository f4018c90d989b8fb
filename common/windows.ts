/**
 * Pure date arithmetic that workflows, activities and the CLI share: export windows are whole UTC days, named
 * deterministically so that workflow ids and lake keys repeat exactly when a window is exported again. Imports
 * nothing, so the workflow sandbox may load it.
 */
export const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The deterministic name of an export window: its days and teams, e.g. `2026-10-31_teams-1-2`. */
export function exportWindowId(startMs: number, endMs: number, teams: readonly number[]): string {
  const days = endMs - startMs === DAY_MS ? utcDay(startMs) : `${utcDay(startMs)}..${utcDay(endMs - 1)}`;
  return `${days}_teams-${[...teams].sort((a, b) => a - b).join('-')}`;
}

/** Why a window is unusable, or undefined when it is fine. Windows must be whole, non-empty UTC days. */
export function windowProblem(startMs: number, endMs: number, teams: readonly number[]): string | undefined {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return 'window start and end must be dates';
  if (startMs % DAY_MS !== 0 || endMs % DAY_MS !== 0) return 'window must start and end at 00:00 UTC (whole days)';
  if (endMs <= startMs) return `window end ${utcDay(endMs)} must be after its start ${utcDay(startMs)}`;
  if (teams.length === 0) return 'at least one team is required';
  if (teams.some((t) => !Number.isSafeInteger(t) || t < 0))
    return `team ids must be non-negative integers, got ${teams.join(', ')}`;
  return undefined;
}

/** Command-line dates: whole UTC days, validated with messages that say what to type instead. */
import { DAY_MS, dayStart } from '../common/windows';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseDay(flag: string, value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new UsageError(`${flag} must be a UTC date as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  const ms = dayStart(value);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    throw new UsageError(`${flag} ${value} is not a calendar date`);
  return ms;
}

/** `--from` inclusive, `--to` exclusive (default: the day after `--from`). */
export function parseRange(from: string, to: string | undefined): { startMs: number; endMs: number } {
  const startMs = parseDay('--from', from);
  const endMs = to === undefined ? startMs + DAY_MS : parseDay('--to', to);
  if (endMs <= startMs) throw new UsageError(`--to ${to} must be after --from ${from} (--to is exclusive)`);
  return { startMs, endMs };
}

/** Team ids are PostHog project ids: decimal digits only (Number() would read '', '0x10' and '1e3' as numbers). */
export function parseTeams(values: readonly string[]): number[] {
  if (values.length === 0) throw new UsageError('give at least one --team <id>');
  return [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((v) => {
          const text = v.trim();
          const n = Number(text);
          if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(n))
            throw new UsageError(
              `--team must be a PostHog team (project) id in decimal digits, got ${JSON.stringify(v)}`,
            );
          return n;
        }),
    ),
  ].sort((a, b) => a - b);
}

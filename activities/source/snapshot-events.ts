/**
 * What every reader does to raw snapshot lines before anyone uses them, as PostHog's player does
 * (frontend/src/scenes/session-recordings/player/snapshot-processing): accept both line shapes, decode posthog-js's
 * `cv: "2024-10"` compression, drop events whose JSON without `delay` repeats, and order by timestamp.
 */
import { gunzipSync } from 'node:zlib';

export interface RrwebEvent {
  type: number;
  timestamp: number;
  data?: unknown;
  delay?: number;
  cv?: string;
  [key: string]: unknown;
}

export interface SnapshotEvent {
  windowId: string;
  event: RrwebEvent;
}

export class BadSnapshotLineError extends Error {
  override readonly name = 'BadSnapshotLineError';
}

function isEvent(value: unknown): value is RrwebEvent {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['type'] === 'number' && typeof v['timestamp'] === 'number' && Number.isFinite(v['timestamp']);
}

/** One decoded line → events. Blob v2 lines are `[windowId, event]`; v1 and realtime lines `{window_id, data: [...]}`. */
export function parseSnapshotLine(line: string): SnapshotEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new BadSnapshotLineError(`snapshot line is not JSON (${(err as Error).message}): ${line.slice(0, 120)}`);
  }
  if (Array.isArray(value) && value.length === 2) {
    const [windowId, event] = value as [unknown, unknown];
    if (!isEvent(event)) throw new BadSnapshotLineError(`snapshot line holds no rrweb event: ${line.slice(0, 120)}`);
    return [{ windowId: typeof windowId === 'string' ? windowId : '', event }];
  }
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const windowId = v['window_id'] ?? v['windowId'];
    const data: unknown = v['data'];
    if (Array.isArray(data)) {
      const bad: unknown = data.find((e) => !isEvent(e));
      if (bad !== undefined)
        throw new BadSnapshotLineError(`snapshot line holds a non-rrweb event: ${JSON.stringify(bad).slice(0, 120)}`);
      return (data as RrwebEvent[]).map((event) => ({ windowId: typeof windowId === 'string' ? windowId : '', event }));
    }
  }
  throw new BadSnapshotLineError(`snapshot line has an unknown shape: ${line.slice(0, 120)}`);
}

/** Splits a decompressed buffer into lines without copying the whole thing into one string twice. */
export function* jsonLines(buf: Buffer): Generator<string> {
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    if (end > start) yield buf.toString('utf8', start, end);
    start = end + 1;
  }
}

export class CvDecodeError extends Error {
  override readonly name = 'CvDecodeError';
}

function inflate(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return JSON.parse(gunzipSync(Buffer.from(value, 'latin1')).toString('utf8'));
}

/**
 * Which fields of a `cv: "2024-10"` event posthog-js compressed (decompress.ts in PostHog's player): the whole `data`
 * of a FullSnapshot, some fields of Mutation and StyleSheetRule data, none otherwise.
 */
export function compressedFields(event: RrwebEvent): readonly string[] | 'data' {
  if (event.type === 2) return 'data';
  if (event.type !== 3 || event.data === null || typeof event.data !== 'object') return [];
  const source = (event.data as Record<string, unknown>)['source'];
  if (source === 0) return ['texts', 'attributes', 'removes', 'adds'];
  if (source === 8) return ['adds', 'removes'];
  return [];
}

/** Returns the event with its compressed fields decoded and `cv` removed; events without `cv` pass through. */
export function decodeCv(event: RrwebEvent): RrwebEvent {
  if (event.cv === undefined) return event;
  if (event.cv !== '2024-10') throw new CvDecodeError(`unknown compression version cv=${JSON.stringify(event.cv)}`);
  const fields = compressedFields(event);
  const { cv: _cv, ...rest } = event;
  try {
    if (fields === 'data') return { ...rest, data: inflate(event.data) };
    if (fields.length === 0) return rest;
    const data = { ...(event.data as Record<string, unknown>) };
    for (const f of fields) if (f in data) data[f] = inflate(data[f]);
    return { ...rest, data };
  } catch (err) {
    throw new CvDecodeError(`cannot decode cv-compressed event at ${event.timestamp}: ${(err as Error).message}`);
  }
}

/** The dedupe key: the event's JSON without `delay`, keyed by window like the player's per-window streams. */
function dedupeKey(e: SnapshotEvent): string {
  const { delay: _delay, ...rest } = e.event;
  return `${e.windowId}\u0000${JSON.stringify(rest)}`;
}

/** Dedupes (first occurrence wins) and sorts by timestamp; ties keep arrival order. Decoding happens before, so duplicates that differ only in encoding still collapse. */
export function dedupeAndSort(events: Iterable<SnapshotEvent>): { events: SnapshotEvent[]; duplicates: number } {
  const seen = new Set<string>();
  const out: SnapshotEvent[] = [];
  let duplicates = 0;
  for (const e of events) {
    const key = dedupeKey(e);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    out.push(e);
  }
  // Array.prototype.sort is stable, so equal timestamps keep their arrival order.
  out.sort((a, b) => a.event.timestamp - b.event.timestamp);
  return { events: out, duplicates };
}

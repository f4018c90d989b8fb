/**
 * The shapes of PostHog's snapshot lines and of the rrweb events inside them, as PostHog's player reads them
 * (frontend/src/scenes/session-recordings/player/snapshot-processing/snapshot-parsing-utils.ts): blob v2 lines are
 * `[windowId, event]`, blob v1 and realtime lines `{window_id, data: [events]}`.
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

export class BadSnapshotLineError extends Error {
  override readonly name = 'BadSnapshotLineError';
}

export class CvDecodeError extends Error {
  override readonly name = 'CvDecodeError';
}

/**
 * An rrweb event as far as the export needs it: an object with a numeric type and a timestamp that is a safe epoch
 * millisecond count (a timestamp beyond 2^53 could not be stored or ordered faithfully).
 */
export function isEvent(value: unknown): value is RrwebEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const ts = v['timestamp'];
  return typeof v['type'] === 'number' && typeof ts === 'number' && Number.isSafeInteger(Math.floor(ts));
}

export interface ParsedLine {
  windowId: string;
  events: RrwebEvent[];
  /** True for `[windowId, event]`: the line's own text is the event's raw-blob line. */
  v2: boolean;
}

/** One decoded line → its events. */
export function parseSnapshotLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new BadSnapshotLineError(`snapshot line is not JSON (${(err as Error).message}): ${line.slice(0, 120)}`);
  }
  if (Array.isArray(value) && value.length === 2) {
    const [windowId, event] = value as [unknown, unknown];
    if (!isEvent(event)) throw new BadSnapshotLineError(`snapshot line holds no rrweb event: ${line.slice(0, 120)}`);
    return {
      windowId: typeof windowId === 'string' ? windowId : '',
      events: [event],
      v2: typeof windowId === 'string',
    };
  }
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const windowId = v['window_id'] ?? v['windowId'];
    const data: unknown = v['data'];
    if (Array.isArray(data)) {
      const bad: unknown = data.find((e) => !isEvent(e));
      if (bad !== undefined)
        throw new BadSnapshotLineError(`snapshot line holds a non-rrweb event: ${JSON.stringify(bad).slice(0, 120)}`);
      return { windowId: typeof windowId === 'string' ? windowId : '', events: data as RrwebEvent[], v2: false };
    }
  }
  throw new BadSnapshotLineError(`snapshot line has an unknown shape: ${line.slice(0, 120)}`);
}

/** The one posthog-js compression version (`cv`) there is; another is kept as recorded, as PostHog's player does. */
const CV_2024_10 = '2024-10';

/** Whether the event carries posthog-js compression this exporter knows how to undo. */
export function isCompressed(event: RrwebEvent): boolean {
  return event.cv === CV_2024_10;
}

/**
 * The event without its `cv`, each compressed field replaced by `f(value)`. PostHog's player passes an empty or
 * non-string "compressed" value through as it is, so `f` sees only non-empty strings, in field order.
 */
export function mapCompressedFields(event: RrwebEvent, f: (value: string) => unknown): RrwebEvent {
  const { cv: _cv, ...rest } = event;
  const map = (value: unknown): unknown => (typeof value !== 'string' || value === '' ? value : f(value));
  const fields = compressedFields(event);
  if (fields === 'data') return { ...rest, data: map(event.data) };
  if (fields.length === 0) return rest;
  // compressedFields names fields only of an object `data`.
  const data = { ...(event.data as Record<string, unknown>) };
  for (const name of fields) if (name in data) data[name] = map(data[name]);
  return { ...rest, data };
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

/**
 * One compressed field of a `cv: "2024-10"` event, inflated: posthog-js gzips JSON.stringify output and keeps the
 * bytes as a latin1 string. The result is JSON text (an object, an array or a string); anything else is a
 * CvDecodeError naming the event's time.
 */
export function inflateCvPayload(value: string, timestamp: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = gunzipSync(Buffer.from(value, 'latin1'));
  } catch (err) {
    throw new CvDecodeError(`cannot decode cv-compressed event at ${timestamp}: ${(err as Error).message}`);
  }
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  const first = bytes[i];
  // `{`, `[` or `"`: posthog-js compresses JSON.stringify output, always an object, an array or a string.
  if (first !== 0x7b && first !== 0x5b && first !== 0x22)
    throw new CvDecodeError(`cannot decode cv-compressed event at ${timestamp}: decompressed payload is not JSON`);
  return bytes;
}

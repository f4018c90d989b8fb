/**
 * Everything CPU-heavy about one session, in one synchronous function that runs on a worker thread: decompress what
 * was fetched, parse, dedupe and order the events, write the raw rrweb blob (cv fields decoded) and derive the table
 * rows. Compressed payloads are decoded once, for the blob, and spliced into its lines as text: the big DOM payloads
 * are never parsed into objects, since no column needs them.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Row } from './normalize';
import { normalizeSession } from './normalize';
import type { NormalizedEvent } from './normalize';
import { compressRawBlob } from './parquet-writer';
import { decodeMaterials } from './source/decode';
import type { SourceError } from './source/errors';
import { toSourceError } from './source/errors';
import type { Materials } from './source/materials';
import type { RrwebEvent, SnapshotEvent } from './source/snapshot-events';
import { CvDecodeError, compressedFields, dedupeAndSort } from './source/snapshot-events';

export interface ProcessTask {
  teamId: number;
  sessionId: string;
  materials: Materials;
}

export type DerivedTable = 'events' | 'clicks' | 'pageviews' | 'console_logs' | 'network_requests' | 'custom_events';

export interface ProcessResult {
  rows: Record<DerivedTable, Row[]>;
  rawBlob: Uint8Array;
  rawSha256: string;
  /** Decoded JSONL bytes of the raw blob. */
  rrwebBytes: number;
  eventCount: number;
  windowCount: number;
  duplicates: number;
  /** Event time range, epoch ms; 0 when the session has no readable event. */
  startMs: number;
  endMs: number;
  bytesDecoded: number;
  errors: SourceError[];
}

function inflateText(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const text = gunzipSync(Buffer.from(value, 'latin1')).toString('utf8');
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') throw new CvDecodeError('decompressed payload is not JSON');
  return text;
}

/**
 * `[windowId, event]` with cv fields replaced by their decompressed JSON text and `cv` dropped. A placeholder string
 * stands in for each payload during stringify and is swapped for the text afterwards.
 */
export function rawBlobLine(windowId: string, event: RrwebEvent): string {
  if (event.cv === undefined) return JSON.stringify([windowId, event]);
  const fields = compressedFields(event);
  if (event.cv !== '2024-10') throw new CvDecodeError(`unknown compression version cv=${JSON.stringify(event.cv)}`);
  const { cv: _cv, ...rest } = event;
  const texts: string[] = [];
  const mark = (value: unknown) => {
    texts.push(inflateText(value));
    return `\u0000cv${texts.length - 1}\u0000`;
  };
  let out: RrwebEvent;
  if (fields === 'data') out = { ...rest, data: mark(event.data) };
  else {
    const data = { ...(event.data as Record<string, unknown>) };
    for (const f of fields) if (typeof data[f] === 'string') data[f] = mark(data[f]);
    out = { ...rest, data };
  }
  return JSON.stringify([windowId, out]).replace(
    /"\\u0000cv(\d+)\\u0000"/g,
    (_m, i: string) => texts[Number(i)] ?? 'null',
  );
}

export async function processSession(task: ProcessTask): Promise<ProcessResult> {
  const decoded = decodeMaterials(task.materials);
  const errors = [...decoded.errors];
  const { events, duplicates } = dedupeAndSort(decoded.events);
  const lines: string[] = [];
  const normalized: NormalizedEvent[] = [];
  const kept: SnapshotEvent[] = [];
  for (const e of events) {
    let line: string;
    try {
      line = rawBlobLine(e.windowId, e.event);
    } catch (err) {
      // The event is lost from the blob, but recorded; the rest of the session still exports.
      errors.push(toSourceError(`session ${task.sessionId} event at ${e.event.timestamp}`, err));
      continue;
    }
    lines.push(line);
    kept.push(e);
    normalized.push({ windowId: e.windowId, event: e.event, bytes: Buffer.byteLength(line) + 1 });
  }
  const rows = normalizeSession({ sessionId: task.sessionId, teamId: task.teamId }, normalized);
  const jsonl = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
  const rawBlob = await compressRawBlob(jsonl);
  return {
    rows: {
      events: rows.events,
      clicks: rows.clicks,
      pageviews: rows.pageviews,
      console_logs: rows.console_logs,
      network_requests: rows.network_requests,
      custom_events: rows.custom_events,
    },
    rawBlob,
    rawSha256: createHash('sha256').update(rawBlob).digest('hex'),
    rrwebBytes: jsonl.length,
    eventCount: kept.length,
    windowCount: rows.windowCount,
    duplicates,
    startMs: rows.startMs,
    endMs: rows.endMs,
    bytesDecoded: decoded.bytesDecoded,
    errors,
  };
}

/**
 * The decode stage: one fetched segment → its events in timestamp order. Decompresses (raw snappy for blob v2, gzip
 * for v1, gzip-base64 UTF-16 chunks for legacy), splits lines, parses each line once, and sorts the segment's events
 * stably (PostHog writes a block in arrival order, grouped by message, not by time). A v2 line is kept as bytes next
 * to its event: it already is the event's raw-blob line.
 *
 * Synchronous and CPU-bound: it runs on a batch thread. Bad data never throws here; it comes back as errors.
 */
import { gunzipSync } from 'node:zlib';
import { uncompressSync } from 'snappy';
import type { Fetched } from './fetch';
import { CorruptBlockError, toSourceError } from './source/errors';
import type { SourceError } from './source/errors';
import { isEvent, parseSnapshotLine } from './source/snapshot-events';
import type { RrwebEvent } from './source/snapshot-events';

export interface DecodedEvent {
  windowId: string;
  event: RrwebEvent;
  /** The line `[windowId, event]` as stored, when the source wrote it in that form. */
  line: Buffer | null;
}

export interface DecodedSegment {
  events: DecodedEvent[];
  errors: SourceError[];
  /** Decompressed bytes. */
  bytes: number;
  /** Bytes read from the store for the segment. */
  fetchedBytes: number;
  /** False when nothing could be read from the segment (its error says why). */
  readable: boolean;
}

export class IncompleteChunksError extends Error {
  override readonly name = 'IncompleteChunksError';
}

export class EventTooLargeError extends Error {
  override readonly name = 'EventTooLargeError';
}

function tooLarge(what: string, bytes: number, maxLineBytes: number): EventTooLargeError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return new EventTooLargeError(
    `${what} is ${mb(bytes)} MB, more than the ${mb(maxLineBytes)} MB a batch thread parses at once; raise worker.threadHeapMB (a tenth of it) to export it`,
  );
}

const NEWLINE = 0x0a;

export function decodeSegment(fetched: Fetched, maxLineBytes: number): DecodedSegment {
  const out: DecodedSegment = { events: [], errors: [], bytes: 0, fetchedBytes: fetched.bytes, readable: true };
  const { segment } = fetched;
  if (fetched.error) {
    out.errors.push(fetched.error);
    out.readable = false;
    return out;
  }
  if (fetched.legacyRows) decodeLegacy(segment.location, fetched.legacyRows, out, maxLineBytes);
  else if (fetched.data) {
    let raw: Buffer;
    try {
      raw = segment.generation === 'blob_v2' ? (uncompressSync(fetched.data) as Buffer) : gunzipSync(fetched.data);
    } catch (err) {
      out.errors.push(
        toSourceError(
          segment.location,
          new CorruptBlockError(
            segment.generation === 'blob_v2'
              ? `not a raw-snappy block (${(err as Error).message}); the byte range may be wrong or the object damaged`
              : `not a gzip file (${(err as Error).message})`,
          ),
        ),
      );
      out.readable = false;
      return out;
    }
    out.bytes = raw.length;
    parseLines(segment.location, raw, out, maxLineBytes);
  }
  // Array.prototype.sort is stable: equal timestamps keep their order in the segment.
  out.events.sort((a, b) => a.event.timestamp - b.event.timestamp);
  return out;
}

/** One decompressed JSONL buffer; a bad line is recorded and skipped, the rest still counts. */
function parseLines(location: string, raw: Buffer, out: DecodedSegment, maxLineBytes: number): void {
  let lineNo = 0;
  for (let start = 0; start < raw.length;) {
    let end = raw.indexOf(NEWLINE, start);
    if (end === -1) end = raw.length;
    lineNo++;
    if (end - start > maxLineBytes)
      out.errors.push(toSourceError(`${location}#line=${lineNo}`, tooLarge('the line', end - start, maxLineBytes)));
    else if (end > start) {
      try {
        const parsed = parseSnapshotLine(raw.toString('utf8', start, end));
        if (parsed.v2)
          out.events.push({ windowId: parsed.windowId, event: parsed.events[0]!, line: raw.subarray(start, end) });
        else for (const event of parsed.events) out.events.push({ windowId: parsed.windowId, event, line: null });
      } catch (err) {
        out.errors.push(toSourceError(`${location}#line=${lineNo}`, err));
      }
    }
    start = end + 1;
  }
}

/** JSON text from UTF-16 as Python's .encode('utf-16') writes it: a BOM, then either byte order. */
function decodeUtf16(buf: Buffer): string {
  if (buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return buf.toString('utf16le', buf[0] === 0xff && buf[1] === 0xfe ? 2 : 0);
}

interface Chunk {
  chunk_id: string;
  chunk_index: number;
  chunk_count: number;
  data: string;
}

/**
 * A legacy group: either one unchunked row holding a raw rrweb event, or the rows of one chunk id, whose base64
 * pieces join (by chunk_index) into gzip'd UTF-16 JSON of an array of events.
 */
function decodeLegacy(
  location: string,
  rows: Fetched['legacyRows'] & object,
  out: DecodedSegment,
  maxLineBytes: number,
): void {
  const parts: Chunk[] = [];
  let windowId = '';
  for (const row of rows) {
    try {
      if (row.snapshotData.length > maxLineBytes) throw tooLarge('the row', row.snapshotData.length, maxLineBytes);
      const value = JSON.parse(row.snapshotData) as Record<string, unknown>;
      if (value['compression'] === 'gzip-base64') {
        parts.push(value as unknown as Chunk);
        windowId = row.windowId;
      } else if (isEvent(value)) {
        // The oldest rows hold one raw rrweb event each.
        out.events.push({ windowId: row.windowId, event: value, line: null });
        out.bytes += row.snapshotData.length;
      } else {
        throw new Error('snapshot_data is neither an rrweb event nor a gzip-base64 chunk');
      }
    } catch (err) {
      out.errors.push(toSourceError(row.location, err));
    }
  }
  if (parts.length === 0) {
    out.readable = out.events.length > 0 || out.errors.length === 0;
    return;
  }
  try {
    const count = parts[0]?.chunk_count ?? 0;
    const byIndex = new Map(parts.map((p) => [p.chunk_index, p.data]));
    if (byIndex.size !== count)
      throw new IncompleteChunksError(`holds ${byIndex.size} of ${count} chunks; the recording part is incomplete`);
    const b64 = Array.from({ length: count }, (_, i) => byIndex.get(i) ?? '').join('');
    const raw = gunzipSync(Buffer.from(b64, 'base64'));
    out.bytes += raw.length;
    // UTF-16: the text is half the bytes.
    if (raw.length / 2 > maxLineBytes) throw tooLarge('the chunk group', raw.length / 2, maxLineBytes);
    const events = JSON.parse(decodeUtf16(raw)) as unknown;
    if (!Array.isArray(events)) throw new Error('chunk payload is not a JSON array of events');
    for (const event of events) {
      if (isEvent(event)) out.events.push({ windowId, event, line: null });
      else out.errors.push(toSourceError(location, new Error('chunk holds a non-rrweb event')));
    }
  } catch (err) {
    out.errors.push(toSourceError(location, err));
    out.readable = false;
  }
}

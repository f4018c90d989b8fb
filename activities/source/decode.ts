/**
 * CPU side of reading: decompress fetched materials and parse them into snapshot events (cv fields still encoded).
 * Synchronous on purpose: it runs in a worker thread, where blocking is the point.
 */
import { gunzipSync } from 'node:zlib';
import { uncompressSync } from 'snappy';
import type { Materials } from './materials';
import type { SourceError } from './errors';
import { CorruptBlockError, toSourceError } from './errors';
import type { RrwebEvent, SnapshotEvent } from './snapshot-events';
import { jsonLines, parseSnapshotLine } from './snapshot-events';

export interface Decoded {
  events: SnapshotEvent[];
  errors: SourceError[];
  bytesDecoded: number;
}

export class IncompleteChunksError extends Error {
  override readonly name = 'IncompleteChunksError';
}

/** Parses one decompressed JSONL buffer; a bad line is recorded and skipped, the rest still counts. */
function parseLines(location: string, raw: Buffer, out: Decoded): void {
  let lineNo = 0;
  for (const line of jsonLines(raw)) {
    lineNo++;
    try {
      for (const e of parseSnapshotLine(line)) out.events.push(e);
    } catch (err) {
      out.errors.push(toSourceError(`${location}#line=${lineNo}`, err));
    }
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

function decodeLegacy(rows: Materials['legacyRows'], out: Decoded): void {
  const groups = new Map<string, { windowId: string; parts: Chunk[] }>();
  for (const row of rows) {
    try {
      const value = JSON.parse(row.snapshotData) as Record<string, unknown>;
      if (value['compression'] === 'gzip-base64') {
        const chunk = value as unknown as Chunk;
        const group = groups.get(chunk.chunk_id) ?? { windowId: row.windowId, parts: [] };
        group.parts.push(chunk);
        groups.set(chunk.chunk_id, group);
      } else if (typeof value['type'] === 'number' && typeof value['timestamp'] === 'number') {
        // The oldest rows hold one raw rrweb event each.
        out.events.push({ windowId: row.windowId, event: value as unknown as RrwebEvent });
      } else {
        throw new Error('snapshot_data is neither an rrweb event nor a gzip-base64 chunk');
      }
    } catch (err) {
      out.errors.push(toSourceError(row.location, err));
    }
  }
  for (const [chunkId, { windowId, parts }] of groups) {
    const location = `session_recording_events chunk_id=${chunkId}`;
    try {
      const count = parts[0]?.chunk_count ?? 0;
      const byIndex = new Map(parts.map((p) => [p.chunk_index, p.data]));
      if (byIndex.size !== count)
        throw new IncompleteChunksError(`holds ${byIndex.size} of ${count} chunks; the recording part is incomplete`);
      const b64 = Array.from({ length: count }, (_, i) => byIndex.get(i) ?? '').join('');
      const raw = gunzipSync(Buffer.from(b64, 'base64'));
      out.bytesDecoded += raw.length;
      const events = JSON.parse(decodeUtf16(raw)) as unknown;
      if (!Array.isArray(events)) throw new Error('chunk payload is not a JSON array of events');
      for (const event of events) {
        if (event !== null && typeof event === 'object' && typeof (event as RrwebEvent).timestamp === 'number') {
          out.events.push({ windowId, event: event as RrwebEvent });
        } else out.errors.push(toSourceError(location, new Error('chunk holds a non-rrweb event')));
      }
    } catch (err) {
      out.errors.push(toSourceError(location, err));
    }
  }
}

export function decodeMaterials(m: Materials): Decoded {
  const out: Decoded = { events: [], errors: [...m.errors], bytesDecoded: 0 };
  for (const block of m.v2Blocks) {
    let raw: Buffer;
    try {
      raw = uncompressSync(Buffer.from(block.data.buffer, block.data.byteOffset, block.data.byteLength)) as Buffer;
    } catch (err) {
      out.errors.push(
        toSourceError(
          block.location,
          new CorruptBlockError(
            `not a raw-snappy block (${(err as Error).message}); the byte range may be wrong or the object damaged`,
          ),
        ),
      );
      continue;
    }
    out.bytesDecoded += raw.length;
    parseLines(block.location, raw, out);
  }
  for (const file of m.v1Files) {
    let raw: Buffer;
    try {
      raw = gunzipSync(file.data);
    } catch (err) {
      out.errors.push(
        toSourceError(file.location, new CorruptBlockError(`not a gzip file (${(err as Error).message})`)),
      );
      continue;
    }
    out.bytesDecoded += raw.length;
    parseLines(file.location, raw, out);
  }
  decodeLegacy(m.legacyRows, out);
  return out;
}

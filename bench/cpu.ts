/**
 * The per-session CPU path on one thread, against the floor on the same bytes.
 *
 * A long session is built in memory from the real posthog-js fixture (the blocks PostHog would store, raw snappy),
 * then:
 * - floor: snappy-decompress every block, split lines, JSON.parse each, gunzip every cv payload — what any exporter
 *   must do to read the session, and nothing else;
 * - process: exportSession over the same blocks (fetch replaced by memory, the lake a tmpfs directory): decode,
 *   merge, dedupe, raw-blob lines and zstd frames, normalisation, row buffers and Parquet row groups;
 * - stages: the same work stage by stage, so the gap to the floor has names;
 * - writer: the session's rows encoded by our Parquet writer against DuckDB's COPY of the same rows (one thread each).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { compressSync, uncompressSync } from 'snappy';
import type { DecodedEvent } from '../activities/decode';
import { decodeSegment } from '../activities/decode';
import { exportSession } from '../activities/export-session';
import type { Fetched, Segment } from '../activities/fetch';
import { LocalLakeStore } from '../activities/lake-store';
import { TABLES, TABLE_NAMES } from '../activities/lake-tables';
import type { TableName } from '../activities/lake-tables';
import type { SessionMetadata } from '../activities/metadata';
import { SessionNormalizer } from '../activities/normalize';
import type { Row } from '../activities/normalize';
import { TableBuffer } from '../activities/parquet-writer';
import { KEEP_EVERYTHING, Redactor } from '../activities/privacy';
import { rawLine } from '../activities/raw-blob';
import { SessionReader } from '../activities/session-reader';
import { compressedFields } from '../activities/source/snapshot-events';
import type { RrwebEvent } from '../activities/source/snapshot-events';
import { initZstd, zstdFrame } from '../activities/zstd';
import { longSessionFlushes } from '../infra/sample/fixture-sessions';

const MB = 1024 * 1024;
const START = Date.parse('2026-10-31T01:00:00Z');

export interface MemorySession {
  blocks: Buffer[];
  schedule: Segment[];
  /** Decompressed bytes (PostHog's `size`). */
  bytes: number;
}

export function memorySession(targetBytes: number): MemorySession {
  const blocks: Buffer[] = [];
  const schedule: Segment[] = [];
  let bytes = 0;
  const spec = { sessionId: 's', teamId: 1, distinctId: 'd', windowId: 'w', startMs: START, targetBytes };
  for (const flush of longSessionFlushes(spec)) {
    const block = compressSync(Buffer.from(flush.text));
    schedule.push({
      index: blocks.length,
      generation: 'blob_v2',
      location: `memory://block/${blocks.length}`,
      firstMs: flush.events[0]!.event.timestamp,
      size: block.length,
      source: { kind: 'range', bucket: 'memory', key: String(blocks.length), start: 0, end: block.length - 1 },
    });
    blocks.push(block);
    bytes += Buffer.byteLength(flush.text);
  }
  return { blocks, schedule, bytes };
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function inflateCv(event: RrwebEvent): void {
  if (event.cv === undefined) return;
  const fields = compressedFields(event);
  if (fields === 'data') gunzipSync(Buffer.from(event.data as string, 'latin1'));
  else
    for (const f of fields) {
      const v = (event.data as Record<string, unknown>)[f];
      if (typeof v === 'string') gunzipSync(Buffer.from(v, 'latin1'));
    }
}

/** The floor: decompress, split, parse each line once, inflate each cv payload. */
export function floorSeconds(s: MemorySession): number {
  const t = process.hrtime.bigint();
  for (const block of s.blocks) {
    const text = uncompressSync(block) as Buffer;
    for (let start = 0; start < text.length;) {
      let end = text.indexOf(0x0a, start);
      if (end === -1) end = text.length;
      const [, event] = JSON.parse(text.toString('utf8', start, end)) as [string, RrwebEvent];
      inflateCv(event);
      start = end + 1;
    }
  }
  return seconds(t);
}

function buffers(): Record<TableName, TableBuffer> {
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, new TableBuffer(TABLES[t])])) as Record<TableName, TableBuffer>;
}

/** exportSession over the session, one thread, flushing every `bufferMB` as a batch does. */
export async function processSeconds(s: MemorySession, bufferMB: number): Promise<number> {
  const dir = mkdtempSync(join(existsTmpfs() ? '/dev/shm' : tmpdir(), 'replaylake-bench-'));
  try {
    const lake = new LocalLakeStore(dir);
    const tables = buffers();
    const pending = () => TABLE_NAMES.reduce((n, t) => n + tables[t].bytes, 0);
    const drain = async () => {
      for (const t of TABLE_NAMES) if (tables[t].rows > 0) await lake.put(`${t}/part.parquet`, await tables[t].drain());
    };
    const meta = {
      teamId: 1,
      sessionId: 's',
      generation: 'replay',
      startMs: START,
      endMs: START,
      blocks: [],
      digest: 'bench',
      lastIngestedMs: 0,
    } as unknown as SessionMetadata;
    const fetch = (segment: Segment): Promise<Fetched> =>
      Promise.resolve({ segment, data: s.blocks[segment.index]!, bytes: s.blocks[segment.index]!.length });
    const t = process.hrtime.bigint();
    await exportSession(
      {
        openReader: (_meta, opts) => SessionReader.over(s.schedule, fetch, 's', opts),
        lake,
        partition: { dt: '2026-10-31', teamId: 1 },
        redactor: new Redactor(KEEP_EVERYTHING, undefined),
        windowId: 'bench',
        configDigest: 'bench',
        limits: { prefetchBytes: 16 * MB, fetchConcurrency: 8, maxSessionBytes: 0, maxLineBytes: 16 * MB },
        emit: (table, row) => tables[table].append(row),
        wantsFlush: (raw) => pending() + raw >= bufferMB * MB,
        checkpoint: async (progress) => {
          await progress();
          await drain();
        },
        rawChunkKey: (_sid, n) => `_staging/raw-${n}.zst`,
        report: () => undefined,
      },
      { teamId: 1, sessionId: 's', startMs: START, bytes: s.bytes },
      meta,
    );
    await drain();
    return seconds(t);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function existsTmpfs(): boolean {
  try {
    writeFileSync('/dev/shm/.replaylake-bench', '');
    rmSync('/dev/shm/.replaylake-bench');
    return true;
  } catch {
    return false;
  }
}

export type Stages = Record<'decode' | 'raw_lines' | 'zstd' | 'normalise' | 'row_buffers' | 'parquet', number>;

/** The same work stage by stage (each timed alone), so the gap to the floor has names. */
export async function stageSeconds(s: MemorySession): Promise<Stages> {
  await initZstd();
  const out = {} as Stages;
  const time = <T>(stage: keyof Stages, f: () => T): T => {
    const t = process.hrtime.bigint();
    const r = f();
    out[stage] = seconds(t);
    return r;
  };
  const events = time('decode', () => {
    const all: DecodedEvent[] = [];
    for (const segment of s.schedule)
      for (const e of decodeSegment({ segment, data: s.blocks[segment.index]!, bytes: 0 }, 16 * MB).events) all.push(e);
    return all;
  });
  const lines = time('raw_lines', () => events.map((e) => rawLine(e)));
  time('zstd', () => {
    let batch: Buffer[] = [];
    let size = 0;
    for (const line of lines) {
      batch.push(line);
      size += line.length;
      if (size >= 16 * MB) {
        zstdFrame(Buffer.concat(batch));
        batch = [];
        size = 0;
      }
    }
    zstdFrame(Buffer.concat(batch));
  });
  const rows = time('normalise', () => {
    const all: Array<[TableName, Row]> = [];
    const n = new SessionNormalizer({ sessionId: 's', teamId: 1 }, (t, r) => all.push([t, r]));
    events.forEach((e, i) => n.push(e.windowId, e.event, i, lines[i]!.length + 1));
    n.finish();
    return all;
  });
  const tables = time('row_buffers', () => {
    const b = buffers();
    for (const [t, r] of rows) b[t].append(r);
    return b;
  });
  const t = process.hrtime.bigint();
  for (const name of TABLE_NAMES) if (tables[name].rows > 0) await tables[name].drain();
  out.parquet = seconds(t);
  return out;
}

/** The session's rows written by our Parquet writer, and by DuckDB's COPY from the same rows, one thread each. */
export async function writerSeconds(s: MemorySession): Promise<{ ours: number; duckdb: number; rows: number }> {
  const events: DecodedEvent[] = [];
  for (const segment of s.schedule)
    for (const e of decodeSegment({ segment, data: s.blocks[segment.index]!, bytes: 0 }, 16 * MB).events)
      events.push(e);
  const tables = buffers();
  const n = new SessionNormalizer({ sessionId: 's', teamId: 1 }, (t, r) => tables[t].append(r));
  events.forEach((e, i) => n.push(e.windowId, e.event, i, 100));
  n.finish();
  const rows = TABLE_NAMES.reduce((sum, t) => sum + tables[t].rows, 0);
  const dir = mkdtempSync(join(tmpdir(), 'replaylake-bench-writer-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    let ours = 0;
    const names: TableName[] = [];
    for (const t of TABLE_NAMES) {
      if (tables[t].rows === 0) continue;
      const start = process.hrtime.bigint();
      const file = await tables[t].drain();
      ours += seconds(start);
      writeFileSync(join(dir, `${t}.parquet`), file);
      await conn.run(`CREATE TABLE ${t} AS SELECT * FROM read_parquet('${join(dir, `${t}.parquet`)}')`);
      names.push(t);
    }
    const start = process.hrtime.bigint();
    for (const t of names)
      await conn.run(`COPY ${t} TO '${join(dir, `${t}.duckdb.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
    return { ours, duckdb: seconds(start), rows };
  } finally {
    conn.closeSync();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

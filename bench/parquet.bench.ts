/**
 * Parquet writers and raw-blob codecs, measured in one process so the ratios compare like with like.
 *
 *   npx tsx bench/parquet.bench.ts [rows]
 *
 * Part 1 encodes synthetic events-table rows (default 200,000) with parquetjs (SNAPPY, the baseline: it has no ZSTD
 * and writes no statistics), replaylake's encodeParquet (ZSTD) and its column-oriented variant, and plain
 * hyparquet-writer SNAPPY. Every writer gets 100,000-row groups and is timed from in-memory JS values to a complete
 * file in memory; the median of 3 runs is reported. DuckDB then reads every file back to confirm they hold the same
 * data and to count the column chunks that carry min/max statistics.
 *
 * Part 2 compresses the real posthog-js recording in shared/fixtures as raw blobs (one `[windowId, event]` JSONL blob
 * per session, cv fields decoded) with zstd (compressRawBlob) and gzip level 6.
 *
 * Numbers print only; nothing here asserts on time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from '@bokuweb/zstd-wasm';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { ParquetSchema, ParquetWriter } from 'parquetjs';
import type { ColumnSpec } from '../activities/lake-schema';
import { compressRawBlob, encodeParquet, encodeParquetColumns } from '../activities/parquet-writer';
import { decodeCv } from '../activities/source/snapshot-events';
import type { RrwebEvent } from '../activities/source/snapshot-events';

const ROWS = Number(process.argv[2] ?? 200_000);
const ROW_GROUP_SIZE = 100_000;
const RUNS = 3;
const FIXTURE = join(__dirname, '../../shared/fixtures/real-posthog-js/snapshots.jsonl');

const COLUMNS: readonly ColumnSpec[] = [
  { name: 'session_id', type: 'string', nullable: false, description: 'session' },
  { name: 'window_id', type: 'string', nullable: false, description: 'window' },
  { name: 'seq', type: 'int64', nullable: false, description: 'order within the session' },
  { name: 'timestamp', type: 'timestamp_ms', nullable: false, description: 'event time' },
  { name: 'type', type: 'int32', nullable: false, description: 'rrweb EventType' },
  { name: 'type_name', type: 'string', nullable: false, description: 'EventType name' },
  { name: 'source', type: 'int32', nullable: true, description: 'IncrementalSource' },
  { name: 'x', type: 'double', nullable: true, description: 'pointer x' },
  { name: 'y', type: 'double', nullable: true, description: 'pointer y' },
  { name: 'node_id', type: 'int64', nullable: true, description: 'target node' },
  { name: 'bytes', type: 'int64', nullable: false, description: 'event JSON size' },
];

/** mulberry32: a fixed seed makes every run encode the same rows. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPE_NAMES = ['DomContentLoaded', 'Load', 'FullSnapshot', 'IncrementalSnapshot', 'Meta', 'Custom', 'Plugin'];

/** Shaped like the real fixture: mostly incremental snapshots, pointer coordinates on a sixth, 500 events a session. */
function syntheticRows(n: number): Record<string, unknown>[] {
  const rand = prng(42);
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(rand() * 16).toString(16)).join('');
  const rows: Record<string, unknown>[] = [];
  let session = '';
  let windows: string[] = [];
  let ts = 1_795_738_057_324;
  for (let i = 0; i < n; i++) {
    const seq = i % 500;
    if (seq === 0) {
      session = `01a21a54-${hex(4)}-7${hex(3)}-b${hex(3)}-${hex(12)}`;
      windows = Array.from(
        { length: 1 + Math.floor(rand() * 2) },
        () => `01a21a54-${hex(4)}-7${hex(3)}-b${hex(3)}-${hex(12)}`,
      );
      ts += 3_600_000;
    }
    ts += Math.floor(rand() * 400);
    const r = rand();
    const type = r < 0.85 ? 3 : r < 0.87 ? 2 : r < 0.9 ? 4 : r < 0.95 ? 5 : 6;
    const source = type === 3 ? Math.floor(rand() * 6) : null;
    const pointer = source === 1 || source === 2;
    rows.push({
      session_id: session,
      window_id: windows[Math.floor(rand() * windows.length)],
      seq: BigInt(seq),
      timestamp: ts,
      type,
      type_name: TYPE_NAMES[type],
      source,
      x: pointer ? Math.round(rand() * 128_000) / 100 : null,
      y: pointer ? Math.round(rand() * 72_000) / 100 : null,
      node_id: source === null ? null : BigInt(Math.floor(rand() * 2_000)),
      bytes: BigInt(type === 2 ? 20_000 + Math.floor(rand() * 80_000) : 40 + Math.floor(rand() * 400)),
    });
  }
  return rows;
}

function transpose(rows: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  return Object.fromEntries(COLUMNS.map((c) => [c.name, rows.map((r) => r[c.name])]));
}

async function timed(run: () => Promise<Uint8Array>): Promise<{ ms: number[]; bytes: Uint8Array }> {
  const ms: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    bytes = await run();
    ms.push(performance.now() - start);
  }
  return { ms, bytes };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function parquetjsSnappy(rows: readonly Record<string, unknown>[]): Promise<Uint8Array> {
  const field = (type: string, optional = false) => ({ type, optional, compression: 'SNAPPY' });
  const schema = new ParquetSchema({
    session_id: field('UTF8'),
    window_id: field('UTF8'),
    seq: field('INT64'),
    timestamp: field('TIMESTAMP_MILLIS'),
    type: field('INT32'),
    type_name: field('UTF8'),
    source: field('INT32', true),
    x: field('DOUBLE', true),
    y: field('DOUBLE', true),
    node_id: field('INT64', true),
    bytes: field('INT64'),
  });
  const chunks: Buffer[] = [];
  // parquetjs ends by calling close(callback), which only fs.WriteStream has.
  const sink = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    { close: (done: (err?: Error) => void) => done() },
  );
  const writer = await ParquetWriter.openStream(schema, sink, { rowGroupSize: ROW_GROUP_SIZE });
  for (const row of rows) {
    // parquetjs drops a null in an optional field only when the key is absent, and takes INT64 as a number.
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (v !== null) plain[k] = typeof v === 'bigint' ? Number(v) : v;
    await writer.appendRow(plain);
  }
  await writer.close();
  return Buffer.concat(chunks);
}

function hyparquetSnappy(columns: Record<string, unknown[]>): Promise<Uint8Array> {
  const types: Record<ColumnSpec['type'], ColumnSource['type']> = {
    string: 'STRING',
    int32: 'INT32',
    int64: 'INT64',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    timestamp_ms: 'TIMESTAMP',
    string_list: undefined,
    json: 'JSON',
  };
  const columnData: ColumnSource[] = COLUMNS.map((c) => ({
    name: c.name,
    data: columns[c.name] ?? [],
    type: types[c.type],
    nullable: c.nullable,
  }));
  return Promise.resolve(new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: ROW_GROUP_SIZE })));
}

interface FileCheck {
  rows: bigint;
  checksum: string;
  chunks: bigint;
  chunksWithStats: bigint;
  codec: string;
}

async function checkFiles(paths: readonly string[]): Promise<FileCheck[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const out: FileCheck[] = [];
    for (const path of paths) {
      const data = await conn.runAndReadAll(
        `SELECT count(*), concat_ws('/', sum(seq), count(DISTINCT session_id), sum(epoch_ms(timestamp)), count(x), sum(y),
                 sum(node_id), sum(bytes), count(source), string_agg(DISTINCT type_name, ',' ORDER BY type_name))
         FROM read_parquet('${path}')`,
      );
      const meta = await conn.runAndReadAll(
        `SELECT count(*), count(*) FILTER (WHERE coalesce(stats_min_value, stats_min) IS NOT NULL
                                        AND coalesce(stats_max_value, stats_max) IS NOT NULL),
                string_agg(DISTINCT compression, ',')
         FROM parquet_metadata('${path}')`,
      );
      const [rows, checksum] = data.getRowsJS()[0] as [bigint, string];
      const [chunks, chunksWithStats, codec] = meta.getRowsJS()[0] as [bigint, bigint, string];
      out.push({ rows, checksum, chunks, chunksWithStats, codec });
    }
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function benchParquet(dir: string): Promise<void> {
  const genStart = performance.now();
  const rows = syntheticRows(ROWS);
  const columns = transpose(rows);
  console.log(
    `\n## Parquet: ${ROWS.toLocaleString('en')} events rows, ${COLUMNS.length} columns, row groups of ${ROW_GROUP_SIZE.toLocaleString('en')}`,
  );
  console.log(`(data generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s, not timed)\n`);

  const writers: { name: string; codec: string; run: () => Promise<Uint8Array> }[] = [
    { name: 'parquetjs 0.11 (baseline)', codec: 'SNAPPY', run: () => parquetjsSnappy(rows) },
    { name: 'encodeParquet (rows)', codec: 'ZSTD', run: () => encodeParquet(COLUMNS, rows) },
    { name: 'encodeParquetColumns', codec: 'ZSTD', run: () => encodeParquetColumns(COLUMNS, columns) },
    { name: 'hyparquet-writer, columns', codec: 'SNAPPY', run: () => hyparquetSnappy(columns) },
  ];
  const results: { name: string; codec: string; ms: number[]; size: number; path: string }[] = [];
  for (const w of writers) {
    const { ms, bytes } = await timed(w.run);
    const path = join(dir, `${results.length}.parquet`);
    writeFileSync(path, bytes);
    results.push({ name: w.name, codec: w.codec, ms, size: bytes.byteLength, path });
  }
  const checks = await checkFiles(results.map((r) => r.path));

  const base = results[0]!;
  const baseMs = median(base.ms);
  const header = ['writer', 'codec', 'median s', 'runs s', 'MB', 'time ×', 'size ×', 'chunks w/ stats', 'same data'];
  const table = results.map((r, i) => {
    const c = checks[i]!;
    return [
      r.name,
      c.codec,
      (median(r.ms) / 1000).toFixed(2),
      r.ms.map((m) => (m / 1000).toFixed(2)).join(' '),
      (r.size / 1e6).toFixed(2),
      (median(r.ms) / baseMs).toFixed(2),
      (r.size / base.size).toFixed(2),
      `${c.chunksWithStats}/${c.chunks}`,
      c.rows === BigInt(ROWS) && c.checksum === checks[0]!.checksum ? 'yes' : `NO (${c.rows} rows)`,
    ];
  });
  printTable(header, table);
  console.log('\ntime × and size × are against the parquetjs baseline of this run (below 1 is better).');
}

/** `[windowId, event]` JSONL per session, as blob storage holds it, with posthog-js's cv compression undone. */
function rawBlobs(): Buffer[] {
  const bySession = new Map<string, string[]>();
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (line === '') continue;
    const { properties: p } = JSON.parse(line) as {
      properties: { $session_id: string; $window_id: string; $snapshot_data: RrwebEvent[] };
    };
    const lines = bySession.get(p.$session_id) ?? [];
    for (const event of p.$snapshot_data) lines.push(JSON.stringify([p.$window_id, decodeCv(event)]));
    bySession.set(p.$session_id, lines);
  }
  return [...bySession.values()].map((lines) => Buffer.from(`${lines.join('\n')}\n`));
}

/** MB/s of `total` bytes (the decoded JSONL both ways) over repeated passes of ~0.3 s each, median of 5. */
async function throughput(blobs: readonly Buffer[], total: number, fn: (b: Buffer) => unknown): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    let passes = 0;
    while (performance.now() - start < 300) {
      for (const b of blobs) await fn(b);
      passes++;
    }
    rates.push((passes * total) / 1e6 / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

async function benchRawBlobs(): Promise<void> {
  const blobs = rawBlobs();
  const raw = blobs.reduce((n, b) => n + b.length, 0);
  console.log(`\n## Raw blobs: ${blobs.length} real sessions, ${(raw / 1e3).toFixed(1)} kB of decoded JSONL\n`);
  const zstd = await Promise.all(blobs.map((b) => compressRawBlob(b)));
  const gzip = blobs.map((b) => gzipSync(b, { level: 6 }));
  zstd.forEach((z, i) => {
    if (!Buffer.from(zstdDecompress(z)).equals(blobs[i]!)) throw new Error('zstd round trip differs');
  });
  const rows = [
    {
      name: 'zstd level 3 (compressRawBlob, wasm)',
      out: zstd,
      comp: await throughput(blobs, raw, (b) => compressRawBlob(b)),
      dec: await throughput(zstd, raw, (b) => zstdDecompress(b)),
    },
    {
      name: 'gzip level 6 (node:zlib)',
      out: gzip,
      comp: await throughput(blobs, raw, (b) => gzipSync(b, { level: 6 })),
      dec: await throughput(gzip, raw, (b) => gunzipSync(b)),
    },
  ];
  printTable(
    ['codec', 'bytes', 'ratio', 'compress MB/s', 'decompress MB/s'],
    rows.map((r) => {
      const size = r.out.reduce((n, b) => n + b.length, 0);
      return [r.name, String(size), (raw / size).toFixed(2), r.comp.toFixed(0), r.dec.toFixed(0)];
    }),
  );
  console.log('\nratio = decoded JSONL bytes / compressed bytes; both MB/s count decoded JSONL bytes, on one thread.');
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'replaylake-parquet-bench-'));
  try {
    await benchParquet(dir);
    await benchRawBlobs();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

import { REAL_POSTHOG_JS } from './support/fixtures';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decompress as zstdDecompress } from 'fzstd';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { query as chdbQuery } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../activities/lake-schema';
import { RAW_BLOB_EXTENSION } from '../activities/lake-layout';
import { LocalLakeStore } from '../activities/lake-store';
import { ParquetValueError, TableBuffer, encodeParquet, encodeParquetColumns } from '../activities/parquet-writer';
import { RawBlobBuilder, rawLine } from '../activities/raw-blob';
import type { RrwebEvent } from '../activities/source/snapshot-events';
import { decodeCv } from '../infra/sample/cv';

const FIXTURE = path.join(REAL_POSTHOG_JS, 'snapshots.jsonl');

const col = (name: string, type: ColumnSpec['type'], nullable: boolean): ColumnSpec => ({
  name,
  type,
  nullable,
  description: name,
});

/** Every column type, required and optional. */
const COLUMNS: readonly ColumnSpec[] = [
  col('id', 'int32', false),
  col('name', 'string', false),
  col('note', 'string', true),
  col('count', 'int32', true),
  col('big', 'int64', false),
  col('big_opt', 'int64', true),
  col('ratio', 'double', true),
  col('flag', 'boolean', true),
  col('ts', 'timestamp_ms', false),
  col('ts_opt', 'timestamp_ms', true),
  col('tags', 'string_list', false),
  col('tags_opt', 'string_list', true),
  col('props', 'json', true),
];

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const ABOVE_2_53 = 2n ** 53n + 1n; // the first integer a JS number cannot hold
const HALLOWEEN_LAST_MS = Date.UTC(2026, 9, 31, 23, 59, 59, 999);

const ROWS: Record<string, unknown>[] = [
  {
    id: 1,
    name: 'héllo wörld 🎉',
    note: '日本語テキスト',
    count: 2147483647,
    big: INT64_MAX,
    big_opt: ABOVE_2_53,
    ratio: 1.5,
    flag: true,
    ts: 1_795_738_057_324,
    ts_opt: new Date(HALLOWEEN_LAST_MS),
    tags: ['a', 'ü', '🎉'],
    tags_opt: ['x'],
    props: '{"a":1,"s":"ü"}',
  },
  {
    id: 2,
    name: '',
    note: null,
    count: -2147483648,
    big: INT64_MIN,
    big_opt: `-${ABOVE_2_53}`, // ClickHouse's JSON quotes 64-bit integers
    ratio: -0.25,
    flag: false,
    ts: new Date(0),
    ts_opt: null,
    tags: [],
    tags_opt: [],
    props: { nested: [1, 'x', null], ok: true },
  },
  // Missing keys in optional columns read as null.
  { id: 3, name: 'plain', big: 0, ts: 1n, tags: ['only'] },
  {
    id: 4,
    name: 'z',
    note: '',
    count: 0,
    big: 42,
    big_opt: 7n,
    ratio: 1e300,
    flag: null,
    ts: 86_400_000,
    ts_opt: 0,
    tags: [''],
    tags_opt: null,
    props: '[]',
  },
];

/** What DuckDB reads back, with timestamps as epoch ms and JSON as text. */
const EXPECTED = [
  {
    id: 1,
    name: 'héllo wörld 🎉',
    note: '日本語テキスト',
    count: 2147483647,
    big: INT64_MAX,
    big_opt: ABOVE_2_53,
    ratio: 1.5,
    flag: true,
    ts: 1_795_738_057_324n,
    ts_opt: BigInt(HALLOWEEN_LAST_MS),
    tags: ['a', 'ü', '🎉'],
    tags_opt: ['x'],
    props: '{"a":1,"s":"ü"}',
  },
  {
    id: 2,
    name: '',
    note: null,
    count: -2147483648,
    big: INT64_MIN,
    big_opt: -ABOVE_2_53,
    ratio: -0.25,
    flag: false,
    ts: 0n,
    ts_opt: null,
    tags: [],
    tags_opt: [],
    props: '{"nested":[1,"x",null],"ok":true}',
  },
  {
    id: 3,
    name: 'plain',
    note: null,
    count: null,
    big: 0n,
    big_opt: null,
    ratio: null,
    flag: null,
    ts: 1n,
    ts_opt: null,
    tags: ['only'],
    tags_opt: null,
    props: null,
  },
  {
    id: 4,
    name: 'z',
    note: '',
    count: 0,
    big: 42n,
    big_opt: 7n,
    ratio: 1e300,
    flag: null,
    ts: 86_400_000n,
    ts_opt: 0n,
    tags: [''],
    tags_opt: null,
    props: '[]',
  },
];

let dir: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let allTypesFile: string;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJS();
}

function chdb<T>(sql: string): T[] {
  return chdbQuery(sql, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Enough rows for two row groups and several pages per string chunk, so page and offset indexes are written. */
function manyRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    name: `session-${String(i).padStart(8, '0')}-padding-to-make-pages-fill-up`,
    big: BigInt(i) * 1_000_003n,
    ts: 1_795_738_057_324 + i,
    tags: i % 3 === 0 ? [] : [`t${i % 7}`],
    tags_opt: i % 5 === 0 ? null : ['x'],
    props: i % 2 === 0 ? null : `{"i":${i}}`,
  }));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'replaylake-parquet-writer-'));
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
  allTypesFile = path.join(dir, 'all-types.parquet');
});

afterAll(() => {
  duck?.closeSync();
  instance?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// First in the file, so these calls are the ones that load the zstd module, all at once.
describe('raw blobs', () => {
  /** The fixture's sessions as posthog-js recorded them, each event beside its decoding by the generator's decoder. */
  function fixtureSessions(): Array<Array<{ windowId: string; event: RrwebEvent; decoded: string }>> {
    const bySession = new Map<string, Array<{ windowId: string; event: RrwebEvent; decoded: string }>>();
    for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
      if (line === '') continue;
      const { properties: p } = JSON.parse(line) as {
        properties: { $session_id: string; $window_id: string; $snapshot_data: RrwebEvent[] };
      };
      const events = bySession.get(p.$session_id) ?? [];
      for (const event of p.$snapshot_data)
        events.push({ windowId: p.$window_id, event, decoded: JSON.stringify([p.$window_id, decodeCv(event)]) });
      bySession.set(p.$session_id, events);
    }
    return [...bySession.values()];
  }

  it('builds each line from the stored text with the cv payloads spliced in, never re-serialising the event', () => {
    for (const events of fixtureSessions()) {
      for (const e of events) {
        const stored = Buffer.from(JSON.stringify([e.windowId, e.event]));
        const line = rawLine({ windowId: e.windowId, event: e.event, line: stored });
        // The same event as the generator's own decoder sees it, byte for byte once both are parsed back.
        expect(JSON.parse(line.toString('utf8'))).toEqual(JSON.parse(e.decoded));
        // Without cv, the stored line is the raw line itself (no copy, no stringify).
        if (e.event.cv === undefined) expect(line).toBe(stored);
        else expect(line.includes('"cv":')).toBe(false);
      }
    }
  });

  it('writes one zstd frame for a short session and joins checkpointed frames for a long one', async () => {
    const lake = new LocalLakeStore(mkdtempSync(path.join(os.tmpdir(), 'replaylake-raw-')));
    const [events] = fixtureSessions();
    const lines = events!.map((e) => rawLine({ windowId: e.windowId, event: e.event, line: null }));
    const text = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));

    const short = new RawBlobBuilder();
    for (const l of lines) short.append(l);
    const one = (await short.finish(lake, 'raw/one.jsonl.zst'))!;
    const oneBody = readFileSync(path.join(lake.root, one.key));
    expect(oneBody.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])); // a standard zstd frame
    expect(Buffer.from(zstdDecompress(oneBody)).equals(text)).toBe(true);
    expect(one.bytes).toBeLessThan(text.length / 5);

    // Two checkpoints inside the session: frames go to staging, and the blob is their concatenation.
    const again = new RawBlobBuilder();
    for (const [i, l] of lines.entries()) {
      again.append(l);
      if (i === 100 || i === 200) await again.checkpoint(lake, `_staging/x/raw/${i}.zst`);
    }
    const joined = (await again.finish(lake, 'raw/joined.jsonl.zst'))!;
    expect(again.chunks.map((c) => c.key)).toEqual(['_staging/x/raw/100.zst', '_staging/x/raw/200.zst']);
    const joinedBody = readFileSync(path.join(lake.root, joined.key));
    expect(Buffer.from(zstdDecompress(joinedBody)).equals(text)).toBe(true);
    expect(joined.sha256).toBe(createHash('sha256').update(joinedBody).digest('hex'));

    // DuckDB reads the several frames as one stream of lines.
    const [row] = await rows(
      `SELECT count(*) AS n FROM read_json_objects('${path.join(lake.root, joined.key)}', format = 'newline_delimited', compression = 'zstd')`,
    );
    expect(row).toEqual({ n: BigInt(lines.length) });
    expect(RAW_BLOB_EXTENSION).toBe('.jsonl.zst');
    expect(await new RawBlobBuilder().finish(lake, 'raw/empty.jsonl.zst')).toBeNull();
  });
});

describe('table buffers', () => {
  it('refuse a row that does not fit, whole, and encode what they hold as one row group', async () => {
    const buffer = new TableBuffer({ name: 't', description: 't', columns: COLUMNS });
    for (const row of ROWS) buffer.append(row);
    expect(() => buffer.append({ ...ROWS[0], count: 2 ** 40 })).toThrow(ParquetValueError);
    expect(buffer.rows).toBe(ROWS.length);
    const file = path.join(dir, 'buffer.parquet');
    writeFileSync(file, await buffer.drain());
    expect(buffer.rows).toBe(0);
    expect(readFileSync(file).equals(Buffer.from(await encodeParquet(COLUMNS, ROWS)))).toBe(true);
  });
});

describe('encodeParquet', () => {
  beforeAll(async () => {
    writeFileSync(allTypesFile, await encodeParquet(COLUMNS, ROWS));
  });

  it('round-trips every column type through DuckDB', async () => {
    const back = await rows(
      `SELECT id, name, note, count, big, big_opt, ratio, flag, epoch_ms(ts) AS ts, epoch_ms(ts_opt) AS ts_opt,
              tags, tags_opt, CAST(props AS VARCHAR) AS props
       FROM read_parquet('${allTypesFile}') ORDER BY id`,
    );
    expect(back).toEqual(EXPECTED);
  });

  it('annotates logical types that DuckDB maps to the intended SQL types', async () => {
    const described = await rows(`DESCRIBE SELECT * FROM read_parquet('${allTypesFile}')`);
    expect(Object.fromEntries(described.map((r) => [r['column_name'], r['column_type']]))).toEqual({
      id: 'INTEGER',
      name: 'VARCHAR',
      note: 'VARCHAR',
      count: 'INTEGER',
      big: 'BIGINT',
      big_opt: 'BIGINT',
      ratio: 'DOUBLE',
      flag: 'BOOLEAN',
      ts: 'TIMESTAMP WITH TIME ZONE',
      ts_opt: 'TIMESTAMP WITH TIME ZONE',
      tags: 'VARCHAR[]',
      tags_opt: 'VARCHAR[]',
      props: 'JSON',
    });
    const schema = await rows(
      `SELECT name, repetition_type, converted_type, logical_type FROM parquet_schema('${allTypesFile}')`,
    );
    const byName = (name: string) => schema.filter((r) => r['name'] === name);
    expect(byName('ts')[0]).toMatchObject({ repetition_type: 'REQUIRED', converted_type: 'TIMESTAMP_MILLIS' });
    expect(byName('ts')[0]!['logical_type']).toMatch(/isAdjustedToUTC=1.*MILLIS=MilliSeconds\(\)/);
    expect(byName('props')[0]).toMatchObject({ repetition_type: 'OPTIONAL', converted_type: 'JSON' });
    expect(byName('name')[0]).toMatchObject({ converted_type: 'UTF8', logical_type: 'StringType()' });
    expect(byName('tags_opt')[0]).toMatchObject({ repetition_type: 'OPTIONAL', converted_type: 'LIST' });
    // Three-level lists: tags and tags_opt each have a repeated `list` group holding a required `element`.
    expect(byName('list').map((r) => r['repetition_type'])).toEqual(['REPEATED', 'REPEATED']);
    expect(byName('element').map((r) => r['converted_type'])).toEqual(['UTF8', 'UTF8']);
  });

  it('compresses every column chunk with ZSTD and gives each min/max statistics', async () => {
    const chunks = await rows(
      `SELECT path_in_schema, compression, stats_min_value, stats_max_value, stats_null_count
       FROM parquet_metadata('${allTypesFile}')`,
    );
    // A leaf per column; the lists' leaves are `tags.list.element` and `tags_opt.list.element`.
    expect(chunks).toHaveLength(COLUMNS.length);
    for (const c of chunks) {
      expect(c, String(c['path_in_schema'])).toMatchObject({ compression: 'ZSTD' });
      expect(c['stats_min_value'], String(c['path_in_schema'])).not.toBeNull();
      expect(c['stats_max_value'], String(c['path_in_schema'])).not.toBeNull();
    }
    const big = chunks.find((c) => c['path_in_schema'] === 'big');
    expect(big).toMatchObject({ stats_min_value: String(INT64_MIN), stats_max_value: String(INT64_MAX) });
    const note = chunks.find((c) => c['path_in_schema'] === 'note');
    expect(note).toMatchObject({ stats_min_value: '', stats_max_value: '日本語テキスト', stats_null_count: 2n });
  });

  it('writes byte-identical files for the same input, from rows or from columns', async () => {
    const again = await encodeParquet(COLUMNS, ROWS);
    expect(Buffer.from(again).equals(readFileSync(allTypesFile))).toBe(true);
    const columns = Object.fromEntries(COLUMNS.map((c) => [c.name, ROWS.map((r) => r[c.name])]));
    expect(Buffer.from(await encodeParquetColumns(COLUMNS, columns)).equals(Buffer.from(again))).toBe(true);

    const [meta] = await rows(`SELECT created_by FROM parquet_file_metadata('${allTypesFile}')`);
    // No timestamp, host or random id: only the writer's name and version.
    expect(meta!['created_by']).toMatch(/^replaylake version \d+\.\d+\.\d+$/);
  });

  it('splits large inputs into row groups, deterministically', async () => {
    const many = manyRows(150_000);
    const first = await encodeParquet(COLUMNS, many);
    const second = await encodeParquet(COLUMNS, many);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    const file = path.join(dir, 'many.parquet');
    writeFileSync(file, first);
    const groups = await rows(
      `SELECT row_group_id, any_value(row_group_num_rows) AS n,
              count(*) FILTER (WHERE stats_min_value IS NOT NULL) AS with_stats, count(*) AS chunks
       FROM parquet_metadata('${file}') WHERE path_in_schema IN ('name', 'big', 'ts', 'tags, list, element')
       GROUP BY ALL ORDER BY row_group_id`,
    );
    expect(groups).toEqual([
      { row_group_id: 0n, n: 100_000n, with_stats: 4n, chunks: 4n },
      { row_group_id: 1n, n: 50_000n, with_stats: 4n, chunks: 4n },
    ]);
    const [sums] = await rows(
      `SELECT count(*) AS n, sum(big) AS big, sum(len(tags)) AS tags, count(props) AS props FROM read_parquet('${file}')`,
    );
    expect(sums).toEqual({ n: 150_000n, big: 11_249_958_749_775_000n, tags: 100_000n, props: 75_000n });
  });

  it('reads hive partition columns from the lake layout', async () => {
    for (const team of [1, 2]) {
      const partition = path.join(dir, 't', 'dt=2026-10-31', `team_id=${team}`);
      mkdirSync(partition, { recursive: true });
      writeFileSync(path.join(partition, 'part-00000.parquet'), await encodeParquet(COLUMNS, ROWS.slice(0, team + 1)));
    }
    const back = await rows(
      `SELECT CAST(dt AS VARCHAR) AS dt, typeof(dt) AS dt_type, team_id, typeof(team_id) AS team_type, count(*) AS n
       FROM read_parquet('${dir}/t/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY team_id`,
    );
    expect(back).toEqual([
      { dt: '2026-10-31', dt_type: 'DATE', team_id: 1n, team_type: 'BIGINT', n: 2n },
      { dt: '2026-10-31', dt_type: 'DATE', team_id: 2n, team_type: 'BIGINT', n: 3n },
    ]);
  });

  it('is readable by ClickHouse (chDB), page and offset indexes included', () => {
    const [types] = chdb<Record<string, string>>(
      `SELECT count() AS n, toTypeName(any(ts)) AS ts, toTypeName(any(tags)) AS tags, toString(max(big)) AS big
       FROM file('${allTypesFile}', Parquet)`,
    );
    expect(types).toEqual({ n: 4, ts: "DateTime64(3, 'UTC')", tags: 'Array(String)', big: String(INT64_MAX) });
    const [many] = chdb<{ n: number }>(`SELECT count() AS n FROM file('${path.join(dir, 'many.parquet')}', Parquet)`);
    expect(many).toEqual({ n: 150_000 });
  });

  it('writes an empty file that still carries the schema', async () => {
    const file = path.join(dir, 'empty.parquet');
    writeFileSync(file, await encodeParquet(COLUMNS, []));
    expect(await rows(`SELECT count(*) AS n FROM read_parquet('${file}')`)).toEqual([{ n: 0n }]);
    expect(await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).toHaveLength(COLUMNS.length);
    expect(chdb(`SELECT count() AS n FROM file('${file}', Parquet)`)).toEqual([{ n: 0 }]);
  });

  it.each([
    ['a null in a required column', { name: null }, /column name row 0: expected a non-null string/],
    ['an int64 number past 2^53', { big: 2 ** 53 + 2 }, /column big row 0: expected an int64/],
    ['an int64 that is not a decimal integer', { big: '12abc' }, /column big row 0: expected an int64/],
    ['an int64 out of range', { big: INT64_MAX + 1n }, /column big row 0: expected an int64/],
    ['an int32 out of range', { id: 2 ** 31 }, /column id row 0: expected an int32/],
    ['a fractional timestamp', { ts: 1.5 }, /column ts row 0: expected epoch ms/],
    ['an invalid Date', { ts: new Date(NaN) }, /column ts row 0: expected epoch ms/],
    ['a null list element', { tags: ['a', null] }, /column tags row 0: expected an array of non-null strings/],
    ['a bigint inside JSON', { props: { n: 1n } }, /column props row 0: expected a JSON-serialisable value/],
  ])('rejects %s', async (_what, override, message) => {
    const row = { ...ROWS[0], ...override };
    await expect(encodeParquet(COLUMNS, [row])).rejects.toThrow(ParquetValueError);
    await expect(encodeParquet(COLUMNS, [row])).rejects.toThrow(message);
  });
});

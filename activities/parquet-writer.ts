/**
 * Encodes lake tables as Parquet and compresses raw snapshot blobs.
 *
 * Parquet files are what DuckDB, Athena/Trino, Snowflake, BigQuery, Databricks and ClickHouse read, so the choices
 * here favour what every one of them understands: ZSTD pages, min/max statistics on every column chunk (a chunk whose
 * values are all null has no min/max to give), both the logical type and the legacy converted type on every
 * annotated column, a three-level LIST, and TIMESTAMP(MILLIS, UTC).
 *
 * The same columns and rows always give the same bytes: nothing time- or host-dependent goes into the file, and
 * `created_by` names only the replaylake version. A retried activity therefore rewrites an object identically.
 *
 * Values each column type accepts (null or undefined only in nullable columns, anything else throws
 * {@link ParquetValueError}):
 * - `string`: a string. `json`: a string is written verbatim as JSON text (not re-validated); any other value is
 *   serialised with `JSON.stringify`.
 * - `int32`: an integer number in the int32 range. `double`: a number. `boolean`: a boolean.
 * - `int64`: a bigint, a safe-integer number, or a decimal integer string. Numbers beyond 2^53 have already lost
 *   precision, so they are refused; ClickHouse's JSON output quotes 64-bit integers, so their strings pass through.
 * - `timestamp_ms`: epoch milliseconds as a safe-integer number or bigint, or a valid Date.
 * - `string_list`: an array of strings (possibly empty); elements may not be null.
 */
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ColumnSource, SchemaElement } from 'hyparquet-writer';
import packageJson from '../package.json';
import type { ColumnSpec } from './lake-schema';

/** Large enough that every engine reads a file in few requests, small enough to keep one group's pages in memory. */
export const DEFAULT_ROW_GROUP_SIZE = 100_000;

/**
 * zstd's own default. On the real posthog-js fixture levels 6 and 9 shrink raw blobs by another 13–18 % but run at a
 * quarter to an eighth of the speed; gzip level 6 is both larger and slower than this.
 */
const ZSTD_LEVEL = 3;

/**
 * Keeps UUIDs and other identifiers exact in statistics while bounding the footer for long strings such as URLs.
 * Longer bounds are cut to a valid lower/upper bound and flagged inexact. JSON bounds are never cut (a prefix of a
 * document is not JSON), so JSON columns should hold small documents.
 */
const STATISTICS_TRUNCATE_LENGTH = 64;

/** Readers such as parquet-mr parse `<application> version <semver>` and distrust statistics they cannot attribute. */
const CREATED_BY = `replaylake version ${packageJson.version}`;

export const RAW_BLOB_EXTENSION = '.jsonl.zst';

/** A value that does not fit its column's type; retrying cannot fix it. */
export class ParquetValueError extends TypeError {
  override readonly name = 'ParquetValueError';
}

export interface EncodeParquetOptions {
  /** Rows per row group; defaults to {@link DEFAULT_ROW_GROUP_SIZE}. */
  rowGroupSize?: number;
}

let zstdReady: Promise<void> | undefined;

/**
 * Loads the zstd WebAssembly module once per process. Concurrent callers share one promise; a failed load is
 * forgotten so the next call tries again instead of failing forever.
 */
export function initZstd(): Promise<void> {
  zstdReady ??= zstdInit().catch((err: unknown) => {
    zstdReady = undefined;
    throw err;
  });
  return zstdReady;
}

/**
 * Compresses a raw snapshot blob (`[windowId, event]` JSON lines) as one zstd frame, with its content size, for
 * {@link RAW_BLOB_EXTENSION}. The zstd CLI, DuckDB's read_json and ClickHouse's file() all read it. The work is
 * synchronous WebAssembly on the calling thread (about 100–200 MB/s of input), so large batches belong in a worker.
 */
export async function compressRawBlob(jsonl: Buffer): Promise<Buffer> {
  await initZstd();
  const out = zstdCompress(jsonl, ZSTD_LEVEL);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Encodes rows (objects keyed by column name) as one Parquet file, built in memory. */
export async function encodeParquet(
  columns: readonly ColumnSpec[],
  rows: readonly Record<string, unknown>[],
  opts: EncodeParquetOptions = {},
): Promise<Uint8Array> {
  const data: Record<string, unknown[]> = {};
  for (const col of columns) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Record<string, unknown>)[col.name];
    data[col.name] = values;
  }
  return encodeParquetColumns(columns, data, opts);
}

/** Encodes column arrays (one per column name, all the same length) as one Parquet file; skips the row transpose. */
export async function encodeParquetColumns(
  columns: readonly ColumnSpec[],
  data: Readonly<Record<string, readonly unknown[]>>,
  opts: EncodeParquetOptions = {},
): Promise<Uint8Array> {
  const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  if (columns.length === 0) throw new RangeError('a Parquet file needs at least one column');
  const names = new Set<string>();
  for (const col of columns) {
    if (names.has(col.name)) throw new RangeError(`duplicate column ${col.name}`);
    names.add(col.name);
  }
  const rowCount = data[columns[0]!.name]?.length ?? 0;
  const columnData: ColumnSource[] = columns.map((col) => {
    const values = data[col.name];
    if (values === undefined) throw new RangeError(`no data for column ${col.name}`);
    if (values.length !== rowCount) {
      throw new RangeError(`column ${col.name} has ${values.length} values, expected ${rowCount}`);
    }
    return {
      name: col.name,
      data: physicalValues(col, values),
      // A page index on JSON would copy whole documents into the footer, and nobody filters on them.
      columnIndex: col.type !== 'json',
    };
  });

  await initZstd();
  const writer = new ByteWriter();
  const pq = new ParquetWriter({
    writer,
    schema: [{ name: 'root', num_children: columns.length }, ...columns.flatMap((col) => schemaElements(col, false))],
    codec: 'ZSTD',
    compressors: { ZSTD: (input) => zstdCompress(input, ZSTD_LEVEL) },
    statistics: true,
    statisticsTruncateLength: STATISTICS_TRUNCATE_LENGTH,
    createdBy: CREATED_BY,
  });
  await pq.write({ columnData, rowGroupSize });
  // hyparquet-writer re-serialises values of a column whose converted type is JSON, which would quote JSON text a
  // second time. Pages are written without it; the footer, written by finish(), gets the full annotation.
  pq.schema = [{ name: 'root', num_children: columns.length }, ...columns.flatMap((col) => schemaElements(col, true))];
  await pq.finish();
  return new Uint8Array(writer.getBuffer());
}

/** The Parquet schema elements (in depth-first order) for one column. */
function schemaElements(col: ColumnSpec, inFooter: boolean): SchemaElement[] {
  const { name } = col;
  const repetition_type = col.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (col.type) {
    case 'string':
      return [{ name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }];
    case 'json':
      return [
        inFooter
          ? { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } }
          : { name, repetition_type, type: 'BYTE_ARRAY', logical_type: { type: 'JSON' } },
      ];
    case 'int32':
      return [{ name, repetition_type, type: 'INT32' }];
    case 'int64':
      return [{ name, repetition_type, type: 'INT64' }];
    case 'double':
      return [{ name, repetition_type, type: 'DOUBLE' }];
    case 'boolean':
      return [{ name, repetition_type, type: 'BOOLEAN' }];
    case 'timestamp_ms':
      return [
        {
          name,
          repetition_type,
          type: 'INT64',
          converted_type: 'TIMESTAMP_MILLIS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        },
      ];
    case 'string_list':
      // The three-level form the spec requires; the names `list` and `element` are what BigQuery's list inference
      // and Athena expect.
      return [
        { name, repetition_type, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        {
          name: 'element',
          repetition_type: 'REQUIRED',
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
        },
      ];
  }
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      if (value instanceof Date) return `Date(${value.getTime()})`;
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

function toInt64(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) n = BigInt(value);
  else return undefined;
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

function toEpochMs(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : value;
  return typeof ms === 'number' && Number.isSafeInteger(ms) ? ms : undefined;
}

function toJsonText(value: unknown): string | undefined {
  try {
    // JSON.stringify returns undefined for functions and symbols despite its declared type.
    return JSON.stringify(value);
  } catch {
    // BigInts and cycles throw; the caller reports the value with its column and row.
    return undefined;
  }
}

/**
 * Checks every value against the column type and converts it to what hyparquet-writer stores for it, so a bad value
 * fails with the column and row named instead of deep inside the encoder (or, for int64 numbers, silently rounded).
 */
function physicalValues(col: ColumnSpec, values: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(values.length);
  const fail = (i: number, expected: string): never => {
    throw new ParquetValueError(`column ${col.name} row ${i}: expected ${expected}, got ${describe(values[i])}`);
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (!col.nullable) fail(i, `a non-null ${col.type}`);
      out[i] = null;
      continue;
    }
    switch (col.type) {
      case 'string':
        out[i] = typeof v === 'string' ? v : fail(i, 'a string');
        break;
      case 'json':
        out[i] = typeof v === 'string' ? v : (toJsonText(v) ?? fail(i, 'a JSON-serialisable value'));
        break;
      case 'int32':
        out[i] = typeof v === 'number' && Number.isInteger(v) && (v | 0) === v ? v : fail(i, 'an int32');
        break;
      case 'int64':
        out[i] = toInt64(v) ?? fail(i, 'an int64 (bigint, safe-integer number or decimal string)');
        break;
      case 'double':
        out[i] = typeof v === 'number' ? v : fail(i, 'a number');
        break;
      case 'boolean':
        out[i] = typeof v === 'boolean' ? v : fail(i, 'a boolean');
        break;
      case 'timestamp_ms':
        out[i] = (typeof v === 'bigint' ? toInt64(v) : toEpochMs(v)) ?? fail(i, 'epoch ms or a valid Date');
        break;
      case 'string_list':
        out[i] =
          Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : fail(i, 'an array of non-null strings');
        break;
    }
  }
  return out;
}

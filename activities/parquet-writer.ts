/**
 * Encodes lake tables as Parquet.
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
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ColumnSource, SchemaElement } from 'hyparquet-writer';
import packageJson from '../package.json';
import type { ColumnSpec, TableSpec } from './lake-schema';
import { initZstd, zstdFrame } from './zstd';

/** Large enough that every engine reads a file in few requests, small enough to keep one group's pages in memory. */
export const DEFAULT_ROW_GROUP_SIZE = 100_000;

/**
 * Keeps UUIDs and other identifiers exact in statistics while bounding the footer for long strings such as URLs.
 * Longer bounds are cut to a valid lower/upper bound and flagged inexact. JSON bounds are never cut (a prefix of a
 * document is not JSON), so JSON columns should hold small documents.
 */
const STATISTICS_TRUNCATE_LENGTH = 64;

/** Readers such as parquet-mr parse `<application> version <semver>` and distrust statistics they cannot attribute. */
const CREATED_BY = `replaylake version ${packageJson.version}`;

/** A value that does not fit its column's type; retrying cannot fix it. */
export class ParquetValueError extends TypeError {
  override readonly name = 'ParquetValueError';
}

export interface EncodeParquetOptions {
  /** Rows per row group; defaults to {@link DEFAULT_ROW_GROUP_SIZE}. */
  rowGroupSize?: number;
}

/**
 * One table's rows on their way into a Parquet file, held as column arrays of checked values. A row that does not fit
 * the schema is refused whole at `append` (with the column named), so a buffer never holds half a row and encoding
 * never fails on data. `bytes` is an estimate of what the buffer holds, for flush decisions.
 */
export class TableBuffer {
  private columns: unknown[][];
  private readonly scratch: unknown[];
  rows = 0;
  bytes = 0;

  constructor(readonly spec: TableSpec) {
    this.columns = spec.columns.map(() => []);
    this.scratch = new Array<unknown>(spec.columns.length);
  }

  append(row: Readonly<Record<string, unknown>>): void {
    const { columns } = this.spec;
    // Checked whole first, so a bad value leaves no column a row longer than the others.
    const values = this.scratch;
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      values[c] = physicalValue(col, row[col.name], this.rows);
    }
    let bytes = 0;
    for (let c = 0; c < columns.length; c++) {
      const v = values[c];
      this.columns[c]!.push(v);
      bytes += typeof v === 'string' ? v.length + 8 : Array.isArray(v) ? 16 + (v as string[]).join('').length : 8;
    }
    this.bytes += bytes;
    this.rows++;
  }

  /** Forgets every row after the first `rows` (a failed session's, say). */
  truncate(rows: number): void {
    if (rows >= this.rows) return;
    for (const values of this.columns) values.length = rows;
    this.rows = rows;
    this.bytes = rows === 0 ? 0 : this.bytes;
  }

  /** Encodes the buffered rows as one single-row-group Parquet file and empties the buffer. */
  async drain(): Promise<Uint8Array> {
    const data = Object.fromEntries(this.spec.columns.map((col, c) => [col.name, this.columns[c]!]));
    const rows = this.rows;
    this.columns = this.spec.columns.map(() => []);
    this.rows = 0;
    this.bytes = 0;
    return encodeChecked(this.spec.columns, data, Math.max(rows, 1));
  }
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
  const checked: Record<string, unknown[]> = {};
  for (const col of columns) {
    const values = data[col.name];
    if (values === undefined) throw new RangeError(`no data for column ${col.name}`);
    if (values.length !== rowCount) {
      throw new RangeError(`column ${col.name} has ${values.length} values, expected ${rowCount}`);
    }
    checked[col.name] = values.map((v, i) => physicalValue(col, v, i));
  }
  return encodeChecked(columns, checked, rowGroupSize);
}

/** The encoder proper, over values physicalValue already checked and converted. */
async function encodeChecked(
  columns: readonly ColumnSpec[],
  data: Readonly<Record<string, unknown[]>>,
  rowGroupSize: number,
): Promise<Uint8Array> {
  const columnData: ColumnSource[] = columns.map((col) => ({
    name: col.name,
    data: data[col.name]!,
    // A page index on JSON would copy whole documents into the footer, and nobody filters on them.
    columnIndex: col.type !== 'json',
  }));
  await initZstd();
  const writer = new ByteWriter();
  const pq = new ParquetWriter({
    writer,
    schema: [{ name: 'root', num_children: columns.length }, ...columns.flatMap((col) => schemaElements(col, false))],
    codec: 'ZSTD',
    compressors: { ZSTD: zstdFrame },
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
 * Checks one value against its column's type and converts it to what hyparquet-writer stores for it, so a bad value
 * fails with the column and row named instead of deep inside the encoder (or, for int64 numbers, silently rounded).
 */
function physicalValue(col: ColumnSpec, v: unknown, row: number): unknown {
  if (v === null || v === undefined) return col.nullable ? null : badValue(col, v, row, `a non-null ${col.type}`);
  switch (col.type) {
    case 'string':
      return typeof v === 'string' ? v : badValue(col, v, row, 'a string');
    case 'json':
      return typeof v === 'string' ? v : (toJsonText(v) ?? badValue(col, v, row, 'a JSON-serialisable value'));
    case 'int32':
      return typeof v === 'number' && Number.isInteger(v) && (v | 0) === v ? v : badValue(col, v, row, 'an int32');
    case 'int64':
      return toInt64(v) ?? badValue(col, v, row, 'an int64 (bigint, safe-integer number or decimal string)');
    case 'double':
      return typeof v === 'number' ? v : badValue(col, v, row, 'a number');
    case 'boolean':
      return typeof v === 'boolean' ? v : badValue(col, v, row, 'a boolean');
    case 'timestamp_ms':
      return (typeof v === 'bigint' ? toInt64(v) : toEpochMs(v)) ?? badValue(col, v, row, 'epoch ms or a valid Date');
    case 'string_list':
      return isStringList(v) ? v : badValue(col, v, row, 'an array of non-null strings');
  }
}

// Kept out of physicalValue, which runs for every value: a closure created per call costs more than the check.
function badValue(col: ColumnSpec, v: unknown, row: number, expected: string): never {
  throw new ParquetValueError(`column ${col.name} row ${row}: expected ${expected}, got ${describe(v)}`);
}

function isStringList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const s of v) if (typeof s !== 'string') return false;
  return true;
}

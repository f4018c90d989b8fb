/**
 * The lake's tables: every column with its type and meaning. The Parquet writer, the README's schema reference and
 * the tests all read this one definition.
 */

/** Logical column types; the Parquet writer maps each to a physical type with the right annotation. */
export type ColumnType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'double'
  | 'boolean'
  /** Epoch milliseconds, UTC; Parquet TIMESTAMP(MILLIS, isAdjustedToUTC=true). */
  | 'timestamp_ms'
  /** A list of strings; Parquet LIST<STRING>. */
  | 'string_list'
  /** JSON text; Parquet STRING with the JSON logical type. */
  | 'json';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly description: string;
}

export interface TableSpec {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
}

/** Reads rows back from the lake's Parquet files (verify, `play`), with the codec the writer used. */
import { parquetReadObjects } from 'hyparquet';
import type { ParquetQueryFilter, ParquetRow } from 'hyparquet';
import type { LakeStore } from './lake-store';
import { initZstd, zstdUnframe } from './zstd';

export class UnreadableParquetError extends Error {
  override readonly name = 'UnreadableParquetError';
}

/** The rows of one lake file, or undefined when it does not exist; a file that is not Parquet throws. */
export async function readParquetRows(
  lake: LakeStore,
  key: string,
  opts: { columns?: string[]; filter?: ParquetQueryFilter } = {},
): Promise<ParquetRow[] | undefined> {
  const body = await lake.get(key);
  if (!body) return undefined;
  await initZstd();
  try {
    return await parquetReadObjects({
      file: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
      ...(opts.columns ? { columns: opts.columns } : {}),
      ...(opts.filter ? { filter: opts.filter } : {}),
      compressors: { ZSTD: (input: Uint8Array) => zstdUnframe(input) },
    });
  } catch (err) {
    throw new UnreadableParquetError(`${lake.uri(key)} is not readable Parquet: ${(err as Error).message}`);
  }
}

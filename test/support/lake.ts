/** Reading an exported lake back the way analysts will: DuckDB over the Parquet files, zstd for raw blobs. */
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { decompress } from 'fzstd';

export async function duckdb() {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** `read_parquet` over one table of a local lake, with hive partition columns. */
export function table(lakeDir: string, name: string): string {
  return `read_parquet('${lakeDir}/${name}/**/*.parquet', hive_partitioning = true)`;
}

/** Decompressed with fzstd, an independent zstd implementation from the one that wrote the blob. */
export function readRawBlob(path: string): string[] {
  const text = Buffer.from(decompress(readFileSync(path))).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

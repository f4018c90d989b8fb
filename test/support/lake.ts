/** Reading an exported lake back the way analysts will: DuckDB over the Parquet files, zstd for raw blobs. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
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

/** Sorts one object of a lake into a snapshot. */
function add(snapshot: LakeSnapshot, key: string, body: Buffer): void {
  if (key.startsWith('_manifests/')) {
    const { run: _run, ...rest } = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    snapshot.manifests[key] = rest;
  } else if (key.startsWith('_')) snapshot.other.push(key);
  else snapshot.data[key] = createHash('sha256').update(body).digest('hex');
}

export interface LakeSnapshot {
  /** SHA-256 of every data file (Parquet, raw blobs), by key. */
  data: Record<string, string>;
  /** Every manifest (the pointer and each version) without its run block, the one part that names the run. */
  manifests: Record<string, unknown>;
  /** Anything else: staging, temporary files, probes — what must not survive a commit. */
  other: string[];
}

/** A local lake as comparable data: two exports of the same source must give equal snapshots. */
export function snapshotLake(dir: string): LakeSnapshot {
  const snapshot: LakeSnapshot = { data: {}, manifests: {}, other: [] };
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const key = relative(dir, full).split(sep).join('/');
      if (statSync(full).isDirectory()) walk(full);
      else add(snapshot, key, readFileSync(full));
    }
  };
  walk(dir);
  return snapshot;
}

/** The same snapshot of an S3 lake under `prefix`. */
export async function snapshotS3Lake(s3: S3Client, bucket: string, prefix: string): Promise<LakeSnapshot> {
  const snapshot: LakeSnapshot = { data: {}, manifests: {}, other: [] };
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      add(snapshot, o.Key!.slice(prefix.length + 1), Buffer.from(await res.Body!.transformToByteArray()));
    }
    token = page.NextContinuationToken;
  } while (token);
  return snapshot;
}

/** Each session's raw blob key, from the lake's `sessions` table. */
export async function rawBlobKeys(lakeDir: string): Promise<Map<string, string>> {
  const db = await duckdb();
  try {
    const rows = await db.rows<{ session_id: string; raw_blob_key: string }>(
      `SELECT session_id, raw_blob_key FROM ${table(lakeDir, 'sessions')} WHERE raw_blob_key IS NOT NULL`,
    );
    return new Map(rows.map((r) => [r.session_id, r.raw_blob_key]));
  } finally {
    db.close();
  }
}

/**
 * One-call readers for each storage generation, composing fetch (I/O) and decode (CPU) for callers that do not need
 * the two apart.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { decodeMaterials } from './decode';
import type { SourceError } from './errors';
import type { Materials } from './materials';
import { emptyMaterials, fetchLegacyRows, fetchV1Files, fetchV2Blocks } from './materials';
import type { SnapshotEvent } from './snapshot-events';

export interface ReadResult {
  events: SnapshotEvent[];
  errors: SourceError[];
  /** Compressed bytes fetched from storage. */
  bytesRead: number;
  /** Decompressed bytes. */
  bytesDecoded: number;
}

async function read(fill: (m: Materials) => Promise<void>): Promise<ReadResult> {
  const m = emptyMaterials();
  await fill(m);
  const d = decodeMaterials(m);
  return { events: d.events, errors: d.errors, bytesRead: m.bytesRead, bytesDecoded: d.bytesDecoded };
}

export function readBlocks(
  s3: S3Client,
  blockUrls: readonly string[],
  opts: { signal?: AbortSignal } = {},
): Promise<ReadResult> {
  return read((m) => fetchV2Blocks(s3, blockUrls, m, opts.signal));
}

export function readV1Files(
  s3: S3Client,
  bucket: string,
  prefix: string,
  opts: { signal?: AbortSignal } = {},
): Promise<ReadResult> {
  return read((m) => fetchV1Files(s3, bucket, prefix, m, opts.signal));
}

export function readLegacy(
  client: ClickHouseClient,
  teamId: number,
  sessionId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<ReadResult> {
  return read((m) => fetchLegacyRows(client, teamId, sessionId, m, opts.signal));
}

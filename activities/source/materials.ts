/**
 * A session's recording as fetched from storage, before any CPU-heavy work: compressed v2 block slices, gzip v1
 * files and legacy chunk rows. Fetching (I/O, main thread) and decoding (CPU, worker threads) are split here so that
 * heartbeats keep flowing while big sessions decode.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { coalesceRanges, parseBlockUrl } from './block-url';
import type { BlockRef } from './block-url';
import { BlockLengthError, getRange, toSourceError } from './errors';
import type { SourceError } from './errors';
import { listV1Files } from './v1-files';

export interface Materials {
  /** Raw-snappy v2 blocks in block-URL order (duplicates by URL removed). */
  v2Blocks: Array<{ location: string; data: Uint8Array }>;
  /** Gzip JSONL v1 files in start-time order. */
  v1Files: Array<{ location: string; data: Uint8Array }>;
  /** Legacy `snapshot_data` values with their window ids, one per distinct row uuid. */
  legacyRows: Array<{ location: string; windowId: string; snapshotData: string }>;
  errors: SourceError[];
  bytesRead: number;
}

export function emptyMaterials(): Materials {
  return { v2Blocks: [], v1Files: [], legacyRows: [], errors: [], bytesRead: 0 };
}

export async function fetchV2Blocks(
  s3: S3Client,
  blockUrls: readonly string[],
  into: Materials,
  signal?: AbortSignal,
): Promise<void> {
  const refs: BlockRef[] = [];
  const seen = new Set<string>();
  for (const url of blockUrls) {
    if (seen.has(url)) continue;
    seen.add(url);
    try {
      refs.push(parseBlockUrl(url));
    } catch (err) {
      into.errors.push(toSourceError(url, err));
    }
  }
  const slices = new Map<string, Uint8Array>();
  for (const group of coalesceRanges(refs)) {
    let buf: Buffer;
    try {
      buf = await getRange(s3, group.bucket, group.key, group.start, group.end, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      for (const b of group.blocks) into.errors.push(toSourceError(b.url, err));
      continue;
    }
    into.bytesRead += buf.length;
    for (const b of group.blocks) {
      const slice = buf.subarray(b.start - group.start, b.end - group.start + 1);
      const wanted = b.end - b.start + 1;
      if (slice.length !== wanted) {
        into.errors.push(
          toSourceError(
            b.url,
            new BlockLengthError(
              `expected ${wanted} bytes, the object holds ${slice.length} in that range (object shorter than the block URL says)`,
            ),
          ),
        );
      } else slices.set(b.url, slice);
    }
  }
  // Keep the caller's order (PostHog sorts blocks by first timestamp before handing them out).
  for (const ref of refs) {
    const data = slices.get(ref.url);
    if (data) into.v2Blocks.push({ location: ref.url, data });
  }
}

export async function fetchV1Files(
  s3: S3Client,
  bucket: string,
  prefix: string,
  into: Materials,
  signal?: AbortSignal,
): Promise<void> {
  for (const file of await listV1Files(s3, bucket, prefix, signal)) {
    const location = `s3://${bucket}/${file.key}`;
    try {
      if (file.size === 0) throw new BlockLengthError('empty v1 recording file');
      const data = await getRange(s3, bucket, file.key, 0, file.size - 1, signal);
      into.bytesRead += data.length;
      into.v1Files.push({ location, data });
    } catch (err) {
      if (signal?.aborted) throw err;
      into.errors.push(toSourceError(location, err));
    }
  }
}

export async function fetchLegacyRows(
  client: ClickHouseClient,
  teamId: number,
  sessionId: string,
  into: Materials,
  signal?: AbortSignal,
): Promise<void> {
  // ReplacingMergeTree on uuid: unmerged copies of a row can coexist, so take one per uuid.
  const rs = await client.query({
    query: `SELECT toString(uuid) AS uuid, any(window_id) AS window_id, any(snapshot_data) AS snapshot_data, min(timestamp) AS ts
            FROM session_recording_events
            PREWHERE team_id = {team:Int64} AND session_id = {session:String}
            GROUP BY uuid ORDER BY ts, uuid`,
    query_params: { team: teamId, session: sessionId },
    format: 'JSONEachRow',
    abort_signal: signal,
  });
  for (const row of await rs.json<{ uuid: string; window_id: string; snapshot_data: string }>()) {
    into.bytesRead += row.snapshot_data.length;
    into.legacyRows.push({
      location: `session_recording_events uuid=${row.uuid}`,
      windowId: row.window_id,
      snapshotData: row.snapshot_data,
    });
  }
}

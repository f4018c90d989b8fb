/**
 * Blob v1 ("Mr. Blobby"): one gzip JSONL object per session buffer flush under
 * `{prefix}/team_id/{team}/session_id/{session}/data/{firstMs}-{lastMs}`. Lists the session's prefix (every page)
 * and orders files by their start time.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export function v1SessionPrefix(prefix: string, teamId: number, sessionId: string): string {
  return `${prefix}/team_id/${teamId}/session_id/${sessionId}/data/`;
}

/** The API strips anything after a dot and parses `start-end` (older experimental names may lack the end). */
function fileStart(key: string): number {
  const name = key.slice(key.lastIndexOf('/') + 1).split('.')[0] ?? '';
  const start = Number(name.split('-')[0]);
  return Number.isFinite(start) ? start : Number.MAX_SAFE_INTEGER;
}

export async function listV1Files(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<Array<{ key: string; size: number }>> {
  const files: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
      abortSignal: signal,
    });
    for (const o of page.Contents ?? []) if (o.Key) files.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return files.sort((a, b) => fileStart(a.key) - fileStart(b.key) || a.key.localeCompare(b.key));
}

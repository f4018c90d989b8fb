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

/**
 * The first event time a file's name declares. PostHog's API strips anything after a dot and parses `start-end`;
 * older experimental names may hold another number or none, and then say nothing.
 */
export function fileStart(key: string): number | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1).split('.')[0] ?? '';
  const start = Number(name.split('-')[0]);
  return name !== '' && Number.isSafeInteger(start) ? start : undefined;
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
  const order = (key: string) => fileStart(key) ?? Number.MAX_SAFE_INTEGER;
  return files.sort((a, b) => order(a.key) - order(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

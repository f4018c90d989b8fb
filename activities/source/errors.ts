/** What every source reader shares: ranged GETs and the error records a bad block or file becomes. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export interface SourceError {
  /** The block URL, object key or row the error is about. */
  readonly location: string;
  readonly errorClass: string;
  readonly message: string;
}

export class BlockLengthError extends Error {
  override readonly name = 'BlockLengthError';
}
export class CorruptBlockError extends Error {
  override readonly name = 'CorruptBlockError';
}

export function toSourceError(location: string, err: unknown): SourceError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { location, errorClass: e.name || 'Error', message: e.message };
}

export async function getRange(
  s3: S3Client,
  bucket: string,
  key: string,
  start: number,
  end: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }), {
    abortSignal: signal,
  });
  if (!res.Body) throw new BlockLengthError(`empty body for s3://${bucket}/${key} bytes=${start}-${end}`);
  return Buffer.from(await res.Body.transformToByteArray());
}

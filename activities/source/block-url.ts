/**
 * PostHog's v2 block pointers: `s3://{bucket}/{key}?range=bytes={start}-{end}` with `end` inclusive. Bucket and key
 * always come from the URL itself: installs differ in bucket and prefix (`session_recordings`,
 * `session_recording_batches`), so nothing here assumes either.
 */
export interface BlockRef {
  readonly url: string;
  readonly bucket: string;
  readonly key: string;
  readonly start: number;
  /** Inclusive, as in the URL. */
  readonly end: number;
}

export class BadBlockUrlError extends Error {
  override readonly name = 'BadBlockUrlError';
}

const RANGE = /^range=bytes=(\d+)-(\d+)$/;

export function parseBlockUrl(url: string): BlockRef {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadBlockUrlError(`block URL is not a URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (parsed.protocol !== 's3:') throw new BadBlockUrlError(`block URL must use s3://, got ${parsed.protocol}//`);
  const bucket = parsed.hostname;
  const key = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const match = RANGE.exec(parsed.search.replace(/^\?/, ''));
  if (!bucket || !key) throw new BadBlockUrlError(`block URL lacks a bucket or key: ${url}`);
  if (!match) throw new BadBlockUrlError(`block URL lacks a byte range (?range=bytes=START-END): ${url}`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new BadBlockUrlError(`block URL has an impossible byte range ${start}-${end}: ${url}`);
  }
  return { url, bucket, key, start, end };
}

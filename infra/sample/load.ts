/**
 * Loads a sample into the running local stack once. Metadata rows are appended, so loading the same sample twice
 * would double PostHog's counters; a marker object in the PostHog bucket, written last, makes a second load a no-op.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import { s3ClientForStack } from '../stack';
import type { StackState } from '../state';
import type { SampleSummary } from './generate';
import { generateSample } from './generate';
import type { SampleOptions } from './options';
import { SampleOptionsError } from './options';

export interface LoadedSample {
  summary: SampleSummary;
  alreadyLoaded: boolean;
}

function safeSeed(seed: string): string {
  return seed.replace(/[^A-Za-z0-9._-]/g, '_');
}

async function readMarker(s3: S3Client, bucket: string, key: string): Promise<SampleSummary | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await res.Body?.transformToString()) ?? '{}') as SampleSummary;
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}

export async function loadSample(
  state: StackState,
  options: SampleOptions,
  opts: { outDir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<LoadedSample> {
  const outDir = opts.outDir ?? join(state.root, 'samples', safeSeed(options.seed));
  const bucket = state.minio.buckets.posthog;
  const markerKey = `replaylake-samples/${safeSeed(options.seed)}/summary.json`;
  const s3 = s3ClientForStack(state);
  try {
    const existing = await readMarker(s3, bucket, markerKey);
    if (existing) {
      const same = JSON.stringify({ ...options, now: existing.options.now }) === JSON.stringify(existing.options);
      if (!same) {
        throw new SampleOptionsError(
          `seed ${JSON.stringify(options.seed)} was already loaded with other options; pick another seed or run npm run stack:down -- --purge`,
        );
      }
      return { summary: existing, alreadyLoaded: true };
    }
    const { url, user: username, password } = state.clickhouse;
    const clickhouse = createClient({ url, username, password });
    try {
      const summary = await generateSample({ s3, bucket, clickhouse, outDir }, options, opts.onProgress);
      writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: markerKey, Body: JSON.stringify(summary) }));
      return { summary, alreadyLoaded: false };
    } finally {
      await clickhouse.close();
    }
  } finally {
    s3.destroy();
  }
}

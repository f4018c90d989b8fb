/**
 * What every export test starts from: its own chDB server with PostHog's schema, its own source bucket holding a
 * generated sample (with its ground truth), a fresh lake directory, and a worker on a real Temporal dev server.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { generateSample } from '../../infra/sample/generate';
import type { SampleSummary } from '../../infra/sample/generate';
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { parseSampleOptions } from '../../infra/sample/options';
import type { ExportWindowInput } from '../../workflows/export-window';
import type { ExportOptions } from '../../worker/config';
import type { ExportEnv } from './export-env';
import { startExportEnv } from './export-env';
import type { TestClickHouse } from './stack';
import { freshBucket, freshClickHouse, stackS3 } from './stack';

/** The generator's "now": every sample day ends well before it, so sessions are settled. */
export const NOW = Date.parse('2026-11-26T12:00:00Z');
export const DAY_MS = 86_400_000;
export const SAMPLE_DAY = Date.parse('2026-10-31T00:00:00Z');

/** A window over whole days with small batches, so that a small sample still runs several batches at once. */
export function testWindow(overrides: Partial<ExportWindowInput> = {}): ExportWindowInput {
  return {
    teams: [1, 2, 3, 4],
    startMs: SAMPLE_DAY,
    endMs: SAMPLE_DAY + DAY_MS,
    settleHours: 24,
    batchSize: 7,
    batchBytes: 256 * 1024 * 1024,
    parallelism: 3,
    heartbeatSeconds: 30,
    settledBeforeMs: NOW,
    ...overrides,
  };
}

export interface ExportFixture {
  s3: S3Client;
  ch: TestClickHouse;
  bucket: string;
  sample: SampleSummary;
  truths: SessionTruth[];
  lakeDir: string;
  lakeUri: string;
  ex: ExportEnv;
  /** Sessions the window exports: not tombstoned, not live, starting in it. */
  expected(startMs?: number, endMs?: number): SessionTruth[];
  close(): Promise<void>;
}

export function readTruths(manifest: string): SessionTruth[] {
  return readFileSync(manifest, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SessionTruth);
}

export async function exportFixture(
  label: string,
  sample: {
    sessions: number;
    seed?: string;
    start?: string;
    days?: number;
    generations?: Array<'v2' | 'v1' | 'legacy'>;
  },
  opts: { port?: number; lakeUri?: string } = {},
): Promise<ExportFixture> {
  const s3 = stackS3();
  const ch = await freshClickHouse();
  const bucket = await freshBucket(s3, label);
  const summary = await generateSample(
    { s3, bucket, clickhouse: ch.client, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
    parseSampleOptions({ seed: label, start: '2026-10-31', days: 1, now: NOW, ...sample }),
  );
  const truths = readTruths(summary.manifest);
  const lakeDir = mkdtempSync(join(tmpdir(), `replaylake-${label}-lake-`));
  const lakeUri = opts.lakeUri ?? pathToFileURL(lakeDir).href;
  const ex = await startExportEnv({ clickhouse: ch, sourceBucket: bucket, lakeUri, taskQueue: label, port: opts.port });
  return {
    s3,
    ch,
    bucket,
    sample: summary,
    truths,
    lakeDir,
    lakeUri,
    ex,
    expected: (startMs = SAMPLE_DAY, endMs = SAMPLE_DAY + DAY_MS) =>
      truths.filter((t) => !t.deleted && !t.live && t.start_ms >= startMs && t.start_ms < endMs),
    async close() {
      await ex.close();
      await ch.close();
      s3.destroy();
    },
  };
}

/** The settings part of testWindow, for backfills and nightly runs (which choose their own days). */
export function testOptions(overrides: Partial<ExportWindowInput> = {}): ExportOptions {
  const { teams: _t, startMs: _s, endMs: _e, settledBeforeMs: _b, resume: _r, ...options } = testWindow(overrides);
  return options;
}

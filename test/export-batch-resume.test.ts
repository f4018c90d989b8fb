/**
 * A batch that dies half way (fault injected: the worker "crashes" at its fourth heartbeat, which no real part does
 * on demand) resumes from its last heartbeat on retry: finished sessions are not read or decoded again, and the
 * files it commits are byte for byte those of an uninterrupted run.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../activities/decode-pool';
import type { BatchHeartbeat, ExportBatchInput, ExportDeps } from '../activities/export-batch';
import { exportBatch } from '../activities/export-batch';
import { LocalLakeStore } from '../activities/lake-store';
import { listSessionsPage } from '../activities/list-sessions';
import { generateSample } from '../infra/sample/generate';
import { parseSampleOptions } from '../infra/sample/options';
import { exportWindowId } from '../workflows/window';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const DAY = Date.parse('2026-10-31T00:00:00Z');

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('resuming a batch from its heartbeat', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let pool: DecodePool;
  let bucket: string;
  let input: ExportBatchInput;

  const deps = (lakeDir: string, decode: ExportDeps['pool']): ExportDeps => ({
    clickhouse,
    sourceS3: s3,
    v1S3: s3,
    v1Bucket: bucket,
    v1Prefix: 'session_recordings',
    lake: new LocalLakeStore(lakeDir),
    pool: decode,
    withLegacy: () => Promise.resolve(true),
  });

  beforeAll(async () => {
    const ch = await freshClickHouse();
    clickhouse = ch.client;
    bucket = await freshBucket(s3, 'resume');
    await generateSample(
      { s3, bucket, clickhouse, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
      parseSampleOptions({ sessions: 16, seed: 'resume', now: NOW }),
    );
    const window = {
      windowId: exportWindowId(DAY, DAY + 86_400_000, [1, 2, 3, 4]),
      teams: [1, 2, 3, 4],
      startMs: DAY,
      endMs: DAY + 86_400_000,
      settledBeforeMs: NOW,
    };
    const page = await listSessionsPage(clickhouse, window, null, 1000, { withLegacy: true });
    input = { window, batchIndex: 0, sessions: page.sessions };
    pool = new DecodePool(1);
  });

  afterAll(async () => {
    await pool?.close();
    await clickhouse?.close();
    s3.destroy();
  });

  it('redoes only the sessions the crashed attempt had not finished, and writes the same files', async () => {
    expect(input.sessions.length).toBeGreaterThan(8);
    const clean = mkdtempSync(join(tmpdir(), 'replaylake-resume-clean-'));
    await exportBatch(deps(clean, pool), input, { heartbeat: () => undefined }, 1);

    const resumed = mkdtempSync(join(tmpdir(), 'replaylake-resume-'));
    let last: BatchHeartbeat | undefined;
    let beats = 0;
    const crash = exportBatch(
      deps(resumed, pool),
      input,
      {
        heartbeat: (d) => {
          last = d as BatchHeartbeat;
          if (++beats === 4) throw new Error('worker crashed (injected fault)');
        },
      },
      1,
    );
    await expect(crash).rejects.toThrow('injected fault');
    expect(last?.done).toHaveLength(4);

    let decoded = 0;
    const counting: ExportDeps['pool'] = { run: (task, signal) => (decoded++, pool.run(task, signal)) };
    const result = await exportBatch(
      deps(resumed, counting),
      input,
      { heartbeat: () => undefined, resumeDone: last!.done },
      1,
    );
    expect(decoded).toBe(input.sessions.length - 4);
    expect(result.sessions).toBe(input.sessions.length);
    expect(files(resumed)).toEqual(files(clean));
  });
});

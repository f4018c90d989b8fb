/**
 * A batch that dies half way resumes from the checkpoint it left in storage — inside a long session, not from its
 * start — and writes exactly the files an uninterrupted run writes. The crash is injected (the lake "fails" on a
 * chosen write in the middle of a flush, which no real part does on demand); the reliability suite does the same with
 * a real kill -9 of a worker process.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchDeps, ExportBatchInput } from '../activities/export-batch';
import type { BatchCheckpoint } from '../activities/lake-records';
import { exportBatch } from '../activities/export-batch';
import { StoreError } from '../activities/failures';
import { KEEP_EVERYTHING } from '../activities/privacy';
import type { LakeStore } from '../activities/lake-store';
import { LocalLakeStore } from '../activities/lake-store';
import { listSessionsPage } from '../activities/listing';
import { probeSourceSchema } from '../activities/source-schema';
import { exportWindowId } from '../common/windows';
import { writeLongSession } from '../infra/sample/fixture-sessions';
import { DAY_MS, NOW, SAMPLE_DAY } from './support/export-fixture';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

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

/** Injected fault: the lake throws on the write whose key matches, once, as if the worker died right there. */
function crashingLake(inner: LakeStore, at: (key: string) => boolean): LakeStore {
  let crashed = false;
  return Object.assign(Object.create(inner) as LakeStore, {
    async put(key: string, body: Uint8Array) {
      if (!crashed && at(key)) {
        crashed = true;
        throw new StoreError('lake', 'transient', 'EIO', 'worker crashed (injected fault)');
      }
      return inner.put(key, body);
    },
  });
}

/** Counts the GETs a run sends to the source store. */
function countingS3(inner: S3Client): { s3: S3Client; gets: () => number } {
  let gets = 0;
  const s3 = Object.assign(Object.create(inner) as S3Client, {
    send: (command: { constructor: { name: string } }, ...rest: unknown[]) => {
      if (command.constructor.name === 'GetObjectCommand') gets++;
      return (inner.send as (...args: unknown[]) => unknown)(command, ...rest);
    },
  });
  return { s3, gets: () => gets };
}

describe('resuming a batch from its checkpoint', () => {
  const s3 = stackS3();
  let ch: TestClickHouse;
  let bucket: string;
  let input: ExportBatchInput;
  const blocks: number[] = [];

  const deps = (lake: LakeStore, source: S3Client): BatchDeps => ({
    fetch: { clickhouse: ch.client, sourceS3: source, v1S3: source, v1Bucket: bucket, v1Prefix: 'session_recordings' },
    clickhouse: ch.client,
    lake,
    schema: () => probeSourceSchema(ch.client, 'default'),
    // Small buffers: the long session is checkpointed several times on its way through.
    settings: {
      bufferBytes: 2 * 1024 * 1024,
      prefetchBytes: 1024 * 1024,
      fetchConcurrency: 4,
      maxSessionBytes: 0,
      privacy: { policy: KEEP_EVERYTHING, teams: {} },
      threadHeapMB: 256,
      maxLineBytes: 16 * 1024 * 1024,
    },
    configDigest: 'test',
  });

  beforeAll(async () => {
    ch = await freshClickHouse();
    bucket = await freshBucket(s3, 'resume');
    for (const [i, mb] of [
      [1, 1],
      [2, 12],
      [3, 1],
    ] as const) {
      const written = await writeLongSession(
        { s3, bucket, clickhouse: ch.client },
        {
          sessionId: `01a1d000-0000-7000-8000-00000000000${i}`,
          teamId: 1,
          distinctId: `person-${i}`,
          windowId: `window-${i}`,
          startMs: SAMPLE_DAY + i * 3_600_000,
          targetBytes: mb * 1_000_000,
        },
      );
      blocks.push(written.blocks);
    }
    const window = {
      windowId: exportWindowId(SAMPLE_DAY, SAMPLE_DAY + DAY_MS, [1]),
      teams: [1],
      startMs: SAMPLE_DAY,
      endMs: SAMPLE_DAY + DAY_MS,
      settledBeforeMs: NOW,
    };
    const schema = await probeSourceSchema(ch.client, 'default');
    const page = await listSessionsPage(ch.client, schema, window, null, 1000);
    input = { window, batchIndex: 0, sessions: page.sessions, run: { workflowId: 'resume-test', chainId: 'chain-1' } };
  });

  afterAll(async () => {
    await ch?.close();
    s3.destroy();
  });

  it('continues inside the long session after a crash mid-flush, and writes the same files', async () => {
    expect(input.sessions).toHaveLength(3);
    const clean = mkdtempSync(join(tmpdir(), 'replaylake-resume-clean-'));
    const cleanRun = await exportBatch(deps(new LocalLakeStore(clean), s3), input);
    expect(cleanRun.totals.sessions).toBe(3);
    expect(Object.keys(files(clean)).filter((k) => k.includes('checkpoint-')).length).toBeGreaterThanOrEqual(4);

    const resumed = mkdtempSync(join(tmpdir(), 'replaylake-resume-'));
    const lake = new LocalLakeStore(resumed);
    // Dies while writing the files of the batch's fifth flush, which happens inside the long (second) session.
    const crash = exportBatch(
      deps(
        crashingLake(lake, (k) => k.startsWith('events/') && k.endsWith('-0004.parquet')),
        s3,
      ),
      input,
    );
    await expect(crash).rejects.toThrow('injected fault');
    const checkpoints = Object.keys(files(resumed)).filter((k) => k.includes('checkpoint-'));
    expect(checkpoints.map((k) => k.slice(-20))).toEqual([
      'checkpoint-0001.json',
      'checkpoint-0002.json',
      'checkpoint-0003.json',
      'checkpoint-0004.json',
    ]);
    const last = JSON.parse(readFileSync(join(resumed, checkpoints[3]!), 'utf8')) as BatchCheckpoint;
    expect(last.session?.sessionId).toBe(input.sessions[1]!.sessionId);

    const counted = countingS3(s3);
    const result = await exportBatch(deps(lake, counted.s3), input);
    // Fetched again: the long session's blocks from where checkpoint 4 stood (the ones still open there included)
    // and the session after it; nothing before.
    const merge = last.session!.merge;
    expect(counted.gets()).toBe(blocks[1]! - merge.opened + merge.cursors.length + blocks[2]!);
    expect(merge.opened - merge.cursors.length).toBeGreaterThan(0);
    expect(result).toEqual(cleanRun);
    expect(files(resumed)).toEqual(files(clean));
  });
});

/**
 * One session no retry can fix does not hold back the rest: it is marked failed (its `sessions` row, an
 * `export_errors` row with the class and message), every other session commits, `status` shows the cause while the
 * run goes on, and `replaylake export` ends with exit code 4 (completed with errors). And two worker processes share
 * one task queue and one ClickHouse: when one is killed mid-run, the other finishes, and the lake is the one a single
 * worker writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../infra/sample/generate';
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { writeLongSession } from '../../infra/sample/fixture-sessions';
import { metadataRow } from '../../infra/sample/generate';
import { batchFileKey, blockUrl, computeBlockMetrics, retentionDays } from '../../infra/sample/posthog-block-metrics';
import { parseSampleOptions } from '../../infra/sample/options';
import { exportWindow } from '../../workflows/export-window';
import { NOW, SAMPLE_DAY, readTruths, testWindow } from '../support/export-fixture';
import { duckdb, snapshotLake, table } from '../support/lake';
import type { TestClickHouse } from '../support/stack';
import { freshBucket, freshClickHouse, stackS3 } from '../support/stack';
import { startTemporal } from '../support/temporal';
import { stackWorkerConfig, startWorker, workerEnv, writeConfig } from '../support/worker-process';

const BIN = join(__dirname, '..', '..', 'bin', 'replaylake');
const KIOSK = '01a1d000-0000-7000-8000-00000000beef';
/**
 * Team 5, exported with a 40 MB heap per batch thread and a buffer far larger than that (a misconfiguration, so that
 * rows pile up): a session with one 96 MB event, one long enough to fill the heap with rows, and a normal one.
 */
const GIANT = '01a1d000-0000-7000-8000-0000000091a7';
const NEIGHBOUR = '01a1d000-0000-7000-8000-0000000091a8';
const HOARDER = '01a1d000-0000-7000-8000-0000000091a9';
const HEAP_TEAM = 5;

/** One block holding a Meta event and a custom event whose payload is `mb` megabytes of text. */
async function writeGiantSession(s3: S3Client, bucket: string, ch: TestClickHouse, mb: number): Promise<void> {
  const t0 = SAMPLE_DAY + 7_200_000;
  const events = [
    {
      windowId: 'giant-window',
      event: { type: 4, timestamp: t0, data: { href: 'https://kiosk.example/', width: 800, height: 600 } },
    },
    {
      windowId: 'giant-window',
      event: { type: 5, timestamp: t0 + 1, data: { tag: 'dump', payload: { text: 'x'.repeat(mb * 1024 * 1024) } } },
    },
  ];
  const block = compressSync(Buffer.from(events.map((e) => `${JSON.stringify([e.windowId, e.event])}\n`).join('')));
  const key = batchFileKey('session_recordings', '30d', t0 + 10_000, '91a791a791a791a7');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: block }));
  const row = metadataRow(
    {
      sessionId: GIANT,
      teamId: HEAP_TEAM,
      distinctId: 'giant',
      snapshotSource: 'web',
      snapshotLibrary: 'web',
      retentionPeriodDays: retentionDays('30d'),
    },
    computeBlockMetrics(events, { consoleLogIngestionEnabled: true, messageCount: 1 }),
    blockUrl(bucket, key, 0, block.length - 1),
    t0 + 12_000,
  );
  await ch.client.insert({ table: 'kafka_session_replay_events', values: [row], format: 'JSONEachRow' });
}

describe('a poison session and a dying worker', () => {
  const s3 = stackS3();
  let ch: TestClickHouse;
  let temporal: { env: TestWorkflowEnvironment; address: string };
  let bucket: string;
  let truths: SessionTruth[];

  const configFile = (lakeDir: string, extra: Record<string, unknown> = {}) =>
    writeConfig(
      stackWorkerConfig(
        { temporalAddress: temporal.address, taskQueue: 'poison', clickhouse: ch, bucket, lakeDir },
        extra,
      ),
    );

  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    [ch, temporal] = await Promise.all([freshClickHouse(), startTemporal()]);
    bucket = await freshBucket(s3, 'poison');
    const sample = await generateSample(
      { s3, bucket, clickhouse: ch.client, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
      parseSampleOptions({ sessions: 40, seed: 'poison', start: '2026-10-31', days: 1, now: NOW }),
    );
    truths = readTruths(sample.manifest);
    // A kiosk left recording: 4 MB of rrweb, more than the 3 MB the poison run allows a session.
    await writeLongSession(
      { s3, bucket, clickhouse: ch.client },
      {
        sessionId: KIOSK,
        teamId: 1,
        distinctId: 'kiosk',
        windowId: 'kiosk-window',
        startMs: SAMPLE_DAY + 60_000,
        targetBytes: 4_000_000,
      },
    );
    await writeGiantSession(s3, bucket, ch, 96);
    await writeLongSession(
      { s3, bucket, clickhouse: ch.client },
      {
        sessionId: NEIGHBOUR,
        teamId: HEAP_TEAM,
        distinctId: 'neighbour',
        windowId: 'neighbour-window',
        startMs: SAMPLE_DAY + 9_000_000,
        targetBytes: 500_000,
      },
    );
    await writeLongSession(
      { s3, bucket, clickhouse: ch.client },
      {
        sessionId: HOARDER,
        teamId: HEAP_TEAM,
        distinctId: 'hoarder',
        windowId: 'hoarder-window',
        startMs: SAMPLE_DAY + 3_600_000,
        targetBytes: 40_000_000,
      },
    );
  });

  afterAll(async () => {
    await temporal?.env.teardown();
    await ch?.close();
    s3.destroy();
  });

  it('marks the one session failed, commits the rest, shows the cause while running and exits 4', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-poison-lake-'));
    const file = configFile(lakeDir, { export: { maxSessionMB: 3, batchSize: 2, parallelism: 1 } });
    const env = workerEnv(file);
    const worker = startWorker(env);
    await worker.ready;
    try {
      const started = await cli(env, 'export', '--team', '1,2,3,4', '--from', '2026-10-31', '--no-wait', '--json');
      expect(started.code, started.stderr).toBe(0);
      const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
      // Batches run one at a time and the kiosk's comes first (team 1): the run is still going when it has failed.
      let seen: { status: string; progress: { sessionsFailed: number; errorsByClass: Record<string, number> } };
      do {
        seen = JSON.parse((await cli(env, 'status', workflowId, '--json')).stdout) as typeof seen;
      } while (seen.status === 'RUNNING' && (seen.progress?.sessionsFailed ?? 0) === 0);
      expect(seen.status).toBe('RUNNING');
      expect(seen.progress.errorsByClass).toEqual({ SessionTooLargeError: 1 });

      const finished = await cli(env, 'export', '--team', '1,2,3,4', '--from', '2026-10-31');
      expect(finished.code, finished.stderr).toBe(4);
      expect(finished.stdout).toMatch(/\(1 failed\)/);
    } finally {
      await worker.stop();
    }

    const db = await duckdb();
    try {
      const sessions = await db.rows<{ session_id: string; status: string; event_count: string; raw_blob_key: null }>(
        `SELECT session_id, status, event_count, raw_blob_key FROM ${table(lakeDir, 'sessions')}`,
      );
      const exported = truths.filter(
        (t) => !t.deleted && !t.live && t.start_ms >= SAMPLE_DAY && t.start_ms < SAMPLE_DAY + 86_400_000,
      );
      expect(sessions).toHaveLength(exported.length + 1);
      expect(sessions.find((s) => s.session_id === KIOSK)).toEqual({
        session_id: KIOSK,
        status: 'failed',
        event_count: '0',
        raw_blob_key: null,
      });
      expect(sessions.filter((s) => s.session_id !== KIOSK).every((s) => s.status === 'complete')).toBe(true);
      const errors = await db.rows<{ session_id: string; error_class: string; message: string }>(
        `SELECT session_id, error_class, message FROM ${table(lakeDir, 'export_errors')}`,
      );
      expect(errors).toEqual([
        {
          session_id: KIOSK,
          error_class: 'SessionTooLargeError',
          message: expect.stringMatching(/more than export\.maxSessionMB \(3145728 bytes\).*raise the limit/) as string,
        },
      ]);
      const [kioskEvents] = await db.rows<{ n: string }>(
        `SELECT count(*) AS n FROM ${table(lakeDir, 'events')} WHERE session_id = '${KIOSK}'`,
      );
      expect(kioskEvents!.n).toBe('0');
    } finally {
      db.close();
    }
  });

  it('an event too large to parse is recorded, a session that outgrows the heap is marked failed, the rest commits', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-oom-lake-'));
    const worker = startWorker(
      workerEnv(
        configFile(lakeDir, {
          worker: { threadHeapMB: 40, decodeThreads: 1 },
          export: { batchSize: 10, bufferMB: 500 },
        }),
      ),
    );
    await worker.ready;
    try {
      const result = await temporal.env.client.workflow.execute(exportWindow, {
        taskQueue: 'poison',
        workflowId: 'out-of-memory',
        args: [testWindow({ teams: [HEAP_TEAM], batchSize: 10 })],
      });
      expect(result).toMatchObject({ sessions: 3, sessionsFailed: 1, errorsByClass: { SessionOutOfMemoryError: 1 } });
      // The thread that ran out of memory was replaced; the worker process lives on.
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await worker.stop();
    }
    const db = await duckdb();
    try {
      const sessions = await db.rows<{ session_id: string; status: string }>(
        `SELECT session_id, status FROM ${table(lakeDir, 'sessions')} ORDER BY session_id`,
      );
      expect(sessions).toEqual([
        { session_id: GIANT, status: 'partial' },
        { session_id: NEIGHBOUR, status: 'complete' },
        { session_id: HOARDER, status: 'failed' },
      ]);
      const errors = await db.rows<{ session_id: string; error_class: string; message: string }>(
        `SELECT session_id, error_class, message FROM ${table(lakeDir, 'export_errors')} ORDER BY session_id`,
      );
      expect(errors).toEqual([
        {
          session_id: GIANT,
          error_class: 'EventTooLargeError',
          message: expect.stringMatching(
            /^the line is 96\.0 MB, more than the 4\.0 MB a batch thread parses at once; raise worker\.threadHeapMB/,
          ) as string,
        },
        {
          session_id: HOARDER,
          error_class: 'SessionOutOfMemoryError',
          message: expect.stringMatching(
            /needed more than a batch thread's 40 MB heap; raise worker\.threadHeapMB/,
          ) as string,
        },
      ]);
    } finally {
      db.close();
    }
  });

  it('two workers on one queue: one is killed mid-run, the other finishes, the lake is a one-worker lake', async () => {
    const window = testWindow({ batchSize: 3, parallelism: 4, heartbeatSeconds: 8 });
    const single = mkdtempSync(join(tmpdir(), 'replaylake-one-worker-'));
    const one = startWorker(workerEnv(configFile(single)));
    await one.ready;
    await temporal.env.client.workflow.execute(exportWindow, {
      taskQueue: 'poison',
      workflowId: 'one-worker',
      args: [window],
    });
    await one.stop();

    const shared = mkdtempSync(join(tmpdir(), 'replaylake-two-workers-'));
    const env = workerEnv(configFile(shared));
    const doomed = startWorker(env, { crashAt: 'session_exported:2' });
    const survivor = startWorker(env);
    await Promise.all([doomed.ready, survivor.ready]);
    try {
      const result = temporal.env.client.workflow.execute(exportWindow, {
        taskQueue: 'poison',
        workflowId: 'two-workers',
        args: [window],
      });
      expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await result;
    } finally {
      await survivor.stop();
    }
    const a = snapshotLake(single);
    const b = snapshotLake(shared);
    expect(b.other).toEqual([]);
    expect(b.data).toEqual(a.data);
    expect(b.manifests).toEqual(a.manifests);
  });
});

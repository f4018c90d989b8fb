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
import { pathToFileURL } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../infra/sample/generate';
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { writeLongSession } from '../../infra/sample/fixture-sessions';
import { parseSampleOptions } from '../../infra/sample/options';
import { exportWindow } from '../../workflows/export-window';
import { stackMinio } from '../support/export-env';
import { NOW, SAMPLE_DAY, readTruths, testWindow } from '../support/export-fixture';
import { duckdb, snapshotLake, table } from '../support/lake';
import type { TestClickHouse } from '../support/stack';
import { freshBucket, freshClickHouse, stackS3 } from '../support/stack';
import { startTemporal } from '../support/temporal';
import { startWorker, workerEnv, writeConfig } from '../support/worker-process';

const BIN = join(__dirname, '..', '..', 'bin', 'replaylake');
const KIOSK = '01a1d000-0000-7000-8000-00000000beef';

describe('a poison session and a dying worker', () => {
  const s3 = stackS3();
  let ch: TestClickHouse;
  let temporal: { env: TestWorkflowEnvironment; address: string };
  let bucket: string;
  let truths: SessionTruth[];

  const configFile = (lakeDir: string, extra: Record<string, unknown> = {}) => {
    const minio = stackMinio();
    return writeConfig({
      temporal: { address: temporal.address, taskQueue: 'poison' },
      clickhouse: { url: ch.url, username: ch.username, password: ch.password },
      source: { s3: minio, v1: { s3: minio, bucket, prefix: 'session_recordings' } },
      lake: { uri: pathToFileURL(lakeDir).href },
      ...extra,
    });
  };

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

/**
 * The PostHog blob store goes away in the middle of an export: a real MinIO process stopped for 30 s and started
 * again. Whether the lake is a local directory or on that same MinIO, the export retries until the store is back
 * and ends with exactly the lake a clean run writes — nothing recorded as unreadable, nothing missing — while
 * `replaylake status` shows why it is retrying. With wrong source credentials the run fails at once, commits
 * nothing and names the setting; a worker started that way refuses to start.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootFailure } from '../../client/temporal';
import { generateSample } from '../../infra/sample/generate';
import { parseSampleOptions } from '../../infra/sample/options';
import { exportProgressQuery, exportWindow } from '../../workflows/export-window';
import { ConfigSchema } from '../../worker/config';
import { createWorkerRuntime } from '../../worker/runtime';
import { NOW, testWindow } from '../support/export-fixture';
import type { LakeSnapshot } from '../support/lake';
import { snapshotLake, snapshotS3Lake } from '../support/lake';
import type { PrivateMinio } from '../support/minio';
import { startPrivateMinio } from '../support/minio';
import type { TestClickHouse } from '../support/stack';
import { freshClickHouse } from '../support/stack';
import { startTemporal } from '../support/temporal';
import { startWorker, workerEnv, writeConfig } from '../support/worker-process';

const BIN = join(__dirname, '..', '..', 'bin', 'replaylake');
const OUTAGE_MS = 30_000;

describe('the source store goes down mid-run', () => {
  let minio: PrivateMinio;
  let s3: S3Client;
  let ch: TestClickHouse;
  let temporal: { env: TestWorkflowEnvironment; address: string };
  let clean: LakeSnapshot;
  let runs = 0;
  const window = testWindow({ batchSize: 4, parallelism: 2, heartbeatSeconds: 10 });

  const settings = (lake: { uri: string; s3?: boolean }, secret = minio.secretAccessKey) => {
    const endpoint = { endpoint: minio.endpoint, accessKeyId: minio.accessKeyId, secretAccessKey: secret };
    return {
      temporal: { address: temporal.address, taskQueue: 'outage' },
      clickhouse: { url: ch.url, username: ch.username, password: ch.password },
      source: { s3: endpoint, v1: { s3: endpoint, bucket: 'posthog', prefix: 'session_recordings' } },
      lake: { uri: lake.uri, ...(lake.s3 ? { s3: { ...endpoint, secretAccessKey: minio.secretAccessKey } } : {}) },
    };
  };

  async function status(workflowId: string, configFile: string): Promise<{ retrying: Array<{ message: string }> }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'status', workflowId, '--json'], { env: workerEnv(configFile) });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', () => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()!) as { retrying: Array<{ message: string }> });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /** An export through a worker process; with `outage`, MinIO is stopped for 30 s once a batch has finished. */
  async function exportWith(lake: { uri: string; s3?: boolean }, outage: boolean) {
    const configFile = writeConfig(settings(lake));
    const worker = startWorker(workerEnv(configFile));
    await worker.ready;
    const workflowId = `outage-${runs++}`;
    try {
      const handle = await temporal.env.client.workflow.start(exportWindow, {
        taskQueue: 'outage',
        workflowId,
        args: [window],
      });
      let retrying: string[] = [];
      if (outage) {
        while ((await handle.query(exportProgressQuery)).batchesDone < 1) await new Promise((r) => setTimeout(r, 50));
        await minio.stop();
        const restartAt = Date.now() + OUTAGE_MS;
        while (Date.now() < restartAt - 5_000 && retrying.length === 0) {
          await new Promise((r) => setTimeout(r, 2_000));
          retrying = (await status(workflowId, configFile)).retrying.map((r) => r.message);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, restartAt - Date.now())));
        await minio.start();
      }
      return { result: await handle.result(), retrying };
    } finally {
      await worker.stop();
    }
  }

  beforeAll(async () => {
    [minio, ch, temporal] = await Promise.all([startPrivateMinio(), freshClickHouse(), startTemporal()]);
    s3 = minio.client();
    await minio.createBucket('posthog');
    await minio.createBucket('lake');
    await generateSample(
      { s3, bucket: 'posthog', clickhouse: ch.client, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
      parseSampleOptions({ sessions: 30, seed: 'outage', start: '2026-10-31', days: 1, now: NOW }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'replaylake-outage-clean-'));
    await exportWith({ uri: pathToFileURL(dir).href }, false);
    clean = snapshotLake(dir);
  });

  afterAll(async () => {
    s3?.destroy();
    await minio?.stop();
    await temporal?.env.teardown();
    await ch?.close();
  });

  it('with the lake on a local directory: retried, shown in status, then the same lake as a clean run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replaylake-outage-local-'));
    const { result, retrying } = await exportWith({ uri: pathToFileURL(dir).href }, true);
    expect(retrying.join('\n')).toMatch(/the PostHog blob store .*is unreachable \(ECONNREFUSED\)/);
    expect(result.errors).toBe(0);
    const lake = snapshotLake(dir);
    expect(lake.other).toEqual([]);
    expect(lake.data).toEqual(clean.data);
    expect(lake.manifests).toEqual(clean.manifests);
  });

  it('with the lake on the same MinIO: the same lake again', async () => {
    const { result } = await exportWith({ uri: 's3://lake/run', s3: true }, true);
    expect(result.errors).toBe(0);
    const lake = await snapshotS3Lake(s3, 'lake', 'run');
    expect(lake.other).toEqual([]);
    expect(lake.data).toEqual(clean.data);
    expect(lake.manifests).toEqual(clean.manifests);
  });

  it('with a wrong source secret: the run fails at once naming the setting, and commits nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replaylake-outage-auth-'));
    const config = ConfigSchema.parse(settings({ uri: pathToFileURL(dir).href }, 'not-the-secret'));
    const runtime = await createWorkerRuntime(config, { connection: temporal.env.nativeConnection, taskQueue: 'auth' });
    const running = runtime.worker.run();
    try {
      const started = Date.now();
      const err = await temporal.env.client.workflow
        .execute(exportWindow, { taskQueue: 'auth', workflowId: 'outage-auth', args: [window] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const root = rootFailure(err);
      expect(root.type).toBe('SourceAccessError');
      expect(root.fatal).toBe(true);
      // Both endpoints carry the wrong secret; the message names the one the run reached first (a v2 block, or the
      // next session's v1 files, fetched ahead).
      expect(root.message).toMatch(
        /SignatureDoesNotMatch.*check source\.(s3\.accessKeyId \/ source\.s3\.secretAccessKey|v1\.s3\.accessKeyId \/ secretAccessKey)/,
      );
      expect(root.message).not.toContain('not-the-secret');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(existsSync(join(dir, '_manifests'))).toBe(false);
    } finally {
      runtime.worker.shutdown();
      await running;
      await runtime.close();
    }

    const refused = startWorker(workerEnv(writeConfig(settings({ uri: pathToFileURL(dir).href }, 'not-the-secret'))));
    expect(await refused.exited).toEqual({ code: 2, signal: null });
    expect(refused.output()).toMatch(
      /replaylake: cannot start: the PostHog blob store: .*SignatureDoesNotMatch.*check source\.s3\.accessKeyId/,
    );
    expect(refused.output()).not.toContain('not-the-secret');
  });
});

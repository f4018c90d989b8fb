/**
 * kill -9 of a real worker process at seven points of an export — while listing, in the middle of a batch, inside a
 * long session at one of its checkpoints, after a batch staged everything, in the middle of a partition's commit,
 * between two partitions, and after the commit — then a new worker: the run finishes within a stated bound and the
 * lake equals a clean run's byte for byte, with nothing left over.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../infra/sample/generate';
import { writeLongSession } from '../../infra/sample/fixture-sessions';
import { parseSampleOptions } from '../../infra/sample/options';
import { exportWindow } from '../../workflows/export-window';
import type { ExportWindowInput } from '../../workflows/export-window';
import { NOW, SAMPLE_DAY, testWindow } from '../support/export-fixture';
import type { LakeSnapshot } from '../support/lake';
import { snapshotLake } from '../support/lake';
import type { TestClickHouse } from '../support/stack';
import { freshBucket, freshClickHouse, stackS3 } from '../support/stack';
import { startTemporal } from '../support/temporal';
import { stackWorkerConfig, startWorker, workerEnv, writeConfig } from '../support/worker-process';

/** Short, so a dead worker's activities move on quickly; the bound below is stated in terms of it. */
const HEARTBEAT_SECONDS = 8;

describe('kill -9 of the worker at any point', () => {
  const s3 = stackS3();
  let ch: TestClickHouse;
  let temporal: { env: TestWorkflowEnvironment; address: string };
  let bucket: string;
  let clean: LakeSnapshot;
  let cleanMs: number;
  let runs = 0;

  const window: ExportWindowInput = testWindow({ batchSize: 6, parallelism: 3, heartbeatSeconds: HEARTBEAT_SECONDS });

  const config = (lakeDir: string) =>
    writeConfig(
      stackWorkerConfig(
        { temporalAddress: temporal.address, taskQueue: 'crash', clickhouse: ch, bucket, lakeDir },
        // Small buffers: the long session is checkpointed several times, so a crash can land inside it.
        { export: { bufferMB: 1 }, worker: { decodeThreads: 2 } },
      ),
    );

  /** One export on a fresh lake: workers started (and crashed) as `plan` says; returns the lake and the time taken. */
  async function run(crashAt?: string): Promise<{ lake: LakeSnapshot; ms: number; killed: boolean }> {
    const lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-crash-lake-'));
    const env = workerEnv(config(lakeDir));
    const first = startWorker(env, crashAt ? { crashAt } : {});
    await first.ready;
    const started = Date.now();
    const handle = await temporal.env.client.workflow.start(exportWindow, {
      taskQueue: 'crash',
      workflowId: `crash-${runs++}`,
      args: [window],
    });
    let killed = false;
    let second: ReturnType<typeof startWorker> | undefined;
    try {
      if (crashAt) {
        const exit = await Promise.race([first.exited, handle.result().then(() => undefined)]);
        expect(exit, `the worker should have died at ${crashAt}`).toEqual({ code: null, signal: 'SIGKILL' });
        killed = true;
        second = startWorker(env);
        await second.ready;
      }
      await handle.result();
      return { lake: snapshotLake(lakeDir), ms: Date.now() - started, killed };
    } finally {
      await first.stop();
      await second?.stop();
    }
  }

  beforeAll(async () => {
    ch = await freshClickHouse();
    bucket = await freshBucket(s3, 'crash');
    temporal = await startTemporal();
    await generateSample(
      { s3, bucket, clickhouse: ch.client, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
      parseSampleOptions({ sessions: 30, seed: 'crash', start: '2026-10-31', days: 1, now: NOW }),
    );
    await writeLongSession(
      { s3, bucket, clickhouse: ch.client },
      {
        sessionId: '01a1d000-0000-7000-8000-0000000c0a54',
        teamId: 2,
        distinctId: 'kiosk',
        windowId: 'kiosk-window',
        startMs: SAMPLE_DAY + 6 * 3_600_000,
        targetBytes: 6_000_000,
      },
    );
    ({ lake: clean, ms: cleanMs } = await run());
    expect(Object.keys(clean.data).length).toBeGreaterThan(20);
  });

  afterAll(async () => {
    await temporal?.env.teardown();
    await ch?.close();
    s3.destroy();
  });

  it.each([
    ['while listing', 'listing_page:1'],
    ['in the middle of a batch', 'session_exported:3'],
    ['inside a long session, at one of its checkpoints', 'batch_checkpoint:1:in_session'],
    ['after a batch staged everything', 'batch_finished:1'],
    ['in the middle of a partition commit', 'manifest_version:1'],
    ['between two partitions', 'partition_committed:2'],
    ['after the commit', 'window_committed:1'],
  ])('%s (%s)', async (_label, crashAt) => {
    const { lake, ms, killed } = await run(crashAt);
    expect(killed).toBe(true);
    // Heartbeat timeout for the dead worker's activity, the sticky-queue timeout for its workflow task, a retry.
    const bound = cleanMs + 2 * HEARTBEAT_SECONDS * 1000 + 20_000;
    expect(ms, `finished in ${ms} ms; bound ${bound} ms`).toBeLessThan(bound);
    expect(lake.other, 'staging, temporary files or probes left in the lake').toEqual([]);
    expect(lake.data).toEqual(clean.data);
    expect(lake.manifests).toEqual(clean.manifests);
  });
});

/**
 * The nightly Schedule exports the day its scheduled time calls for (not the wall clock's), a backfill is cancellable
 * and reports progress, and `replaylake worker` stops gracefully on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../infra/sample/generate';
import { parseSampleOptions } from '../infra/sample/options';
import { backfill, backfillProgressQuery } from '../workflows/backfill';
import { nightlyExportWorkflowId } from '../workflows/ids';
import type { NightlyInput } from '../workflows/nightly';
import type { ExportEnv } from './support/export-env';
import { startExportEnv, stackMinio } from './support/export-env';
import { testOptions } from './support/export-fixture';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const TEAMS = [1, 2, 3, 4];

describe('nightly schedule, backfill cancellation, worker shutdown', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let ch: TestClickHouse | undefined;
  let ex: ExportEnv;
  let lakeDir: string;

  beforeAll(async () => {
    ch = await freshClickHouse();
    clickhouse = ch.client;
    const bucket = await freshBucket(s3, 'sched');
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    await generateSample(
      { s3, bucket, clickhouse, outDir },
      parseSampleOptions({ sessions: 20, seed: 'schedule', start: '2026-10-01', days: 31, now: NOW }),
    );
    lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-sched-'));
    ex = await startExportEnv({
      clickhouse: ch,
      sourceBucket: bucket,
      lakeUri: pathToFileURL(lakeDir).href,
      taskQueue: 'sched',
    });
  });

  afterAll(async () => {
    await ex?.close();
    await ch?.close();
    s3.destroy();
  });

  it('a scheduled run at 01:00 on 2 Nov exports 31 Oct, whatever the wall clock says', async () => {
    const client = ex.env.client;
    const input: NightlyInput = { teams: TEAMS, export: testOptions({ batchSize: 10, parallelism: 2 }) };
    const handle = await client.schedule.create({
      scheduleId: 'nightly-test',
      spec: { calendars: [{ hour: 1, minute: 0 }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'nightlyExport',
        taskQueue: 'sched',
        workflowId: 'nightly-test',
        args: [input],
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '3 days' },
      state: { paused: true },
    });
    // A schedule backfill stamps the run with the past scheduled time, like a real night would.
    await handle.backfill({
      start: new Date('2026-11-02T00:30:00Z'),
      end: new Date('2026-11-02T01:30:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    // The scheduled run starts its day's export as a child of its own.
    let nightlyId: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!nightlyId && Date.now() < deadline) {
      nightlyId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!nightlyId) await new Promise((r) => setTimeout(r, 200));
    }
    const child = client.workflow.getHandle(nightlyExportWorkflowId(nightlyId!));
    for (;;) {
      const described = await child.describe().catch(() => undefined);
      if (described && described.status.name !== 'RUNNING') break;
      if (Date.now() > deadline) throw new Error('the scheduled run did not finish within 60 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    const result = (await child.result()) as { windowId: string };
    expect(result.windowId).toBe('2026-10-31_teams-1-2-3-4');
    for (const team of TEAMS)
      expect(existsSync(join(lakeDir, '_manifests', 'dt=2026-10-31', `team_id=${team}`, '_manifest.json'))).toBe(true);
    expect(existsSync(join(lakeDir, '_manifests', 'dt=2026-11-01'))).toBe(false);
    await handle.delete();
  });

  it('a backfill reports progress and can be cancelled; finished days stay committed', async () => {
    const handle = await ex.env.client.workflow.start(backfill, {
      taskQueue: 'sched',
      workflowId: 'cancel-me',
      args: [
        {
          teams: TEAMS,
          startMs: Date.parse('2026-10-01T00:00:00Z'),
          endMs: Date.parse('2026-10-31T00:00:00Z'),
          concurrency: 1,
          export: testOptions({ batchSize: 10, parallelism: 1 }),
        },
      ],
    });
    let progress = await handle.query(backfillProgressQuery);
    const deadline = Date.now() + 60_000;
    while (progress.done.days < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      progress = await handle.query(backfillProgressQuery);
    }
    expect(progress.daysTotal).toBe(30);
    expect(progress.done.days).toBeGreaterThanOrEqual(2);
    await handle.cancel();
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(existsSync(join(lakeDir, '_manifests', 'dt=2026-10-01', 'team_id=1', '_manifest.json'))).toBe(true);
  });

  it('replaylake worker stops gracefully on SIGTERM', async () => {
    const minio = stackMinio();
    const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), ['worker'], {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        REPLAYLAKE_STACK_DIR: join(lakeDir, 'no-stack'),
        REPLAYLAKE_TEMPORAL_ADDRESS: ex.env.connection.options.address,
        REPLAYLAKE_TEMPORAL_TASK_QUEUE: 'sigterm',
        // The file's ClickHouse, which a second process can share over HTTP; the worker checks it before polling.
        REPLAYLAKE_CLICKHOUSE_URL: ch?.url,
        REPLAYLAKE_CLICKHOUSE_USER: ch?.username,
        REPLAYLAKE_CLICKHOUSE_PASSWORD: ch?.password,
        REPLAYLAKE_SOURCE_S3_ENDPOINT: minio.endpoint,
        REPLAYLAKE_SOURCE_S3_ACCESS_KEY_ID: minio.accessKeyId,
        REPLAYLAKE_SOURCE_S3_SECRET_ACCESS_KEY: minio.secretAccessKey,
        REPLAYLAKE_LAKE_URI: pathToFileURL(lakeDir).href,
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('worker: polling') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('worker: polling');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('worker: stopped');
    expect(stderr).not.toContain(ch!.password);
    expect(stderr).not.toContain(minio.secretAccessKey);
  });
});

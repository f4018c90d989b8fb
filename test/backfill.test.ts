/**
 * A 30-day backfill into an S3 lake (MinIO): one child export per day with bounded concurrency, every day committed,
 * a repeated start attaching instead of doubling, and no workflow history anywhere near Temporal's limits.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_POLICIES } from '../client/temporal';
import { generateSample } from '../infra/sample/generate';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { parseSampleOptions } from '../infra/sample/options';
import { backfill } from '../workflows/backfill';
import type { BackfillInput, BackfillProgress } from '../workflows/backfill';
import { verifyWindow } from '../workflows/verify';
import type { ExportEnv } from './support/export-env';
import { startExportEnv } from './support/export-env';
import { testOptions } from './support/export-fixture';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const START = Date.parse('2026-10-01T00:00:00Z');
const END = Date.parse('2026-10-31T00:00:00Z');
const CONCURRENCY = 3;

describe('30-day backfill', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let ch: TestClickHouse | undefined;
  let ex: ExportEnv;
  let lakeBucket: string;
  let truths: SessionTruth[];
  let result: BackfillProgress;
  let attachedSameRun = false;

  beforeAll(async () => {
    ch = await freshClickHouse();
    clickhouse = ch.client;
    const bucket = await freshBucket(s3, 'backfill-src');
    lakeBucket = await freshBucket(s3, 'backfill-lake');
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    const sample = await generateSample(
      { s3, bucket, clickhouse, outDir },
      parseSampleOptions({ sessions: 60, seed: 'backfill', start: '2026-10-01', days: 30, now: NOW }),
    );
    truths = readFileSync(sample.manifest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionTruth);
    ex = await startExportEnv({
      clickhouse: ch,
      sourceBucket: bucket,
      lakeUri: `s3://${lakeBucket}/lake`,
      taskQueue: 'backfill',
    });
    const input: BackfillInput = {
      teams: [1, 2, 3, 4],
      startMs: START,
      endMs: END,
      concurrency: CONCURRENCY,
      export: testOptions({ batchSize: 5, parallelism: 2 }),
    };
    const opts = {
      taskQueue: 'backfill',
      workflowId: 'backfill-test',
      args: [input] as [BackfillInput],
      ...START_POLICIES,
    };
    const first = await ex.env.client.workflow.start(backfill, opts);
    const again = await ex.env.client.workflow.start(backfill, opts);
    attachedSameRun = again.firstExecutionRunId === first.firstExecutionRunId;
    result = await first.result();
  });

  afterAll(async () => {
    await ex?.close();
    await ch?.close();
    s3.destroy();
  });

  it('exports every day once, and a repeated start attaches to the running backfill', () => {
    expect(attachedSameRun).toBe(true);
    expect(result.failed).toEqual([]);
    expect(result.daysTotal).toBe(30);
    expect(result.done.days).toBe(30);
    const expected = truths.filter((t) => !t.deleted && !t.live && t.start_ms >= START && t.start_ms < END);
    expect(result.done.sessions).toBe(expected.length);
    expect(result.done.events).toBe(expected.reduce((n, t) => n + t.events.total, 0));
  });

  it('commits a manifest for every day and team into the S3 lake, and verify agrees with the source', async () => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: lakeBucket, Prefix: 'lake/_manifests/', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key!.endsWith('/_manifest.json')) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toHaveLength(30 * 4);
    const report = await ex.env.client.workflow.execute(verifyWindow, {
      taskQueue: 'backfill',
      workflowId: 'backfill-verify',
      args: [{ teams: [1, 2, 3, 4], startMs: START, endMs: END }],
    });
    expect(report.problems).toBe(0);
    expect(report.ok).toBe(true);
  });

  it('keeps at most the configured number of days in flight and every history small', async () => {
    const history = await ex.env.client.workflow.getHandle('backfill-test').fetchHistory();
    let inFlight = 0;
    let maxInFlight = 0;
    for (const e of history.events ?? []) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes) inFlight--;
    }
    expect(maxInFlight).toBe(CONCURRENCY);
    const lengths: number[] = [];
    for await (const wf of ex.env.client.workflow.list()) {
      const h = await ex.env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      lengths.push(h.events?.length ?? 0);
    }
    expect(lengths.length).toBeGreaterThanOrEqual(31);
    expect(Math.max(...lengths)).toBeLessThan(10_000);
  });
});

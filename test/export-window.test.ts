/**
 * The whole pipeline through the real Temporal dev server, MinIO and chDB: sample recordings of every generation are
 * exported by exportWindow into a local lake, which must hold exactly the ground truth.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../infra/sample/generate';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { canonicalLine, digestLines } from '../infra/sample/ground-truth';
import { parseSampleOptions } from '../infra/sample/options';
import type { ExportWindowInput, ExportWindowResult } from '../workflows/export-window';
import { exportWindow } from '../workflows/export-window';
import { verifyWindow } from '../workflows/verify';
import { COOKBOOK, recipeSql } from '../client/cookbook';
import { START_POLICIES } from '../client/temporal';
import type { ExportEnv } from './support/export-env';
import { startExportEnv } from './support/export-env';
import { duckdb, readRawBlob, table } from './support/lake';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const DAY = Date.parse('2026-10-31T00:00:00Z');
/** Small batches and parallelism, so that a 30-session day still runs several batches at once. */
const WINDOW: ExportWindowInput = {
  teams: [1, 2, 3, 4],
  startMs: DAY,
  endMs: DAY + 86_400_000,
  settleHours: 24,
  batchSize: 7,
  parallelism: 3,
  settledBeforeMs: NOW,
};

describe('exportWindow end to end', () => {
  const s3 = stackS3();
  let env: TestWorkflowEnvironment;
  let clickhouse: ClickHouseClient;
  let ex: ExportEnv;
  let truths: SessionTruth[];
  let lakeDir: string;
  let result: ExportWindowResult;

  beforeAll(async () => {
    const ch = await freshClickHouse();
    clickhouse = ch.client;
    const bucket = await freshBucket(s3, 'export');
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    const summary = await generateSample(
      { s3, bucket, clickhouse, outDir },
      parseSampleOptions({ sessions: 30, seed: 'export-test', start: '2026-10-31', days: 1, now: NOW }),
    );
    truths = readFileSync(summary.manifest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionTruth);
    lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-lake-'));
    ex = await startExportEnv({
      chdbDir: ch.dataDir,
      sourceBucket: bucket,
      lakeUri: pathToFileURL(lakeDir).href,
      taskQueue: 'export-test',
    });
    env = ex.env;
    result = await env.client.workflow.execute(exportWindow, {
      taskQueue: 'export-test',
      workflowId: 'export-test-window',
      args: [WINDOW],
    });
  });

  afterAll(async () => {
    await ex?.close();
    await clickhouse?.close();
    s3.destroy();
  });

  const expected = () =>
    truths.filter((t) => !t.deleted && !t.live && t.start_ms >= DAY && t.start_ms < DAY + 86_400_000);

  it('exports exactly the source sessions, tombstoned and live ones excluded', async () => {
    const db = await duckdb();
    try {
      const rows = await db.rows<{ session_id: string; team_id: string; event_count: string; dt: string }>(
        `SELECT session_id, team_id, event_count, dt FROM ${table(lakeDir, 'sessions')} ORDER BY session_id`,
      );
      expect(rows.map((r) => r.session_id)).toEqual(
        expected()
          .map((t) => t.session_id)
          .sort(),
      );
      expect(result.sessions).toBe(expected().length);
      expect(result.deleted).toBe(
        truths.filter((t) => t.deleted && t.start_ms >= DAY && t.start_ms < DAY + 86_400_000).length,
      );
      for (const r of rows) {
        const t = truths.find((x) => x.session_id === r.session_id)!;
        expect(Number(r.event_count), t.note).toBe(t.events.total);
        expect(Number(r.team_id)).toBe(t.team_id);
      }
    } finally {
      db.close();
    }
  });

  it('writes one raw blob per session holding exactly the deduplicated events', () => {
    for (const t of expected()) {
      const lines = readRawBlob(
        join(lakeDir, 'raw', 'dt=2026-10-31', `team_id=${t.team_id}`, `${t.session_id}.jsonl.zst`),
      );
      expect(lines.length, t.note).toBe(t.events.total);
      const parsed = lines.map((l) => JSON.parse(l) as [string, { timestamp: number; type: number }]);
      expect(digestLines(parsed.map(([w, e]) => canonicalLine(w, e))), t.note).toBe(t.events_digest);
      const ts = parsed.map(([, e]) => e.timestamp);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }
  });

  it('fills every derived table with the ground-truth counts', async () => {
    const db = await duckdb();
    try {
      const count = async (name: string) =>
        Number((await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table(lakeDir, name)}`))[0]?.n);
      const sum = (f: (t: SessionTruth) => number) => expected().reduce((n, t) => n + f(t), 0);
      expect(await count('events')).toBe(sum((t) => t.events.total));
      expect(await count('clicks')).toBe(sum((t) => t.events.clicks));
      expect(await count('console_logs')).toBe(
        sum((t) => Object.values(t.events.console_by_level).reduce((a, b) => a + b, 0)),
      );
      expect(await count('network_requests')).toBe(sum((t) => t.events.network_requests));
      expect(await count('custom_events')).toBe(
        sum((t) => Object.values(t.events.custom_tags).reduce((a, b) => a + b, 0)),
      );
      expect(await count('export_errors')).toBe(0);
    } finally {
      db.close();
    }
  });
  it('runs every SQL cookbook query against the lake', async () => {
    const db = await duckdb();
    try {
      const results = new Map<string, Record<string, unknown>[]>();
      for (const recipe of COOKBOOK) results.set(recipe.name, await db.rows(recipeSql(recipe, lakeDir)));
      expect(results.get('sessions-per-day')).toEqual([
        expect.objectContaining({ dt: '2026-10-31', sessions: String(expected().length) }),
      ]);
      // The sample's first session holds a requested rage-click burst.
      expect(results.get('rage-clicks-per-page')!.length).toBeGreaterThan(0);
      expect(results.get('console-errors-per-session')!.length).toBeGreaterThan(0);
      expect(results.get('slowest-endpoints')!.length).toBeGreaterThan(0);
      const funnel = results.get('pageview-funnel')!.map((r) => Number(r['sessions']));
      expect(funnel).toHaveLength(4);
      expect(funnel[0]).toBeGreaterThan(0);
      for (let i = 1; i < funnel.length; i++) expect(funnel[i]).toBeLessThanOrEqual(funnel[i - 1]!);
    } finally {
      db.close();
    }
  });

  it('re-running the window, and running it twice at once, leaves the same data files byte for byte', async () => {
    const before = snapshotLake(lakeDir);
    const input = WINDOW;
    const opts = {
      taskQueue: 'export-test',
      workflowId: 'export-test-rerun',
      args: [input] as [typeof input],
      ...START_POLICIES,
    };
    const first = await env.client.workflow.start(exportWindow, opts);
    const second = await env.client.workflow.start(exportWindow, opts);
    // The second start attached to the running first one instead of starting a second export.
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    const [a, b] = await Promise.all([first.result(), second.result()]);
    expect(b).toEqual(a);
    expect(a.sessions).toBe(result.sessions);
    const after = snapshotLake(lakeDir);
    expect(after.data).toEqual(before.data);
    // Only the run block of a manifest may differ.
    expect(after.manifests).toEqual(before.manifests);
    const db = await duckdb();
    try {
      const dupes = await db.rows(
        `SELECT session_id, seq, count(*) AS n FROM ${table(lakeDir, 'events')} GROUP BY ALL HAVING n > 1`,
      );
      expect(dupes).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('verify reports ok, then a mismatch when a committed file is altered or an uncommitted one appears', async () => {
    let runs = 0;
    const verify = () =>
      env.client.workflow.execute(verifyWindow, {
        taskQueue: 'export-test',
        workflowId: `export-test-verify-${runs++}`,
        args: [{ teams: [1, 2, 3, 4], startMs: DAY, endMs: DAY + 86_400_000 }],
      });
    const ok = await verify();
    expect(ok.ok).toBe(true);
    expect(ok.partitions.map((p) => p.sessions.source)).toEqual(ok.partitions.map((p) => p.sessions.lake));

    const victim = join(lakeDir, 'events', 'dt=2026-10-31', 'team_id=1', 'part-00000.parquet');
    const original = readFileSync(victim);
    const stray = join(lakeDir, 'clicks', 'dt=2026-10-31', 'team_id=2', 'part-99999.parquet');
    try {
      writeFileSync(victim, Buffer.concat([original, Buffer.from('tampered')]));
      writeFileSync(stray, original);
      const bad = await verify();
      expect(bad.ok).toBe(false);
      const problems = bad.partitions.flatMap((p) => p.problems);
      expect(problems).toContainEqual(
        expect.stringMatching(/^checksum mismatch: events\/dt=2026-10-31\/team_id=1\/part-00000\.parquet/),
      );
      expect(problems).toContain('uncommitted file: clicks/dt=2026-10-31/team_id=2/part-99999.parquet');
    } finally {
      writeFileSync(victim, original);
      rmSync(stray, { force: true });
    }
  });
});

/** Every file's SHA-256 (data files) and every manifest without its run block. */
function snapshotLake(dir: string): { data: Record<string, string>; manifests: Record<string, unknown> } {
  const data: Record<string, string> = {};
  const manifests: Record<string, unknown> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name === '_manifest.json') {
        const { run: _run, ...rest } = JSON.parse(readFileSync(full, 'utf8')) as Record<string, unknown>;
        manifests[full.slice(dir.length)] = rest;
      } else data[full.slice(dir.length)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return { data, manifests };
}

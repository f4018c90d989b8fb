/**
 * The whole pipeline through the real Temporal dev server, MinIO and chDB: sample recordings of every generation are
 * exported by exportWindow into a local lake, which must hold exactly the ground truth.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionManifest } from '../activities/lake-records';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { canonicalLine, digestLines } from '../infra/sample/ground-truth';
import type { ExportWindowResult } from '../workflows/export-window';
import { exportWindow } from '../workflows/export-window';
import { verifyWindow } from '../workflows/verify';
import { COOKBOOK, recipeSql } from '../client/cookbook';
import { START_POLICIES } from '../client/temporal';
import type { ExportFixture } from './support/export-fixture';
import { DAY_MS, SAMPLE_DAY, exportFixture, testWindow } from './support/export-fixture';
import { duckdb, rawBlobKeys, readRawBlob, snapshotLake, table } from './support/lake';

const DAY = SAMPLE_DAY;
const WINDOW = testWindow();

describe('exportWindow end to end', () => {
  let fx: ExportFixture;
  let env: TestWorkflowEnvironment;
  let truths: SessionTruth[];
  let lakeDir: string;
  let result: ExportWindowResult;

  beforeAll(async () => {
    fx = await exportFixture('export', { sessions: 30, seed: 'export-test' });
    ({ truths, lakeDir } = fx);
    env = fx.ex.env;
    result = await env.client.workflow.execute(exportWindow, {
      taskQueue: 'export',
      workflowId: 'export-test-window',
      args: [WINDOW],
    });
  });

  afterAll(async () => {
    await fx?.close();
  });

  const expected = () => fx.expected();

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
        truths.filter((t) => t.deleted && t.start_ms >= DAY && t.start_ms < DAY + DAY_MS).length,
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

  it('writes one raw blob per session holding exactly the deduplicated events', async () => {
    const keys = await rawBlobKeys(lakeDir);
    for (const t of expected()) {
      const lines = readRawBlob(join(lakeDir, keys.get(t.session_id)!));
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
      taskQueue: 'export',
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
        taskQueue: 'export',
        workflowId: `export-test-verify-${runs++}`,
        args: [{ teams: [1, 2, 3, 4], startMs: DAY, endMs: DAY + DAY_MS }],
      });
    const ok = await verify();
    expect(ok.ok).toBe(true);
    expect(ok.partitions.map((p) => p.sessions.source)).toEqual(ok.partitions.map((p) => p.sessions.lake));

    const manifest = JSON.parse(
      readFileSync(join(lakeDir, '_manifests', 'dt=2026-10-31', 'team_id=1', '_manifest.json'), 'utf8'),
    ) as PartitionManifest;
    const victimKey = manifest.tables.events.files[0]!.key;
    const victim = join(lakeDir, victimKey);
    const original = readFileSync(victim);
    const stray = join(lakeDir, 'clicks', 'dt=2026-10-31', 'team_id=2', 'part-stray-0000.parquet');
    const corruptKey = '_manifests/dt=2026-10-31/team_id=3/_manifest.json';
    const corrupt = join(lakeDir, corruptKey);
    const corruptOriginal = readFileSync(corrupt);
    try {
      writeFileSync(victim, Buffer.concat([original, Buffer.from('tampered')]));
      writeFileSync(stray, original);
      writeFileSync(corrupt, corruptOriginal.subarray(0, 100));
      const bad = await verify();
      expect(bad.ok).toBe(false);
      const problems = bad.partitions.flatMap((p) => p.problems);
      expect(problems).toContainEqual(expect.stringContaining(`checksum mismatch: ${victimKey}`));
      expect(problems).toContain('uncommitted file: clicks/dt=2026-10-31/team_id=2/part-stray-0000.parquet');
      // A truncated manifest is a problem of its partition, reported beside the others, not a failed verify.
      expect(problems).toContainEqual(expect.stringMatching(`^unreadable manifest: ${corruptKey} is not JSON: `));
    } finally {
      writeFileSync(victim, original);
      writeFileSync(corrupt, corruptOriginal);
      rmSync(stray, { force: true });
    }
  });
});

/**
 * Exports that overlap, all at once on one lake: a day and a two-day window with other batch sizes, two team sets
 * that share a team, a backfill over a day that an export is running, and a nightly run firing during a manual run.
 * Partitions are committed whole and atomically, and data files are named by what produced them, so every
 * combination ends in one correct lake: verify passes and every table holds each row exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_POLICIES } from '../../client/temporal';
import { backfill } from '../../workflows/backfill';
import { exportWindow } from '../../workflows/export-window';
import { nightlyExport } from '../../workflows/nightly';
import { verifyWindow } from '../../workflows/verify';
import type { ExportFixture } from '../support/export-fixture';
import { DAY_MS, SAMPLE_DAY, exportFixture, testOptions, testWindow } from '../support/export-fixture';
import { duckdb, table } from '../support/lake';

const TEAMS = [1, 2, 3, 4];
const END = SAMPLE_DAY + 2 * DAY_MS;

/** Columns that identify a row of each table: no two rows may share them. */
const KEYS: Record<string, string> = {
  sessions: 'session_id',
  events: 'session_id, seq',
  clicks: 'session_id, seq',
  pageviews: 'session_id, seq',
  console_logs: 'session_id, seq',
  network_requests: 'session_id, seq, request_index',
  custom_events: 'session_id, seq',
  export_errors: 'session_id, location, error_class',
};

describe('overlapping exports of the same days', () => {
  let fx: ExportFixture;

  beforeAll(async () => {
    fx = await exportFixture('overlap', { sessions: 40, seed: 'overlap', days: 2 });
    const client = fx.ex.env.client;
    const start = <A extends unknown[]>(workflow: (...args: A) => Promise<unknown>, workflowId: string, args: A) =>
      client.workflow.start(workflow, { taskQueue: 'overlap', workflowId, args, ...START_POLICIES });
    const handles = await Promise.all([
      start(exportWindow, 'overlap-day', [testWindow({ batchSize: 25 })]),
      start(exportWindow, 'overlap-two-days', [testWindow({ endMs: END, batchSize: 50 })]),
      start(exportWindow, 'overlap-teams-1-2', [testWindow({ teams: [1, 2], batchSize: 4 })]),
      start(exportWindow, 'overlap-teams-2-3', [testWindow({ teams: [2, 3], batchSize: 3 })]),
      start(backfill, 'overlap-backfill', [
        { teams: TEAMS, startMs: SAMPLE_DAY, endMs: END, concurrency: 2, export: testOptions({ batchSize: 7 }) },
      ]),
      start(nightlyExport, 'overlap-nightly', [
        { teams: TEAMS, export: testOptions({ batchSize: 9 }), scheduledMs: SAMPLE_DAY + 2 * DAY_MS + 3_600_000 },
      ]),
    ]);
    await Promise.all(handles.map((h) => h.result()));
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('verify finds every partition consistent with itself and with the source', async () => {
    const report = await fx.ex.env.client.workflow.execute(verifyWindow, {
      taskQueue: 'overlap',
      workflowId: 'overlap-verify',
      args: [{ teams: TEAMS, startMs: SAMPLE_DAY, endMs: END }],
    });
    expect(report.partitions.flatMap((p) => p.problems)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.partitions).toHaveLength(8);
  });

  it('every table holds each row exactly once, and exactly the source sessions', async () => {
    const db = await duckdb();
    try {
      for (const [name, key] of Object.entries(KEYS)) {
        const [row] = await db.rows<{ rows: string; distinct_rows: string }>(
          `SELECT count(*) AS rows, count(DISTINCT (${key})) AS distinct_rows FROM ${table(fx.lakeDir, name)}`,
        );
        expect(row!.distinct_rows, name).toBe(row!.rows);
      }
      const sessions = await db.rows<{ session_id: string }>(
        `SELECT session_id FROM ${table(fx.lakeDir, 'sessions')} ORDER BY session_id`,
      );
      expect(sessions.map((s) => s.session_id)).toEqual(
        fx
          .expected(SAMPLE_DAY, END)
          .map((t) => t.session_id)
          .sort(),
      );
    } finally {
      db.close();
    }
  });
});

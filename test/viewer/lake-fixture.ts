/**
 * A small real lake for the viewer tests: sample recordings written the way PostHog's ingestion does, exported by the
 * exportWindow workflow into a local directory. The lake is built once per test file and kept after the worker stops.
 */
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { START_POLICIES } from '../../client/temporal';
import { exportWindow } from '../../workflows/export-window';
import { exportFixture, testWindow } from '../support/export-fixture';
import { duckdb, table } from '../support/lake';

export const SAMPLE_DAY = '2026-10-31';

export interface ViewerLake {
  dir: string;
  uri: string;
  /** Ground truth of the exported sessions (tombstoned and live ones excluded). */
  sessions: SessionTruth[];
  /** Each session's raw blob key, from the lake's sessions table. */
  blobKeys: Map<string, string>;
}

/** Twelve sessions cover the catalogue's multi-window, rage-click and mobile (Android wireframe) sessions. */
export async function buildViewerLake(label: string): Promise<ViewerLake> {
  const fx = await exportFixture(label, { sessions: 12, seed: 'viewer-play', start: SAMPLE_DAY });
  try {
    await fx.ex.env.client.workflow.execute(exportWindow, {
      taskQueue: label,
      workflowId: `${label}-window`,
      args: [testWindow({ batchSize: 50, parallelism: 2 })],
      ...START_POLICIES,
    });
    const db = await duckdb();
    try {
      const rows = await db.rows<{ session_id: string; raw_blob_key: string }>(
        `SELECT session_id, raw_blob_key FROM ${table(fx.lakeDir, 'sessions')}`,
      );
      const blobKeys = new Map(rows.map((r) => [r.session_id, r.raw_blob_key]));
      return { dir: fx.lakeDir, uri: fx.lakeUri, sessions: fx.expected(), blobKeys };
    } finally {
      db.close();
    }
  } finally {
    await fx.close();
  }
}

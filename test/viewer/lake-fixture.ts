/**
 * A small real lake for the viewer tests: sample recordings written the way PostHog's ingestion does, exported by the
 * exportWindow workflow into a local directory. The lake is built once per test file and kept after the worker stops.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateSample } from '../../infra/sample/generate';
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { parseSampleOptions } from '../../infra/sample/options';
import { START_POLICIES } from '../../client/temporal';
import { exportWindow } from '../../workflows/export-window';
import { startExportEnv } from '../support/export-env';
import { freshBucket, freshClickHouse, stackS3 } from '../support/stack';

export const SAMPLE_DAY = '2026-10-31';
const NOW = Date.parse('2026-11-26T12:00:00Z');
const DAY = Date.parse(`${SAMPLE_DAY}T00:00:00Z`);

export interface ViewerLake {
  dir: string;
  uri: string;
  /** Ground truth of the exported sessions (tombstoned and live ones excluded). */
  sessions: SessionTruth[];
}

/** Twelve sessions cover the catalogue's multi-window, rage-click and mobile (Android wireframe) sessions. */
export async function buildViewerLake(label: string): Promise<ViewerLake> {
  const s3 = stackS3();
  const ch = await freshClickHouse();
  try {
    const bucket = await freshBucket(s3, label);
    const sample = await generateSample(
      { s3, bucket, clickhouse: ch.client, outDir: mkdtempSync(join(tmpdir(), 'replaylake-sample-')) },
      parseSampleOptions({ sessions: 12, seed: 'viewer-play', start: SAMPLE_DAY, days: 1, now: NOW }),
    );
    await ch.client.close();
    const dir = mkdtempSync(join(tmpdir(), 'replaylake-viewer-lake-'));
    const uri = pathToFileURL(dir).href;
    const ex = await startExportEnv({ chdbDir: ch.dataDir, sourceBucket: bucket, lakeUri: uri, taskQueue: label });
    try {
      await ex.env.client.workflow.execute(exportWindow, {
        taskQueue: label,
        workflowId: `${label}-window`,
        args: [
          {
            teams: [1, 2, 3, 4],
            startMs: DAY,
            endMs: DAY + 86_400_000,
            settleHours: 24,
            batchSize: 50,
            parallelism: 2,
            settledBeforeMs: NOW,
          },
        ],
        ...START_POLICIES,
      });
    } finally {
      await ex.close();
    }
    const sessions = readFileSync(sample.manifest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionTruth)
      .filter((t) => !t.deleted && !t.live && t.start_ms >= DAY && t.start_ms < DAY + 86_400_000);
    return { dir, uri, sessions };
  } finally {
    s3.destroy();
  }
}

/**
 * Real posthog-js output (two sessions recorded in Chromium) wrapped into blob-v2 blocks and metadata rows the way
 * PostHog's ingestion does, exported through Temporal: the lake's counts must equal summary.json and the raw blobs
 * must hold the original events, decoded.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RrwebEvent } from '../activities/source/snapshot-events';
import { decodeCv } from '../infra/sample/cv';
import { canonicalLine, dedupeKey } from '../infra/sample/ground-truth';
import { loadRealFixture } from '../infra/sample/real-fixture';
import { exportWindow } from '../workflows/export-window';
import type { ExportEnv } from './support/export-env';
import { startExportEnv } from './support/export-env';
import { testWindow } from './support/export-fixture';
import { REAL_POSTHOG_JS } from './support/fixtures';
import { duckdb, rawBlobKeys, readRawBlob, table } from './support/lake';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

interface SessionSummary {
  session_id: string;
  rrweb_event_count: number;
  events_by_type: Record<string, number>;
  incremental_by_source: Record<string, number>;
  click_count: number;
  console_by_level: Record<string, number>;
  network_requests: number;
  network_requests_by_status: Record<string, number>;
  custom_event_tags: Record<string, number>;
}

const summary = JSON.parse(readFileSync(join(REAL_POSTHOG_JS, 'summary.json'), 'utf8')) as {
  sessions: SessionSummary[];
};
const DAY = Date.parse('2026-11-27T00:00:00Z');

/** The fixture's events per session, with the SDK's exact duplicates (same JSON without delay) counted. */
function originals(): Map<string, { lines: string[]; duplicates: RrwebEvent[] }> {
  const out = new Map<string, { lines: string[]; duplicates: RrwebEvent[]; seen: Set<string> }>();
  for (const line of readFileSync(join(REAL_POSTHOG_JS, 'snapshots.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const p = (
      JSON.parse(line) as { properties: { $session_id: string; $window_id: string; $snapshot_data: RrwebEvent[] } }
    ).properties;
    const entry = out.get(p.$session_id) ?? { lines: [], duplicates: [], seen: new Set<string>() };
    out.set(p.$session_id, entry);
    for (const e of p.$snapshot_data) {
      const key = dedupeKey(p.$window_id, e);
      if (entry.seen.has(key)) entry.duplicates.push(e);
      else {
        entry.seen.add(key);
        entry.lines.push(canonicalLine(p.$window_id, decodeCv(e)));
      }
    }
  }
  return out;
}

describe('real posthog-js recordings through the whole pipeline', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let ch: TestClickHouse | undefined;
  let ex: ExportEnv;
  let lakeDir: string;

  beforeAll(async () => {
    ch = await freshClickHouse();
    clickhouse = ch.client;
    const bucket = await freshBucket(s3, 'real');
    await loadRealFixture({ s3, bucket, clickhouse, teamId: 1 }, join(REAL_POSTHOG_JS, 'snapshots.jsonl'));
    lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-real-'));
    ex = await startExportEnv({
      clickhouse: ch,
      sourceBucket: bucket,
      lakeUri: pathToFileURL(lakeDir).href,
      taskQueue: 'real',
    });
    await ex.env.client.workflow.execute(exportWindow, {
      taskQueue: 'real',
      workflowId: 'real-export',
      args: [
        testWindow({
          teams: [1],
          startMs: DAY,
          endMs: DAY + 86_400_000,
          batchSize: 10,
          parallelism: 2,
          settledBeforeMs: DAY + 2 * 86_400_000,
        }),
      ],
    });
  });

  afterAll(async () => {
    await ex?.close();
    await ch?.close();
    s3.destroy();
  });

  it('exports counts equal to summary.json, less the SDK duplicates PostHog dedupes', async () => {
    const db = await duckdb();
    const orig = originals();
    try {
      for (const s of summary.sessions) {
        const dup = orig.get(s.session_id)!.duplicates;
        // One real duplicate: posthog-js sent $recording_started twice in the same millisecond; PostHog's player drops it.
        expect(dup.map((e) => `${e.type}/${(e.data as { tag?: string }).tag}`)).toEqual(
          s.session_id.endsWith('4661e1') ? ['5/$recording_started'] : [],
        );
        const where = `WHERE session_id = '${s.session_id}'`;
        const byType = await db.rows<{ t: string; n: string }>(
          `SELECT type_name || '' AS t, type, count(*)::INT AS n FROM ${table(lakeDir, 'events')} ${where} GROUP BY ALL`,
        );
        const expectedByType = Object.fromEntries(
          Object.entries(s.events_by_type).map(([k, v]) => [
            k.split(' ')[1]!,
            v - (k.startsWith('5 ') ? dup.length : 0),
          ]),
        );
        expect(Object.fromEntries(byType.map((r) => [r.t, Number(r.n)]))).toEqual(expectedByType);
        const bySource = await db.rows<{ s: string; n: string }>(
          `SELECT source_name AS s, count(*)::INT AS n FROM ${table(lakeDir, 'events')} ${where} AND type = 3 GROUP BY ALL`,
        );
        expect(Object.fromEntries(bySource.map((r) => [r.s, Number(r.n)]))).toEqual(
          Object.fromEntries(Object.entries(s.incremental_by_source).map(([k, v]) => [k.split(' ')[1]!, v])),
        );
        const [clicks] = await db.rows<{ n: string }>(
          `SELECT count(*)::INT AS n FROM ${table(lakeDir, 'clicks')} ${where}`,
        );
        expect(Number(clicks!.n)).toBe(s.click_count);
        const levels = await db.rows<{ level: string; n: string }>(
          `SELECT level, count(*)::INT AS n FROM ${table(lakeDir, 'console_logs')} ${where} GROUP BY ALL`,
        );
        expect(Object.fromEntries(levels.map((r) => [r.level, Number(r.n)]))).toEqual(s.console_by_level);
        const statuses = await db.rows<{ status: string; n: string }>(
          `SELECT status::VARCHAR AS status, count(*)::INT AS n FROM ${table(lakeDir, 'network_requests')} ${where} GROUP BY ALL`,
        );
        expect(Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)]))).toEqual(s.network_requests_by_status);
        const tags = await db.rows<{ tag: string; n: string }>(
          `SELECT tag, count(*)::INT AS n FROM ${table(lakeDir, 'custom_events')} ${where} GROUP BY ALL`,
        );
        const expectedTags = { ...s.custom_event_tags };
        for (const d of dup) expectedTags[(d.data as { tag: string }).tag]! -= 1;
        expect(Object.fromEntries(tags.map((r) => [r.tag, Number(r.n)]))).toEqual(expectedTags);
      }
    } finally {
      db.close();
    }
  });

  it('writes raw blobs whose decoded events equal the originals', async () => {
    const keys = await rawBlobKeys(lakeDir);
    for (const [sessionId, { lines }] of originals()) {
      const blob = readRawBlob(join(lakeDir, keys.get(sessionId)!));
      const exported = blob.map((l) => {
        const [w, e] = JSON.parse(l) as [string, RrwebEvent];
        return canonicalLine(w, e);
      });
      expect(exported.sort()).toEqual([...lines].sort());
      // No cv-compressed payload is left in the blob: a stock rrweb player can replay it.
      expect(blob.some((l) => l.includes('"cv":'))).toBe(false);
    }
  });
});

/**
 * A session of more than 300k rrweb events (real posthog-js output repeated with shifted timestamps: a kiosk left
 * recording for half a day) through exportWindow on a worker with small buffers: every table's counts equal the
 * source events, the raw blob holds exactly the source events decoded, and the worker's memory stays within the
 * bound its configuration states (worker/config.ts memoryBoundMB), sampled from process.memoryUsage while it runs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RrwebEvent } from '../activities/source/snapshot-events';
import { memoryBoundMB } from '../worker/config';
import { fixtureEvents, longSessionFlushes, writeLongSession } from '../infra/sample/fixture-sessions';
import type { LongSessionSpec, LongSessionTruth } from '../infra/sample/fixture-sessions';
import { canonicalLine, dedupeKey } from '../infra/sample/ground-truth';
import { exportWindow } from '../workflows/export-window';
import type { ExportEnv } from './support/export-env';
import { startExportEnv } from './support/export-env';
import { SAMPLE_DAY, testWindow } from './support/export-fixture';
import { REAL_POSTHOG_JS } from './support/fixtures';
import { duckdb, readRawBlob, table } from './support/lake';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const MB = 1024 * 1024;
const SESSION = '01a1d000-0000-7000-8000-00000000c10c';
const MIN_EVENTS = 300_000;
/** Small buffers, so the session is many times larger than what the worker may hold. */
const SETTINGS = {
  export: { bufferMB: 4, prefetchMB: 4, batchSize: 1, parallelism: 1 },
  worker: { decodeThreads: 1, maxConcurrentActivities: 2 },
};

interface FixtureSummary {
  sessions: Array<{
    events_by_type: Record<string, number>;
    click_count: number;
    console_by_level: Record<string, number>;
    network_requests: number;
    custom_event_tags: Record<string, number>;
  }>;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const digestOf = (hashes: string[]) => sha1(hashes.sort().join('\n'));

describe('a session of 300k events', () => {
  const s3 = stackS3();
  let ch: TestClickHouse;
  let ex: ExportEnv;
  let lakeDir: string;
  let spec: LongSessionSpec;
  let truth: LongSessionTruth;
  const samples: NodeJS.MemoryUsage[] = [];
  let idle: NodeJS.MemoryUsage;

  beforeAll(async () => {
    ch = await freshClickHouse();
    const bucket = await freshBucket(s3, 'long');
    const base = fixtureEvents();
    const repetitions = Math.ceil(MIN_EVENTS / base.length);
    spec = {
      sessionId: SESSION,
      teamId: 1,
      distinctId: 'kiosk',
      windowId: 'kiosk-window',
      startMs: SAMPLE_DAY + 3_600_000,
      repetitions,
    };
    truth = await writeLongSession({ s3, bucket, clickhouse: ch.client }, spec);
    lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-long-'));
    ex = await startExportEnv({
      clickhouse: ch,
      sourceBucket: bucket,
      lakeUri: pathToFileURL(lakeDir).href,
      taskQueue: 'long',
      ...SETTINGS,
    });
    idle = process.memoryUsage();
    const timer = setInterval(() => samples.push(process.memoryUsage()), 100);
    try {
      await ex.env.client.workflow.execute(exportWindow, {
        taskQueue: 'long',
        workflowId: 'long-export',
        args: [testWindow({ teams: [1], batchSize: 1, parallelism: 1 })],
      });
    } finally {
      clearInterval(timer);
    }
  });

  afterAll(async () => {
    await ex?.close();
    await ch?.close();
    s3.destroy();
  });

  it('is large: more than 300k events, more than ten times the buffers', () => {
    expect(truth.eventsWritten).toBeGreaterThanOrEqual(MIN_EVENTS);
    expect(truth.bytes).toBeGreaterThan(10 * (SETTINGS.export.bufferMB + SETTINGS.export.prefetchMB) * MB);
  });

  it('exports every table with the counts of the source events', async () => {
    const summary = JSON.parse(readFileSync(join(REAL_POSTHOG_JS, 'summary.json'), 'utf8')) as FixtureSummary;
    const reps = truth.repetitions;
    const sum = (pick: (s: FixtureSummary['sessions'][number]) => Record<string, number>) => {
      const out: Record<string, number> = {};
      for (const s of summary.sessions) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v * reps;
      return out;
    };
    // The fixture holds one SDK duplicate ($recording_started twice in one millisecond), dropped in every repetition.
    const byType = sum((s) => s.events_by_type);
    byType['5 Custom']! -= reps;
    const tags = sum((s) => s.custom_event_tags);
    tags['$recording_started']! -= reps;

    const db = await duckdb();
    try {
      const count = async (t: string, by?: string) =>
        Object.fromEntries(
          (
            await db.rows<{ k: string; n: number }>(
              `SELECT ${by ?? "'all'"}::VARCHAR AS k, count(*)::INT AS n FROM ${table(lakeDir, t)} GROUP BY ALL`,
            )
          ).map((r) => [r.k, r.n]),
        );
      expect(await count('events', "type::VARCHAR || ' ' || type_name")).toEqual(byType);
      expect(await count('clicks')).toEqual({ all: summary.sessions.reduce((n, s) => n + s.click_count, 0) * reps });
      expect(await count('console_logs', 'level')).toEqual(sum((s) => s.console_by_level));
      expect(await count('network_requests')).toEqual({
        all: summary.sessions.reduce((n, s) => n + s.network_requests, 0) * reps,
      });
      expect(await count('custom_events', 'tag')).toEqual(tags);
      expect(await count('export_errors')).toEqual({ all: 0 });
      const [session] = await db.rows<Record<string, unknown>>(
        `SELECT status, event_count::INT AS events, duplicates_dropped::INT AS dups, blocks_read::INT AS blocks,
                rrweb_bytes::INT AS rrweb FROM ${table(lakeDir, 'sessions')}`,
      );
      expect(session).toEqual({
        status: 'complete',
        events: truth.eventsWritten - reps,
        dups: reps,
        blocks: truth.blocks,
        rrweb: expect.any(Number) as number,
      });
    } finally {
      db.close();
    }
  });

  it('writes a raw blob holding exactly the source events, decoded, in time order', async () => {
    const expected: string[] = [];
    const seen = new Set<string>();
    for (const flush of longSessionFlushes(spec))
      for (const { windowId, event } of flush.events) {
        const key = sha1(dedupeKey(windowId, event));
        if (seen.has(key)) continue;
        seen.add(key);
        expected.push(sha1(canonicalLine(windowId, event)));
      }
    const db = await duckdb();
    const [row] = await db.rows<{ key: string }>(`SELECT raw_blob_key AS key FROM ${table(lakeDir, 'sessions')}`);
    db.close();
    const lines = readRawBlob(join(lakeDir, row!.key));
    let last = -Infinity;
    const exported = lines.map((l) => {
      const [w, e] = JSON.parse(l) as [string, RrwebEvent];
      expect(e.timestamp).toBeGreaterThanOrEqual(last);
      last = e.timestamp;
      return sha1(canonicalLine(w, e));
    });
    expect(exported.length).toBe(expected.length);
    expect(digestOf(exported)).toBe(digestOf(expected));
  });

  it("stays within the worker's configured memory bound while it runs", () => {
    const { config } = ex;
    const bound = memoryBoundMB(config) * MB;
    expect(samples.length).toBeGreaterThan(20);
    const peakRss = Math.max(...samples.map((s) => s.rss)) - idle.rss;
    const peakHeap = Math.max(...samples.map((s) => s.heapUsed)) - idle.heapUsed;
    console.log(
      `long session: ${(truth.bytes / MB).toFixed(0)} MB of rrweb, peak RSS +${(peakRss / MB).toFixed(0)} MB ` +
        `(bound ${memoryBoundMB(config)} MB), main-thread heap +${(peakHeap / MB).toFixed(0)} MB`,
    );
    expect(peakRss).toBeLessThanOrEqual(bound);
    // The main thread only relays heartbeats: the session never passes through its heap.
    expect(peakHeap).toBeLessThanOrEqual(64 * MB);
  });
});

/**
 * The sample generator against the real parts: chDB with PostHog's schema and MinIO. What it wrote must (1) answer
 * PostHog's own listing query with the manifest's metrics and (2) decode back to the manifest's events through the
 * exporter's readers, which share nothing with the generator's encoders.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchMetadata } from '../activities/metadata';
import { SessionReader, emptyCounters } from '../activities/session-reader';
import type { SourceError } from '../activities/source/errors';
import { probeSourceSchema } from '../activities/source-schema';
import { dayStart, utcDay } from '../common/windows';
import { canonicalLine, digestLines } from '../infra/sample/ground-truth';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { generateSample } from '../infra/sample/generate';
import type { SampleSummary } from '../infra/sample/generate';
import { parseSampleOptions } from '../infra/sample/options';
import { applyPostHogSchema } from '../infra/clickhouse/posthog-schema';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('sample recordings in PostHog storage', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let ch: TestClickHouse | undefined;
  let bucket: string;
  let summary: SampleSummary;
  let truths: SessionTruth[];

  beforeAll(async () => {
    ch = await freshClickHouse();
    clickhouse = ch.client;
    bucket = await freshBucket(s3, 'sample');
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    summary = await generateSample(
      { s3, bucket, clickhouse, outDir },
      parseSampleOptions({ sessions: 40, seed: 'storage-test', start: '2026-10-31', days: 1, now: NOW }),
    );
    truths = readFileSync(summary.manifest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionTruth);
  });

  afterAll(async () => {
    s3.destroy();
    await ch?.close();
  });

  it('covers every generation and storage situation the catalogue promises', () => {
    expect(truths).toHaveLength(40);
    const generations = new Set(truths.map((t) => t.generation));
    expect([...generations].sort()).toEqual(['legacy', 'mixed', 'v1', 'v2']);
    expect(truths.some((t) => t.deleted)).toBe(true);
    expect(truths.some((t) => t.live)).toBe(true);
    expect(truths.some((t) => t.platform === 'mobile')).toBe(true);
    expect(truths.some((t) => t.storage.duplicate_blocks > 0)).toBe(true);
    expect(truths.some((t) => t.window_ids.length > 1)).toBe(true);
    expect(truths.some((t) => t.events.cv_compressed > 0)).toBe(true);
    expect(truths.some((t) => new Date(t.start_ms).getUTCDate() !== new Date(t.end_ms).getUTCDate())).toBe(true);
    expect(new Set(truths.map((t) => t.team_id)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(truths.map((t) => t.retention_period_days)).size).toBeGreaterThanOrEqual(3);
    // A v2 session is many partial rows, as PostHog's table really holds them.
    const v2 = truths.filter((t) => t.generation === 'v2' && !t.live);
    expect(v2.every((t) => t.storage.blocks >= 1)).toBe(true);
    expect(Math.max(...v2.map((t) => t.storage.rows))).toBeGreaterThan(5);
  });

  it("answers PostHog's listing query (GROUP BY session_id, argMinMerge, sums) with the manifest's sessions and metrics", async () => {
    const rs = await clickhouse.query({
      query: `
        SELECT session_id, any(team_id) AS team, any(distinct_id) AS distinct_id,
               min(min_first_timestamp) AS start_time, max(max_last_timestamp) AS end_time,
               argMinMerge(first_url) AS first_url,
               sum(click_count) AS click_count, sum(keypress_count) AS keypress_count,
               sum(mouse_activity_count) AS mouse_activity_count, sum(active_milliseconds) AS active_milliseconds,
               sum(console_log_count) AS console_log_count, sum(console_warn_count) AS console_warn_count,
               sum(console_error_count) AS console_error_count, sum(size) AS size, sum(event_count) AS event_count,
               sum(message_count) AS message_count, length(groupArrayArray(block_urls)) AS block_count,
               length(groupArrayArray(block_first_timestamps)) AS first_ts_count,
               max(is_deleted) AS is_deleted, max(retention_period_days) AS retention_period_days
        FROM session_replay_events
        WHERE team_id IN {teams:Array(Int64)}
        GROUP BY session_id
        ORDER BY session_id`,
      query_params: { teams: [1, 2, 3, 4] },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Record<string, string | number | null>>();
    const expected = truths.filter((t) => t.posthog !== null).sort((a, b) => a.session_id.localeCompare(b.session_id));
    expect(rows.map((r) => r['session_id'])).toEqual(expected.map((t) => t.session_id));
    for (const [i, t] of expected.entries()) {
      const row = rows[i]!;
      const p = t.posthog!;
      const numeric = (k: string) => Number(row[k]);
      expect({
        session_id: row['session_id'],
        team_id: numeric('team'),
        distinct_id: row['distinct_id'],
        start_time: String(row['start_time']).slice(0, 23),
        end_time: String(row['end_time']).slice(0, 23),
        first_url: row['first_url'],
        click_count: numeric('click_count'),
        keypress_count: numeric('keypress_count'),
        mouse_activity_count: numeric('mouse_activity_count'),
        active_milliseconds: numeric('active_milliseconds'),
        console_log_count: numeric('console_log_count'),
        console_warn_count: numeric('console_warn_count'),
        console_error_count: numeric('console_error_count'),
        size: numeric('size'),
        event_count: numeric('event_count'),
        message_count: numeric('message_count'),
        block_count: numeric('block_count'),
        is_deleted: numeric('is_deleted'),
        retention_period_days: numeric('retention_period_days'),
        // A tombstone row carries an empty distinct id, so any() may pick it for a deleted session.
      }).toEqual({
        session_id: t.session_id,
        team_id: t.team_id,
        distinct_id: t.deleted ? row['distinct_id'] : t.distinct_id,
        ...p,
      });
      // PostHog zips the three block arrays; they must stay aligned.
      expect(numeric('first_ts_count')).toBe(numeric('block_count'));
    }
  });

  it('decodes every generation back to the manifest events through the exporter readers', async () => {
    const schema = await probeSourceSchema(clickhouse, 'default');
    const deps = { clickhouse, sourceS3: s3, v1S3: s3, v1Bucket: bucket, v1Prefix: 'session_recordings' };
    for (const t of truths) {
      const ref = { teamId: t.team_id, sessionId: t.session_id, startMs: t.start_ms, bytes: 0 };
      const meta = (await batchMetadata(clickhouse, schema, t.team_id, dayStart(utcDay(t.start_ms)), [ref])).get(
        t.session_id,
      );
      expect(meta, t.session_id).toBeDefined();
      const errors: SourceError[] = [];
      const reader = await SessionReader.open(deps, meta!, {
        legacyTable: schema.legacy,
        limits: { prefetchBytes: 1 << 20, fetchConcurrency: 4, maxSessionBytes: 0, maxLineBytes: 64 << 20 },
        counters: emptyCounters(),
        onError: (e) => errors.push(e),
      });
      const lines: string[] = [];
      const timestamps: number[] = [];
      for (let e = await reader.next(); e !== undefined; e = await reader.next()) {
        const [w, event] = JSON.parse(e.raw.toString('utf8')) as [string, { type: number; timestamp: number }];
        lines.push(canonicalLine(w, event));
        timestamps.push(event.timestamp);
      }
      expect(errors, t.session_id).toEqual([]);
      expect(lines.length, `${t.session_id} (${t.note})`).toBe(t.events.total);
      expect(digestLines(lines), t.note).toBe(t.events_digest);
      expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    }
  });

  it('is deterministic: the same seed writes the same object keys and bytes', async () => {
    const again = await freshBucket(s3, 'sample2');
    // One chDB path per process: the second run gets its own database in the same engine.
    await applyPostHogSchema(clickhouse, 'determinism', { legacyRecordingTtlWeeks: null });
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    const second = await generateSample(
      { s3, bucket: again, clickhouse, database: 'determinism', outDir },
      parseSampleOptions({ sessions: 40, seed: 'storage-test', start: '2026-10-31', days: 1, now: NOW }),
    );
    expect(readFileSync(second.manifest, 'utf8')).toBe(readFileSync(summary.manifest, 'utf8'));
    const list = async (b: string) => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: b, ContinuationToken: token }));
        for (const o of page.Contents ?? []) out.push(`${o.Key} ${o.ETag} ${o.Size}`);
        token = page.NextContinuationToken;
      } while (token);
      return out.sort();
    };
    expect(await list(again)).toEqual(await list(bucket));
  });
});

import type { ClickHouseClient } from '@clickhouse/client';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  POSTHOG_SCHEMA_STATEMENTS,
  applyPostHogSchema,
  postHogSchemaStatements,
} from '../infra/clickhouse/posthog-schema';
import type { TestClickHouse } from './support/stack';
import { startClickHouse } from './support/stack';
import { kafkaReplayRow } from './support/replay-rows';

// An empty chDB server of this file's own, reached over HTTP: the schema is applied the way the stack applies it.
let server: TestClickHouse | undefined;
let client: ClickHouseClient;

// A real ClickHouse server quotes 64-bit integers in JSON by default; chDB does not. Pin it so the
// assertions hold on both.
const JSON_SETTINGS = { output_format_json_quote_64bit_integers: 1 } as const;

async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow', clickhouse_settings: JSON_SETTINGS });
  return rs.json<T>();
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the form DateTime64(6, 'UTC') parses without losing precision. */
function chDateTime64(d: Date): string {
  return `${d.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

const TEAM = 42;
const SESSION = '018e2a5b-0000-7000-8000-00000000a001';

function replayRow(overrides: Record<string, unknown>): Record<string, unknown> {
  return kafkaReplayRow({ session_id: SESSION, team_id: TEAM, distinct_id: 'person-1', ...overrides });
}

beforeAll(async () => {
  server = await startClickHouse();
  client = server.client;
  await applyPostHogSchema(client);
});

afterAll(async () => {
  await server?.close();
});

describe('PostHog session replay schema in chDB', () => {
  it('creates the objects with the engines chDB can offer in place of PostHog’s', async () => {
    const tables = await rows<{ name: string; engine: string }>(
      'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: 'default' },
    );
    expect(tables).toEqual([
      { name: 'kafka_session_recording_events', engine: 'Null' },
      { name: 'kafka_session_replay_events', engine: 'Null' },
      { name: 'session_recording_events', engine: 'ReplacingMergeTree' },
      { name: 'session_recording_events_mv', engine: 'MaterializedView' },
      { name: 'session_replay_events', engine: 'Merge' },
      { name: 'session_replay_events_mv', engine: 'MaterializedView' },
      { name: 'sharded_session_replay_events', engine: 'AggregatingMergeTree' },
    ]);
    // Re-applying must be harmless: other setup code may run it against an existing directory.
    await applyPostHogSchema(client);
  });

  it('exposes the current column types of session_replay_events, in PostHog’s order', async () => {
    const columns = await rows<{ name: string; type: string; default_expression: string }>(
      `SELECT name, type, default_expression FROM system.columns
       WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
      { db: 'default', table: 'session_replay_events' },
    );
    const dt = "DateTime64(6, 'UTC')";
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ['session_id', 'String'],
      ['team_id', 'Int64'],
      ['distinct_id', 'String'],
      ['min_first_timestamp', `SimpleAggregateFunction(min, ${dt})`],
      ['max_last_timestamp', `SimpleAggregateFunction(max, ${dt})`],
      ['block_first_timestamps', `SimpleAggregateFunction(groupArrayArray, Array(${dt}))`],
      ['block_last_timestamps', `SimpleAggregateFunction(groupArrayArray, Array(${dt}))`],
      ['block_urls', 'SimpleAggregateFunction(groupArrayArray, Array(String))'],
      ['first_url', `AggregateFunction(argMin, Nullable(String), ${dt})`],
      ['all_urls', 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))'],
      ['click_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['keypress_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['mouse_activity_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['active_milliseconds', 'SimpleAggregateFunction(sum, Int64)'],
      ['console_log_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['console_warn_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['console_error_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['size', 'SimpleAggregateFunction(sum, Int64)'],
      ['message_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['event_count', 'SimpleAggregateFunction(sum, Int64)'],
      ['snapshot_source', `AggregateFunction(argMin, LowCardinality(Nullable(String)), ${dt})`],
      ['snapshot_library', `AggregateFunction(argMin, Nullable(String), ${dt})`],
      ['_timestamp', 'SimpleAggregateFunction(max, DateTime)'],
      ['retention_period_days', 'SimpleAggregateFunction(max, Nullable(Int64))'],
      ['is_deleted', 'SimpleAggregateFunction(max, UInt8)'],
      ['ai_tags_fixed', 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))'],
      ['ai_tags_freeform', 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))'],
      ['ai_highlighted', 'SimpleAggregateFunction(max, UInt8)'],
    ]);
    expect(columns.find((c) => c.name === 'is_deleted')?.default_expression).toBe('0');

    // The read proxy must not drift from the physical table it fronts.
    const sharded = await rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
      { db: 'default', table: 'sharded_session_replay_events' },
    );
    expect(sharded).toEqual(columns.map(({ name, type }) => ({ name, type })));
  });

  it('merges two insert batches and a tombstone the way PostHog’s listing query reads them', async () => {
    // Batch 1: two later blocks; only the first carries a first_url.
    await client.insert({
      table: 'kafka_session_replay_events',
      format: 'JSONEachRow',
      values: [
        replayRow({
          first_timestamp: '2024-03-10 10:00:05.000',
          last_timestamp: '2024-03-10 10:00:09.500',
          block_url: 's3://posthog/session_recordings/30d/1710064809500-aaaaaaaaaaaaaaaa?range=bytes=0-99',
          first_url: 'https://example.com/pricing',
          urls: ['https://example.com/pricing'],
          click_count: 2,
          keypress_count: 1,
          mouse_activity_count: 5,
          active_milliseconds: 3000,
          console_log_count: 1,
          size: 1000,
          event_count: 10,
        }),
        replayRow({
          first_timestamp: '2024-03-10 10:00:10.000',
          last_timestamp: '2024-03-10 10:00:20.250',
          block_url: 's3://posthog/session_recordings/30d/1710064809500-aaaaaaaaaaaaaaaa?range=bytes=100-199',
          urls: ['https://example.com/pricing', 'https://example.com/signup'],
          click_count: 1,
          mouse_activity_count: 4,
          active_milliseconds: 2000,
          console_error_count: 1,
          size: 2000,
          event_count: 20,
        }),
        replayRow({
          team_id: 7,
          session_id: 'other-team-session',
          first_timestamp: '2024-03-10 09:00:00.000',
          last_timestamp: '2024-03-10 09:00:01.000',
          block_url: 's3://posthog/session_recordings/30d/1710061201000-bbbbbbbbbbbbbbbb?range=bytes=0-9',
          first_url: 'https://other.example/',
        }),
      ],
    });
    // Batch 2 arrives later but holds the session's earliest block and a different first_url.
    await client.insert({
      table: 'kafka_session_replay_events',
      format: 'JSONEachRow',
      values: [
        replayRow({
          first_timestamp: '2024-03-10 10:00:00.123',
          last_timestamp: '2024-03-10 10:00:04.999',
          block_url: 's3://posthog/session_recordings/90d/1710064804999-cccccccccccccccc?range=bytes=0-49',
          first_url: 'https://example.com/',
          urls: ['https://example.com/'],
          click_count: 3,
          keypress_count: 2,
          mouse_activity_count: 1,
          active_milliseconds: 1500,
          console_warn_count: 2,
          size: 500,
          event_count: 5,
          snapshot_library: 'posthog-js',
          retention_period_days: 90,
        }),
      ],
    });
    // Crypto-shredding tombstone: no block, so it must not add to any block array.
    await client.insert({
      table: 'kafka_session_replay_events',
      format: 'JSONEachRow',
      values: [
        replayRow({
          first_timestamp: '2024-03-10 10:00:00.123',
          last_timestamp: '2024-03-10 10:00:00.123',
          is_deleted: 1,
          message_count: 0,
          snapshot_source: null,
          snapshot_library: null,
          retention_period_days: null,
        }),
      ],
    });

    type Listing = {
      session_id: string;
      team_id: string;
      distinct_id: string;
      start_time: string;
      end_time: string;
      duration: string;
      first_url: string | null;
      click_count: string;
      keypress_count: string;
      mouse_activity_count: string;
      active_seconds: number;
      console_log_count: string;
      console_warn_count: string;
      console_error_count: string;
      size: string;
      message_count: string;
      event_count: string;
      snapshot_source: string | null;
      snapshot_library: string | null;
      all_urls: string[];
      block_first_timestamps: string[];
      block_last_timestamps: string[];
      block_urls: string[];
      retention_period_days: string | null;
      is_deleted: number;
    };
    const listing = await rows<Listing>(
      `SELECT
         s.session_id AS session_id,
         any(s.team_id) AS team_id,
         any(s.distinct_id) AS distinct_id,
         min(s.min_first_timestamp) AS start_time,
         max(s.max_last_timestamp) AS end_time,
         dateDiff('SECOND', start_time, end_time) AS duration,
         argMinMerge(s.first_url) AS first_url,
         sum(s.click_count) AS click_count,
         sum(s.keypress_count) AS keypress_count,
         sum(s.mouse_activity_count) AS mouse_activity_count,
         sum(s.active_milliseconds) / 1000 AS active_seconds,
         sum(s.console_log_count) AS console_log_count,
         sum(s.console_warn_count) AS console_warn_count,
         sum(s.console_error_count) AS console_error_count,
         sum(s.size) AS size,
         sum(s.message_count) AS message_count,
         sum(s.event_count) AS event_count,
         argMinMerge(s.snapshot_source) AS snapshot_source,
         argMinMerge(s.snapshot_library) AS snapshot_library,
         arraySort(groupUniqArrayArray(s.all_urls)) AS all_urls,
         groupArrayArray(s.block_first_timestamps) AS block_first_timestamps,
         groupArrayArray(s.block_last_timestamps) AS block_last_timestamps,
         groupArrayArray(s.block_urls) AS block_urls,
         max(s.retention_period_days) AS retention_period_days,
         max(s.is_deleted) AS is_deleted
       FROM session_replay_events AS s
       WHERE s.team_id = {team:Int64}
         AND s.min_first_timestamp >= {date_from:DateTime64(6, 'UTC')}
         AND s.min_first_timestamp <= {date_to:DateTime64(6, 'UTC')}
       GROUP BY session_id
       ORDER BY start_time DESC
       LIMIT 51`,
      { team: TEAM, date_from: '2024-03-10 00:00:00.000000', date_to: '2024-03-11 00:00:00.000000' },
    );

    expect(listing).toHaveLength(1);
    const s = listing[0];
    expect(s).toMatchObject({
      session_id: SESSION,
      team_id: String(TEAM),
      distinct_id: 'person-1',
      start_time: '2024-03-10 10:00:00.123000',
      end_time: '2024-03-10 10:00:20.250000',
      duration: '20',
      first_url: 'https://example.com/',
      click_count: '6',
      keypress_count: '3',
      mouse_activity_count: '10',
      active_seconds: 6.5,
      console_log_count: '1',
      console_warn_count: '2',
      console_error_count: '1',
      size: '3500',
      message_count: '3',
      event_count: '35',
      snapshot_source: 'web',
      snapshot_library: 'posthog-js',
      all_urls: ['https://example.com/', 'https://example.com/pricing', 'https://example.com/signup'],
      retention_period_days: '90',
      is_deleted: 1,
    });

    // PostHog zips the three arrays by index and drops all blocks when the lengths differ.
    expect(s?.block_urls).toHaveLength(3);
    expect(s?.block_first_timestamps).toHaveLength(3);
    expect(s?.block_last_timestamps).toHaveLength(3);
    const blocks = (s?.block_urls ?? [])
      .map((url, i) => ({ url, first: s?.block_first_timestamps[i], last: s?.block_last_timestamps[i] }))
      .sort((a, b) => String(a.first).localeCompare(String(b.first)));
    expect(blocks).toEqual([
      {
        url: 's3://posthog/session_recordings/90d/1710064804999-cccccccccccccccc?range=bytes=0-49',
        first: '2024-03-10 10:00:00.123000',
        last: '2024-03-10 10:00:04.999000',
      },
      {
        url: 's3://posthog/session_recordings/30d/1710064809500-aaaaaaaaaaaaaaaa?range=bytes=0-99',
        first: '2024-03-10 10:00:05.000000',
        last: '2024-03-10 10:00:09.500000',
      },
      {
        url: 's3://posthog/session_recordings/30d/1710064809500-aaaaaaaaaaaaaaaa?range=bytes=100-199',
        first: '2024-03-10 10:00:10.000000',
        last: '2024-03-10 10:00:20.250000',
      },
    ]);
  });

  it('stores a legacy session_recording_events row through its MV and fills the materialized columns', async () => {
    const now = new Date();
    const eventMs = now.getTime() - 60_000;
    const snapshotData = JSON.stringify({
      chunk_id: '018e2a5b-0000-7000-8000-0000000c0001',
      chunk_index: 0,
      chunk_count: 1,
      data: 'H4sI',
      compression: 'gzip-base64',
      has_full_snapshot: true,
      events_summary: [
        { timestamp: eventMs, type: 4, data: { href: 'https://example.com/legacy' } },
        { timestamp: eventMs + 1000, type: 3, data: { source: 2 } },
        { timestamp: eventMs + 2000, type: 3, data: { source: 5 } },
      ],
    });
    await client.insert({
      table: 'kafka_session_recording_events',
      format: 'JSONEachRow',
      values: [
        {
          uuid: '018e2a5b-0000-7000-8000-0000000e0001',
          timestamp: chDateTime64(new Date(eventMs)),
          team_id: TEAM,
          distinct_id: 'person-1',
          session_id: 'legacy-session',
          window_id: 'window-1',
          snapshot_data: snapshotData,
          created_at: chDateTime64(now),
        },
      ],
    });

    const read = await rows<{
      distinct_id: string;
      timestamp: string;
      snapshot_data: string;
      window_id: string;
      has_full_snapshot: number;
      click_count: number;
      keypress_count: number;
      urls: string[];
      first_event_timestamp: string | null;
    }>(
      `SELECT distinct_id, timestamp, snapshot_data, window_id,
              has_full_snapshot, click_count, keypress_count, urls, first_event_timestamp
       FROM session_recording_events
       WHERE team_id = {team:Int64} AND session_id = {session:String}
       ORDER BY timestamp`,
      { team: TEAM, session: 'legacy-session' },
    );
    expect(read).toEqual([
      {
        distinct_id: 'person-1',
        timestamp: chDateTime64(new Date(eventMs)),
        snapshot_data: snapshotData,
        window_id: 'window-1',
        has_full_snapshot: 1,
        click_count: 1,
        keypress_count: 1,
        urls: ['https://example.com/legacy'],
        // timestamps_summary goes through toDateTime(), so PostHog truncates it to whole seconds.
        first_event_timestamp: chDateTime64(new Date(Math.floor(eventMs / 1000) * 1000)),
      },
    ]);
  });

  it('keeps PostHog’s 3-week legacy TTL by default and omits it on request', async () => {
    expect(POSTHOG_SCHEMA_STATEMENTS.join('\n')).toContain('TTL toDate(created_at) + INTERVAL 3 WEEK');
    expect(postHogSchemaStatements('default', { legacyRecordingTtlWeeks: null }).join('\n')).not.toContain('TTL');

    await applyPostHogSchema(client, 'posthog_no_ttl', { legacyRecordingTtlWeeks: null });
    const oldRow = {
      uuid: '018e2a5b-0000-7000-8000-0000000e0002',
      timestamp: '2021-06-01 12:00:00.000000',
      team_id: TEAM,
      distinct_id: 'person-1',
      session_id: 'expired-session',
      window_id: '',
      snapshot_data: '{}',
      created_at: '2021-06-01 12:00:00.000000',
    };
    for (const db of ['default', 'posthog_no_ttl']) {
      await client.insert({ table: `${db}.kafka_session_recording_events`, format: 'JSONEachRow', values: [oldRow] });
      // FINAL forces the TTL merge that ClickHouse would otherwise run in the background within seconds.
      await client.command({ query: `OPTIMIZE TABLE ${db}.session_recording_events FINAL` });
    }

    const survivors: Record<string, string | undefined> = {};
    for (const db of ['default', 'posthog_no_ttl']) {
      const [count] = await rows<{ n: string }>(
        `SELECT count() AS n FROM ${db}.session_recording_events WHERE session_id = {session:String}`,
        { session: 'expired-session' },
      );
      survivors[db] = count?.n;
    }
    expect(survivors).toEqual({ default: '0', posthog_no_ttl: '1' });
  });
});

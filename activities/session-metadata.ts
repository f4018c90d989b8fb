/**
 * PostHog's metadata for a batch of sessions, aggregated over all of each session's rows the way PostHog's own
 * metadata query does (argMinMerge for the AggregateFunction columns, sums, unions), plus the block list.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { parseChTimestamp } from './clickhouse';

export interface SessionMetadata {
  teamId: number;
  sessionId: string;
  distinctId: string | null;
  startMs: number;
  endMs: number;
  firstUrl: string | null;
  urls: string[];
  clickCount: number;
  keypressCount: number;
  mouseActivityCount: number;
  activeMs: number;
  consoleLogCount: number;
  consoleWarnCount: number;
  consoleErrorCount: number;
  size: number;
  snapshotSource: string | null;
  snapshotLibrary: string | null;
  retentionPeriodDays: number | null;
  /** Block URLs ordered by each block's first timestamp, duplicates removed. */
  blockUrls: string[];
  /** The earliest block starts after the session does: its first part was written by the v1 ingester. */
  startedBeforeBlocks: boolean;
}

interface MetadataRow {
  team_id: string | number;
  session_id: string;
  distinct_id: string;
  start_time: string;
  end_time: string;
  first_url: string | null;
  urls: string[];
  click_count: string | number;
  keypress_count: string | number;
  mouse_activity_count: string | number;
  active_milliseconds: string | number;
  console_log_count: string | number;
  console_warn_count: string | number;
  console_error_count: string | number;
  size: string | number;
  snapshot_source: string | null;
  snapshot_library: string | null;
  retention_period_days: string | number | null;
  block_urls: string[];
  block_first_timestamps: string[];
}

export async function replayMetadata(
  client: ClickHouseClient,
  teams: readonly number[],
  sessionIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, SessionMetadata>> {
  const out = new Map<string, SessionMetadata>();
  if (sessionIds.length === 0) return out;
  const rs = await client.query({
    query: `
      SELECT team_id, session_id,
             anyIf(distinct_id, distinct_id != '') AS distinct_id,
             min(min_first_timestamp) AS start_time, max(max_last_timestamp) AS end_time,
             argMinMerge(first_url) AS first_url, groupUniqArrayArray(all_urls) AS urls,
             sum(click_count) AS click_count, sum(keypress_count) AS keypress_count,
             sum(mouse_activity_count) AS mouse_activity_count, sum(active_milliseconds) AS active_milliseconds,
             sum(console_log_count) AS console_log_count, sum(console_warn_count) AS console_warn_count,
             sum(console_error_count) AS console_error_count, sum(size) AS size,
             argMinMerge(snapshot_source) AS snapshot_source, argMinMerge(snapshot_library) AS snapshot_library,
             max(retention_period_days) AS retention_period_days,
             groupArrayArray(block_urls) AS block_urls, groupArrayArray(block_first_timestamps) AS block_first_timestamps
      FROM session_replay_events
      PREWHERE team_id IN {teams:Array(Int64)} AND session_id IN {sessions:Array(String)}
      GROUP BY team_id, session_id`,
    query_params: { teams: [...teams], sessions: [...sessionIds] },
    format: 'JSONEachRow',
    abort_signal: signal,
  });
  for (const r of await rs.json<MetadataRow>()) {
    const startMs = parseChTimestamp(r.start_time);
    // PostHog zips the arrays and refuses a session whose lengths differ; here the URLs still export, unordered.
    const aligned = r.block_urls.length === r.block_first_timestamps.length;
    const blocks = r.block_urls.map((url, i) => ({
      url,
      first: aligned ? parseChTimestamp(r.block_first_timestamps[i] ?? r.start_time) : startMs,
    }));
    blocks.sort((a, b) => a.first - b.first);
    const firstBlock = blocks[0]?.first;
    out.set(`${Number(r.team_id)}/${r.session_id}`, {
      teamId: Number(r.team_id),
      sessionId: r.session_id,
      distinctId: r.distinct_id || null,
      startMs,
      endMs: parseChTimestamp(r.end_time),
      firstUrl: r.first_url,
      urls: [...r.urls].sort(),
      clickCount: Number(r.click_count),
      keypressCount: Number(r.keypress_count),
      mouseActivityCount: Number(r.mouse_activity_count),
      activeMs: Number(r.active_milliseconds),
      consoleLogCount: Number(r.console_log_count),
      consoleWarnCount: Number(r.console_warn_count),
      consoleErrorCount: Number(r.console_error_count),
      size: Number(r.size),
      snapshotSource: r.snapshot_source,
      snapshotLibrary: r.snapshot_library,
      retentionPeriodDays: r.retention_period_days === null ? null : Number(r.retention_period_days),
      blockUrls: [...new Set(blocks.map((b) => b.url))],
      startedBeforeBlocks: firstBlock === undefined || firstBlock > startMs,
    });
  }
  return out;
}

/** Legacy sessions: what `session_recording_events` knows of them (its metrics are materialized per row). */
export async function legacyMetadata(
  client: ClickHouseClient,
  teams: readonly number[],
  sessionIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, { distinctId: string | null; startMs: number; endMs: number }>> {
  const out = new Map<string, { distinctId: string | null; startMs: number; endMs: number }>();
  if (sessionIds.length === 0) return out;
  const rs = await client.query({
    query: `
      SELECT team_id, session_id, any(distinct_id) AS distinct_id, min(timestamp) AS start_time, max(timestamp) AS end_time
      FROM session_recording_events
      PREWHERE team_id IN {teams:Array(Int64)} AND session_id IN {sessions:Array(String)}
      GROUP BY team_id, session_id`,
    query_params: { teams: [...teams], sessions: [...sessionIds] },
    format: 'JSONEachRow',
    abort_signal: signal,
  });
  for (const r of await rs.json<{
    team_id: string | number;
    session_id: string;
    distinct_id: string;
    start_time: string;
    end_time: string;
  }>()) {
    out.set(`${Number(r.team_id)}/${r.session_id}`, {
      distinctId: r.distinct_id || null,
      startMs: parseChTimestamp(r.start_time),
      endMs: parseChTimestamp(r.end_time),
    });
  }
  return out;
}

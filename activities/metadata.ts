/**
 * PostHog's metadata for a batch of sessions of one (day, team) partition, aggregated over all of each session's rows
 * the way PostHog's own metadata query does (argMinMerge for the AggregateFunction columns, sums, unions), plus the
 * block list. Counters travel as decimal strings when they exceed 2^53, so a corrupt counter is exported exactly
 * rather than rounded or refused.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp, parseChTimestamp, selectRows } from './clickhouse';
import { fingerprint } from './lake-layout';
import { SESSION_SPAN_MS } from './listing';
import type { SessionRef } from './listing';
import type { SourceSchema } from './source-schema';

/** An Int64 from ClickHouse: a number when it is exact as one, else its decimal text. */
export type Int64 = number | string;

export interface BlockMeta {
  url: string;
  /** The block's earliest event time as PostHog recorded it, epoch ms; null when the metadata arrays disagree. */
  firstMs: number | null;
}

export interface SessionMetadata {
  teamId: number;
  sessionId: string;
  generation: 'replay' | 'legacy';
  distinctId: string | null;
  startMs: number;
  endMs: number;
  firstUrl: string | null;
  urls: string[];
  clickCount: Int64 | null;
  keypressCount: Int64 | null;
  mouseActivityCount: Int64 | null;
  activeMs: Int64 | null;
  consoleLogCount: Int64 | null;
  consoleWarnCount: Int64 | null;
  consoleErrorCount: Int64 | null;
  size: Int64 | null;
  eventCount: Int64 | null;
  snapshotSource: string | null;
  snapshotLibrary: string | null;
  retentionPeriodDays: Int64 | null;
  /** When PostHog last ingested anything for the session (max `_timestamp`), epoch ms. */
  lastIngestedMs: number;
  /** Distinct blob-v2 blocks, ordered by first timestamp then URL so ties order the same way every time. */
  blocks: BlockMeta[];
  /** The earliest block starts after the session does: its first part was written by the v1 ingester. */
  startedBeforeBlocks: boolean;
  /** Digest of everything above: part of the names of the files the session's batch writes. */
  digest: string;
}

function int64(text: string | number | null): Int64 | null {
  if (text === null) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : String(text);
}

interface ReplayRow {
  session_id: string;
  distinct_id: string;
  start_time: string;
  end_time: string;
  first_url: string | null;
  urls: string[];
  click_count: string;
  keypress_count: string;
  mouse_activity_count: string;
  active_milliseconds: string;
  console_log_count: string;
  console_warn_count: string;
  console_error_count: string;
  size: string;
  event_count: string;
  snapshot_source: string | null;
  snapshot_library: string | null;
  retention_period_days: string | null;
  last_ingested: string | null;
  block_urls: string[];
  block_first_timestamps: string[];
}

function replayQuery(schema: SourceSchema): string {
  return `
    SELECT session_id,
           anyIf(distinct_id, distinct_id != '') AS distinct_id,
           min(min_first_timestamp) AS start_time, max(max_last_timestamp) AS end_time,
           argMinMerge(first_url) AS first_url, groupUniqArrayArray(all_urls) AS urls,
           toString(sum(click_count)) AS click_count, toString(sum(keypress_count)) AS keypress_count,
           toString(sum(mouse_activity_count)) AS mouse_activity_count,
           toString(sum(active_milliseconds)) AS active_milliseconds,
           toString(sum(console_log_count)) AS console_log_count, toString(sum(console_warn_count)) AS console_warn_count,
           toString(sum(console_error_count)) AS console_error_count, toString(sum(size)) AS size,
           toString(sum(event_count)) AS event_count,
           argMinMerge(snapshot_source) AS snapshot_source, argMinMerge(snapshot_library) AS snapshot_library,
           ${schema.retention ? 'toString(max(retention_period_days))' : 'NULL'} AS retention_period_days,
           toString(max(_timestamp)) AS last_ingested,
           ${schema.blocks ? 'groupArrayArray(block_urls)' : '[]'} AS block_urls,
           ${schema.blocks ? 'arrayMap(t -> toString(t), groupArrayArray(block_first_timestamps))' : '[]'} AS block_first_timestamps
    FROM session_replay_events
    PREWHERE team_id = {team:Int64} AND session_id IN {sessions:Array(String)}
         AND min_first_timestamp >= {scan_start:DateTime64(6, 'UTC')} AND min_first_timestamp < {scan_end:DateTime64(6, 'UTC')}
    ${schema.tombstones ? 'WHERE is_deleted = 0' : ''}
    GROUP BY session_id`;
}

/**
 * Metadata of a batch's sessions, which all start on `day` for one team. Rows are read from the session's start day
 * to the day after it (SESSION_SPAN_MS), the span any session's rows can cover.
 */
export async function batchMetadata(
  client: ClickHouseClient,
  schema: SourceSchema,
  teamId: number,
  dayStartMs: number,
  sessions: readonly SessionRef[],
  signal?: AbortSignal,
): Promise<Map<string, SessionMetadata>> {
  const out = new Map<string, SessionMetadata>();
  if (sessions.length === 0) return out;
  const params = {
    team: teamId,
    sessions: sessions.map((s) => s.sessionId),
    scan_start: chTimestamp(dayStartMs),
    scan_end: chTimestamp(dayStartMs + 86_400_000 + SESSION_SPAN_MS),
  };
  if (schema.replay) {
    const rows = await selectRows<ReplayRow>(client, replayQuery(schema), params, {
      signal,
      what: 'session metadata',
    });
    for (const r of rows) out.set(r.session_id, replayMetadata(teamId, r));
  }
  const missing = sessions.filter((s) => !out.has(s.sessionId));
  if (missing.length > 0 && schema.legacy) {
    for (const m of await legacyMetadata(
      client,
      teamId,
      { ...params, sessions: missing.map((s) => s.sessionId) },
      signal,
    ))
      out.set(m.sessionId, m);
  }
  return out;
}

function replayMetadata(teamId: number, r: ReplayRow): SessionMetadata {
  const startMs = parseChTimestamp(r.start_time);
  // PostHog zips the arrays and refuses a session whose lengths differ; here the blocks still export, scheduled from
  // the session's start so that none is opened too late.
  const aligned = r.block_urls.length === r.block_first_timestamps.length;
  const byUrl = new Map<string, BlockMeta>();
  r.block_urls.forEach((url, i) => {
    const ts = aligned ? r.block_first_timestamps[i] : undefined;
    const firstMs = ts === undefined ? null : parseChTimestamp(ts);
    const known = byUrl.get(url);
    if (!known || (firstMs !== null && (known.firstMs === null || firstMs < known.firstMs)))
      byUrl.set(url, { url, firstMs });
  });
  const blocks = [...byUrl.values()].sort(
    (a, b) => (a.firstMs ?? startMs) - (b.firstMs ?? startMs) || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0),
  );
  const firstBlock = blocks[0]?.firstMs ?? undefined;
  const meta: Omit<SessionMetadata, 'digest'> = {
    teamId,
    sessionId: r.session_id,
    generation: 'replay',
    distinctId: r.distinct_id || null,
    startMs,
    endMs: parseChTimestamp(r.end_time),
    firstUrl: r.first_url,
    urls: [...r.urls].sort(),
    clickCount: int64(r.click_count),
    keypressCount: int64(r.keypress_count),
    mouseActivityCount: int64(r.mouse_activity_count),
    activeMs: int64(r.active_milliseconds),
    consoleLogCount: int64(r.console_log_count),
    consoleWarnCount: int64(r.console_warn_count),
    consoleErrorCount: int64(r.console_error_count),
    size: int64(r.size),
    eventCount: int64(r.event_count),
    snapshotSource: r.snapshot_source,
    snapshotLibrary: r.snapshot_library,
    retentionPeriodDays: r.retention_period_days === null ? null : int64(r.retention_period_days),
    lastIngestedMs: r.last_ingested === null ? 0 : parseChTimestamp(r.last_ingested),
    blocks,
    startedBeforeBlocks: blocks.length === 0 || (firstBlock !== undefined && firstBlock > startMs),
  };
  return { ...meta, digest: fingerprint(meta, 32) };
}

/** Legacy sessions: what `session_recording_events` knows of them (its metrics are materialized per row). */
async function legacyMetadata(
  client: ClickHouseClient,
  teamId: number,
  params: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<SessionMetadata[]> {
  const rows = await selectRows<{
    session_id: string;
    distinct_id: string;
    start_time: string;
    end_time: string;
    last_ingested: string | null;
    size: string;
    rows: string;
  }>(
    client,
    `SELECT session_id, any(distinct_id) AS distinct_id, min(timestamp) AS start_time, max(timestamp) AS end_time,
            toString(max(_timestamp)) AS last_ingested, toString(sum(length(snapshot_data))) AS size,
            toString(uniqExact(uuid)) AS rows
     FROM session_recording_events
     PREWHERE team_id = {team:Int64} AND session_id IN {sessions:Array(String)}
          AND timestamp >= {scan_start:DateTime64(6, 'UTC')} AND timestamp < {scan_end:DateTime64(6, 'UTC')}
     GROUP BY session_id`,
    params,
    { signal, what: 'legacy session metadata' },
  );
  return rows.map((r) => {
    const meta: Omit<SessionMetadata, 'digest'> = {
      teamId,
      sessionId: r.session_id,
      generation: 'legacy',
      distinctId: r.distinct_id || null,
      startMs: parseChTimestamp(r.start_time),
      endMs: parseChTimestamp(r.end_time),
      firstUrl: null,
      urls: [],
      clickCount: null,
      keypressCount: null,
      mouseActivityCount: null,
      activeMs: null,
      consoleLogCount: null,
      consoleWarnCount: null,
      consoleErrorCount: null,
      size: null,
      eventCount: null,
      snapshotSource: null,
      snapshotLibrary: null,
      retentionPeriodDays: null,
      lastIngestedMs: r.last_ingested === null ? 0 : parseChTimestamp(r.last_ingested),
      blocks: [],
      startedBeforeBlocks: false,
    };
    return { ...meta, digest: fingerprint({ ...meta, size: r.size, rows: r.rows }, 32) };
  });
}

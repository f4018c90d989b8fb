/**
 * Which sessions an export window holds. A session belongs to the window its first event falls in; all of its rows
 * are then aggregated, whatever day they landed on (a midnight-spanning session's next-day rows, a later deletion
 * tombstone). Deleted sessions and sessions still being ingested are counted, not exported.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp, parseChTimestamp } from './clickhouse';

export interface ListWindow {
  teams: readonly number[];
  startMs: number;
  endMs: number;
  /** Sessions whose last ingestion is at or after this instant may still grow: skip them. */
  settledBeforeMs: number;
}

export interface SessionRef {
  teamId: number;
  sessionId: string;
  startMs: number;
  /** When PostHog last ingested anything for the session: the partition's source watermark. */
  lastIngestedMs?: number;
}

export interface ListPage {
  sessions: SessionRef[];
  deleted: number;
  unsettled: number;
  /** Keyset cursor for the next page, or null at the end. */
  next: { teamId: number; sessionId: string } | null;
}

/**
 * Both metadata generations in one keyset-paginated pass: `session_replay_events` (blob v1 and v2) and the legacy
 * `session_recording_events`, when the install still has it.
 */
function listingQuery(withLegacy: boolean): string {
  const replay = `
    SELECT team_id, session_id, min(min_first_timestamp) AS start_time, max(is_deleted) AS deleted,
           max(_timestamp) AS last_ingested
    FROM session_replay_events
    PREWHERE team_id IN {teams:Array(Int64)} AND session_id IN (
      SELECT session_id FROM session_replay_events
      WHERE team_id IN {teams:Array(Int64)}
        AND min_first_timestamp >= {start:DateTime64(6, 'UTC')} AND min_first_timestamp < {end:DateTime64(6, 'UTC')})
    GROUP BY team_id, session_id`;
  const legacy = `
    SELECT team_id, session_id, min(timestamp) AS start_time, toUInt8(0) AS deleted, max(_timestamp) AS last_ingested
    FROM session_recording_events
    PREWHERE team_id IN {teams:Array(Int64)} AND session_id IN (
      SELECT session_id FROM session_recording_events
      WHERE team_id IN {teams:Array(Int64)}
        AND timestamp >= {start:DateTime64(6, 'UTC')} AND timestamp < {end:DateTime64(6, 'UTC')})
    GROUP BY team_id, session_id`;
  return `
    SELECT team_id, session_id, min(start_time) AS start_time, max(deleted) AS deleted,
           max(last_ingested) AS last_ingested
    FROM (${replay}${withLegacy ? ` UNION ALL ${legacy}` : ''})
    GROUP BY team_id, session_id
    HAVING start_time >= {start:DateTime64(6, 'UTC')} AND start_time < {end:DateTime64(6, 'UTC')}
       AND (team_id, session_id) > ({after_team:Int64}, {after_session:String})
    ORDER BY team_id, session_id
    LIMIT {limit:UInt32}`;
}

interface ListingRow {
  team_id: string | number;
  session_id: string;
  start_time: string;
  deleted: string | number;
  last_ingested: string | null;
}

export async function listSessionsPage(
  client: ClickHouseClient,
  window: ListWindow,
  after: { teamId: number; sessionId: string } | null,
  limit: number,
  opts: { withLegacy: boolean; signal?: AbortSignal },
): Promise<ListPage> {
  const rs = await client.query({
    query: listingQuery(opts.withLegacy),
    query_params: {
      teams: [...window.teams],
      start: chTimestamp(window.startMs),
      end: chTimestamp(window.endMs),
      after_team: after?.teamId ?? -1,
      after_session: after?.sessionId ?? '',
      limit,
    },
    format: 'JSONEachRow',
    abort_signal: opts.signal,
  });
  const rows = await rs.json<ListingRow>();
  const page: ListPage = { sessions: [], deleted: 0, unsettled: 0, next: null };
  for (const row of rows) {
    if (Number(row.deleted) > 0) page.deleted++;
    else if (row.last_ingested !== null && parseChTimestamp(row.last_ingested) >= window.settledBeforeMs)
      page.unsettled++;
    else
      page.sessions.push({
        teamId: Number(row.team_id),
        sessionId: row.session_id,
        startMs: parseChTimestamp(row.start_time),
      });
  }
  const last = rows[rows.length - 1];
  if (rows.length === limit && last) page.next = { teamId: Number(last.team_id), sessionId: last.session_id };
  return page;
}

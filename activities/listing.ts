/**
 * Which sessions an export window holds, page by page. A session belongs to the day its first event falls on; the
 * listing returns references only (never recording data), ordered by (day, team, session) so that batches never
 * straddle a (day, team) partition.
 *
 * Reads scale with the window, not the table: every query carries a bound on `min_first_timestamp`, the column
 * behind the first key of PostHog's ORDER BY (toDate(min_first_timestamp), team_id, session_id), so ClickHouse reads
 * only the window's days plus one on each side. One day suffices because posthog-js rotates a session after 24 hours
 * (SESSION_LENGTH_LIMIT_MILLISECONDS in packages/browser/src/sessionid.ts): all rows of a session that starts in the
 * window lie before window end + 1 day, and a session that started before the window has a row in the day before
 * it, which is what excludes it here. Deletion tombstones are the exception: they land on the day of deletion, so
 * they are looked up by session id for the page's sessions only.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp, parseChTimestamp, selectRowsCounted } from './clickhouse';
import type { SourceSchema } from './source-schema';
import { DAY_MS } from '../common/windows';

/** How far around the window rows of its sessions (and of sessions just before it) can lie; see above. */
export const SESSION_SPAN_MS = DAY_MS;

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
  /** PostHog's uncompressed size of the session, so batches can be cut by bytes as well as by count. */
  bytes: number;
}

export interface ListCursor {
  day: string;
  teamId: number;
  sessionId: string;
}

export interface PartitionSkips {
  dt: string;
  teamId: number;
  deleted: number;
  unsettled: number;
}

export interface ListPage {
  sessions: SessionRef[];
  skipped: PartitionSkips[];
  /** Keyset cursor for the next page, or null at the end. */
  next: ListCursor | null;
  /** Rows ClickHouse read for this page, when it reports them. */
  rowsRead: number;
}

function listingQuery(schema: SourceSchema): string {
  const parts: string[] = [];
  if (schema.replay)
    parts.push(`
      SELECT team_id, session_id, min(min_first_timestamp) AS start_time, max(_timestamp) AS last_ingested,
             toInt64(sum(size)) AS bytes
      FROM session_replay_events
      PREWHERE team_id IN {teams:Array(Int64)}
           AND min_first_timestamp >= {scan_start:DateTime64(6, 'UTC')}
           AND min_first_timestamp < {scan_end:DateTime64(6, 'UTC')}
      ${schema.tombstones ? 'WHERE is_deleted = 0' : ''}
      GROUP BY team_id, session_id`);
  if (schema.legacy)
    parts.push(`
      SELECT team_id, session_id, min(timestamp) AS start_time, max(_timestamp) AS last_ingested,
             toInt64(sum(length(snapshot_data))) AS bytes
      FROM session_recording_events
      PREWHERE team_id IN {teams:Array(Int64)}
           AND timestamp >= {scan_start:DateTime64(6, 'UTC')} AND timestamp < {scan_end:DateTime64(6, 'UTC')}
      GROUP BY team_id, session_id`);
  return `
    SELECT toString(toDate(start_time)) AS day, team_id, session_id, min(start_time) AS start_time,
           max(last_ingested) AS last_ingested, toString(sum(bytes)) AS bytes
    FROM (${parts.join(' UNION ALL ')})
    GROUP BY team_id, session_id
    HAVING start_time >= {start:DateTime64(6, 'UTC')} AND start_time < {end:DateTime64(6, 'UTC')}
       AND (toDate(start_time), team_id, session_id) > (toDate({after_day:String}), {after_team:Int64}, {after_session:String})
    ORDER BY toDate(start_time), team_id, session_id
    LIMIT {limit:UInt32}`;
}

interface ListingRow {
  day: string;
  team_id: string | number;
  session_id: string;
  start_time: string;
  last_ingested: string | null;
  bytes: string;
}

/** The listing statement for one page and its bound parameters (the benchmark explains this exact statement). */
export function listingStatement(
  schema: SourceSchema,
  window: ListWindow,
  after: ListCursor | null,
  limit: number,
): { query: string; params: Record<string, unknown> } {
  return {
    query: listingQuery(schema),
    params: {
      teams: [...window.teams],
      scan_start: chTimestamp(window.startMs - SESSION_SPAN_MS),
      scan_end: chTimestamp(window.endMs + SESSION_SPAN_MS),
      start: chTimestamp(window.startMs),
      end: chTimestamp(window.endMs),
      after_day: after?.day ?? '1970-01-01',
      after_team: after?.teamId ?? -1,
      after_session: after?.sessionId ?? '',
      limit,
    },
  };
}

export async function listSessionsPage(
  client: ClickHouseClient,
  schema: SourceSchema,
  window: ListWindow,
  after: ListCursor | null,
  limit: number,
  signal?: AbortSignal,
): Promise<ListPage> {
  const { query, params } = listingStatement(schema, window, after, limit);
  const { rows, rowsRead } = await selectRowsCounted<ListingRow>(client, query, params, {
    signal,
    what: 'listing sessions',
  });
  const deleted = schema.tombstones
    ? await tombstoned(client, window, rows, signal)
    : { ids: new Set<string>(), rowsRead: 0 };

  const page: ListPage = { sessions: [], skipped: [], next: null, rowsRead: rowsRead + deleted.rowsRead };
  const skips = new Map<string, PartitionSkips>();
  const skip = (row: ListingRow, field: 'deleted' | 'unsettled') => {
    const key = `${row.day}/${row.team_id}`;
    const entry = skips.get(key) ?? { dt: row.day, teamId: Number(row.team_id), deleted: 0, unsettled: 0 };
    entry[field]++;
    skips.set(key, entry);
  };
  for (const row of rows) {
    if (deleted.ids.has(`${row.team_id}/${row.session_id}`)) skip(row, 'deleted');
    else if (row.last_ingested !== null && parseChTimestamp(row.last_ingested) >= window.settledBeforeMs)
      skip(row, 'unsettled');
    else
      page.sessions.push({
        teamId: Number(row.team_id),
        sessionId: row.session_id,
        startMs: parseChTimestamp(row.start_time),
        bytes: Number(row.bytes),
      });
  }
  page.skipped = [...skips.values()];
  const last = rows[rows.length - 1];
  if (rows.length === limit && last)
    page.next = { day: last.day, teamId: Number(last.team_id), sessionId: last.session_id };
  return page;
}

/** The tombstone lookup for a page's sessions and its bound parameters. */
export function tombstoneStatement(
  window: ListWindow,
  rows: ReadonlyArray<{ team_id: string | number; session_id: string }>,
): { query: string; params: Record<string, unknown> } {
  return {
    query: `SELECT DISTINCT team_id, session_id FROM session_replay_events
     PREWHERE team_id IN {teams:Array(Int64)} AND session_id IN {sessions:Array(String)}
          AND min_first_timestamp >= {start:DateTime64(6, 'UTC')}
     WHERE is_deleted = 1`,
    params: {
      teams: [...new Set(rows.map((r) => Number(r.team_id)))],
      sessions: rows.map((r) => r.session_id),
      start: chTimestamp(window.startMs),
    },
  };
}

/**
 * The page's sessions that carry a deletion tombstone. The tombstone sits on the deletion day, anywhere after the
 * session started, so only the lower bound applies; the session-id filter lets ClickHouse skip granules whose key
 * range cannot hold those ids.
 */
async function tombstoned(
  client: ClickHouseClient,
  window: ListWindow,
  rows: readonly ListingRow[],
  signal: AbortSignal | undefined,
): Promise<{ ids: Set<string>; rowsRead: number }> {
  const ids = new Set<string>();
  if (rows.length === 0) return { ids, rowsRead: 0 };
  const { query, params } = tombstoneStatement(window, rows);
  const { rows: found, rowsRead } = await selectRowsCounted<{ team_id: string | number; session_id: string }>(
    client,
    query,
    params,
    { signal, what: 'listing deletions' },
  );
  for (const r of found) ids.add(`${Number(r.team_id)}/${r.session_id}`);
  return { ids, rowsRead };
}

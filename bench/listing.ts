/**
 * Listing at scale: a chDB table of PostHog's schema holding `rows` metadata rows over 60 days (four blocks per
 * session, three teams), filled through the Kafka table and its materialized view as ingestion fills it. One page of
 * one day is listed the way the workflow lists it (listSessionsPage over HTTP), and ClickHouse's own index analysis
 * (EXPLAIN ESTIMATE) says how many rows the page's statements read, against the rows of the whole table and of the
 * days the scan bound covers.
 *
 * chDB reports result rows, not rows scanned, in its HTTP summary, so rows read come from EXPLAIN ESTIMATE, which
 * counts the granules the primary key leaves.
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp } from '../activities/clickhouse';
import { listSessionsPage, listingStatement, tombstoneStatement } from '../activities/listing';
import { probeSourceSchema } from '../activities/source-schema';
import { freshClickHouse } from '../test/support/stack';

const DAY_MS = 86_400_000;
const FIRST_DAY = Date.parse('2026-08-01T00:00:00Z');
const DAYS = 60;
const BLOCKS_PER_SESSION = 4;
const PAGE = 1000;

export interface ListingResult {
  tableRows: number;
  dayRows: number;
  /** Rows of the days the scan bound covers (the day, one before, one after). */
  scanDaysRows: number;
  pageMs: number;
  listingRowsRead: number;
  tombstoneRowsRead: number;
  fillSeconds: number;
}

async function count(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}) {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

async function estimate(client: ClickHouseClient, statement: { query: string; params: Record<string, unknown> }) {
  // The Merge table in front answers EXPLAIN ESTIMATE with nothing; the table behind it has the same key and rows.
  const rs = await client.query({
    query: `EXPLAIN ESTIMATE ${statement.query.replaceAll('FROM session_replay_events', 'FROM sharded_session_replay_events')}`,
    query_params: statement.params,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ rows: string }>()).reduce((n, r) => n + Number(r.rows), 0);
}

export async function listingBench(rows: number): Promise<ListingResult> {
  const ch = await freshClickHouse();
  // Filling millions of rows takes longer than the client's default 30 s request timeout; the fill sends no progress
  // headers, which the client would warn about.
  const client = createClient({
    url: ch.url,
    username: ch.username,
    password: ch.password,
    request_timeout: 600_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const sessions = Math.floor(rows / BLOCKS_PER_SESSION);
    const fill = process.hrtime.bigint();
    // Merges would fold a session's rows together at their own pace; stopped, the table holds exactly `rows`.
    await client.command({ query: 'SYSTEM STOP MERGES sharded_session_replay_events' });
    // Session n starts on day n mod 60 at a time spread over the day; its blocks follow it a minute apart.
    await client.command({
      query: `
        INSERT INTO kafka_session_replay_events
          (session_id, team_id, distinct_id, first_timestamp, last_timestamp, block_url, urls, size, event_count,
           message_count, is_deleted, _timestamp)
        SELECT
          lower(hex(cityHash64(s))) AS session_id,
          1 + s % 3 AS team_id,
          'user' AS distinct_id,
          fromUnixTimestamp64Milli(toInt64({first:Int64} + (s % {days:UInt32}) * 86400000
            + intDiv(s * 7919, {days:UInt32}) % 86000000 + b * 60000), 'UTC') AS first_timestamp,
          first_timestamp + INTERVAL 50 SECOND AS last_timestamp,
          concat('s3://posthog/session_recordings/30d/', toString(s), '?range=bytes=0-99') AS block_url,
          [] AS urls, 1000 AS size, 10 AS event_count, 1 AS message_count, 0 AS is_deleted,
          toDateTime(first_timestamp) AS _timestamp
        FROM (SELECT number % {sessions:UInt64} AS s, intDiv(number, {sessions:UInt64}) AS b FROM numbers({rows:UInt64}))`,
      query_params: {
        first: FIRST_DAY,
        days: DAYS,
        sessions,
        rows: sessions * BLOCKS_PER_SESSION,
      },
      // Small insert blocks, so a session's blocks arrive in different inserts and stay separate rows, as ingestion leaves them.
      clickhouse_settings: { max_insert_block_size: '65536', min_insert_block_size_rows: '65536' },
    });
    const fillSeconds = Number(process.hrtime.bigint() - fill) / 1e9;

    const day = FIRST_DAY + 30 * DAY_MS;
    const window = { teams: [1, 2, 3], startMs: day, endMs: day + DAY_MS, settledBeforeMs: Date.now() };
    const between = (from: number, to: number) =>
      count(
        client,
        `SELECT count() AS n FROM sharded_session_replay_events
         WHERE min_first_timestamp >= {from:DateTime64(6, 'UTC')} AND min_first_timestamp < {to:DateTime64(6, 'UTC')}`,
        { from: chTimestamp(from), to: chTimestamp(to) },
      );
    const tableRows = await count(client, 'SELECT count() AS n FROM sharded_session_replay_events');
    const dayRows = await between(day, day + DAY_MS);
    const scanDaysRows = await between(day - DAY_MS, day + 2 * DAY_MS);

    const schema = await probeSourceSchema(client, 'default');
    const times: number[] = [];
    let listed: Awaited<ReturnType<typeof listSessionsPage>> | undefined;
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      listed = await listSessionsPage(client, schema, window, null, PAGE);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    if (!listed || listed.sessions.length !== PAGE)
      throw new Error(`listing returned ${listed?.sessions.length} sessions, expected a full page of ${PAGE}`);
    times.sort((a, b) => a - b);
    const listingRowsRead = await estimate(client, listingStatement(schema, window, null, PAGE));
    const tombstoneRowsRead = await estimate(
      client,
      tombstoneStatement(
        window,
        listed.sessions.map((s) => ({ team_id: s.teamId, session_id: s.sessionId })),
      ),
    );
    return {
      tableRows,
      dayRows,
      scanDaysRows,
      pageMs: times[Math.floor(times.length / 2)]!,
      listingRowsRead,
      tombstoneRowsRead,
      fillSeconds,
    };
  } finally {
    await client.close();
    await ch.close();
  }
}

/**
 * PostHog's ClickHouse objects for session replay, recreated in a chDB data directory (served over HTTP by
 * http-server.ts) so tests and local runs read the same tables, column types and merge semantics as a self-hosted
 * PostHog install. The statements are plain ClickHouse DDL and apply through any ClickHouse client.
 *
 * Sources (PostHog/posthog):
 * - posthog/session_recordings/sql/session_replay_event_sql.py (KAFKA_/SESSION_REPLAY_EVENTS_TABLE_BASE_SQL,
 *   SESSION_REPLAY_EVENTS_TABLE_SQL, SESSION_REPLAY_EVENTS_TABLE_MV_SQL, WRITABLE_/DISTRIBUTED_… tables)
 * - posthog/session_recordings/sql/session_replay_event_migrations_sql.py (block_* columns,
 *   retention_period_days retyped to SimpleAggregateFunction(max, Nullable(Int64)), TTL added then removed)
 * - the newest rendered DDL of that module (kafka table, sharded/writable/distributed tables and MV with
 *   is_deleted, ai_tags_fixed, ai_tags_freeform, ai_highlighted), from rendered-SQL test expectations in the
 *   repository (exact file not identified), and the ClickHouse migration that imports
 *   ADD_IS_DELETED_*_SESSION_REPLAY_EVENTS_TABLE_SQL (drops MV + kafka table, ALTERs, recreates them)
 * - posthog/session_recordings/sql/session_recording_event_sql.py (legacy table, MATERIALIZED_COLUMNS)
 * - posthog/models/session_recording_event/sql.py (older home of the same DDL; shows the non-replicated
 *   layout: data table `session_recording_events`, MV straight into it)
 * - posthog/clickhouse/kafka_engine.py (KAFKA_COLUMNS, ttl_period), posthog/clickhouse/indexes.py
 *   (index_by_kafka_timestamp), posthog/clickhouse/table_engines.py (engine rendering)
 *
 * Column names, types and order follow PostHog. Deliberate deviations, all forced by chDB:
 * 1. Kafka → Null. chDB has no Kafka broker; a Null table keeps the column list, and every INSERT into it
 *    still fires the materialized view, which is exactly how a Kafka block reaches the MV. The Kafka engine
 *    also supplies virtual columns the MVs read (`_timestamp`, and `_offset` for the legacy MV); a Null table
 *    has none, so they are appended as real columns with the Kafka virtual types (`Nullable(DateTime)`,
 *    `UInt64`) and defaults that stand in for "message time" / "no offset".
 * 2. Replicated*MergeTree → plain *MergeTree. Replication needs ZooKeeper/Keeper, which chDB does not run.
 * 3. Distributed → not available. chDB has no clusters (system.clusters is empty and
 *    `Distributed('posthog', …)` fails with "Requested cluster 'posthog' not found"), so:
 *    - `writable_session_replay_events` is not created; `session_replay_events_mv` writes straight into
 *      `sharded_session_replay_events` (what the Distributed table would forward to on a one-shard cluster);
 *    - `session_replay_events` is a Merge table over `sharded_session_replay_events` with PostHog's column
 *      list. Like the Distributed read table it is a read-only proxy with its own column definitions
 *      (DEFAULTs and AggregateFunction types show up in system.columns), which a VIEW would not have;
 *    - the legacy family uses PostHog's own non-replicated layout from before Distributed tables were
 *      mandatory: the ReplacingMergeTree is named `session_recording_events` and its MV writes to it; its
 *      minmax index follows index_by_kafka_timestamp(data table), hence `…_session_recording_events`.
 * 4. ON CLUSTER clauses are dropped (no cluster to run them on).
 * 5. The legacy TTL (`TTL toDate(created_at) + INTERVAL 3 WEEK`, PostHog's ttl_period() default) is kept by
 *    default but configurable: real ClickHouse drops expired rows on the next TTL merge, so sample rows whose
 *    created_at is more than three weeks old would vanish from a seeded fixture. Pass
 *    `{ legacyRecordingTtlWeeks: null }` to omit it (PostHog itself omits it under settings.TEST).
 * 6. `allow_dimensions_outside_sorting_key=1` on sharded_session_replay_events. ClickHouse 26.x (chDB's
 *    engine) refuses to create an AggregatingMergeTree with a plain column outside the sorting key; PostHog
 *    deliberately keeps `distinct_id` as such a column ("ClickHouse will pick any value of distinct_id") and
 *    runs a version without the check.
 * Not reproduced: columns that exist only in PostHog's declarative (HCL) schema and not in its Python DDL
 * (`surfacing_score`, `snapshot_mode_v2` / kafka `snapshot_mode`); exporters must treat them as optional.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface PostHogSchemaOptions {
  /**
   * Weeks after `created_at` at which legacy `session_recording_events` rows expire (PostHog default 3,
   * adjustable there through RECORDINGS_TTL_WEEKS). `null` leaves the TTL out so old sample data survives.
   */
  legacyRecordingTtlWeeks?: number | null;
}

export const DEFAULT_LEGACY_RECORDING_TTL_WEEKS = 3;

/** Kafka virtual columns the MVs select; a Null table must carry them as real columns. */
const KAFKA_VIRTUAL_TIMESTAMP = '_timestamp Nullable(DateTime) DEFAULT now()';
const KAFKA_VIRTUAL_OFFSET = '_offset UInt64 DEFAULT 0';

const SESSION_REPLAY_EVENTS_COLUMNS = `
    session_id VARCHAR,
    team_id Int64,
    distinct_id VARCHAR,
    min_first_timestamp SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    max_last_timestamp SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    block_first_timestamps SimpleAggregateFunction(groupArrayArray, Array(DateTime64(6, 'UTC'))),
    block_last_timestamps SimpleAggregateFunction(groupArrayArray, Array(DateTime64(6, 'UTC'))),
    block_urls SimpleAggregateFunction(groupArrayArray, Array(String)),
    first_url AggregateFunction(argMin, Nullable(VARCHAR), DateTime64(6, 'UTC')),
    all_urls SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    click_count SimpleAggregateFunction(sum, Int64),
    keypress_count SimpleAggregateFunction(sum, Int64),
    mouse_activity_count SimpleAggregateFunction(sum, Int64),
    active_milliseconds SimpleAggregateFunction(sum, Int64),
    console_log_count SimpleAggregateFunction(sum, Int64),
    console_warn_count SimpleAggregateFunction(sum, Int64),
    console_error_count SimpleAggregateFunction(sum, Int64),
    size SimpleAggregateFunction(sum, Int64),
    message_count SimpleAggregateFunction(sum, Int64),
    event_count SimpleAggregateFunction(sum, Int64),
    snapshot_source AggregateFunction(argMin, LowCardinality(Nullable(String)), DateTime64(6, 'UTC')),
    snapshot_library AggregateFunction(argMin, Nullable(String), DateTime64(6, 'UTC')),
    _timestamp SimpleAggregateFunction(max, DateTime),
    retention_period_days SimpleAggregateFunction(max, Nullable(Int64)),
    is_deleted SimpleAggregateFunction(max, UInt8) DEFAULT 0,
    ai_tags_fixed SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    ai_tags_freeform SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    ai_highlighted SimpleAggregateFunction(max, UInt8) DEFAULT 0`;

/** Legacy columns shared by the data table and the kafka table (KAFKA_/SESSION_RECORDING_EVENTS_TABLE_BASE_SQL). */
const SESSION_RECORDING_EVENTS_BASE_COLUMNS = `
    uuid UUID,
    timestamp DateTime64(6, 'UTC'),
    team_id Int64,
    distinct_id VARCHAR,
    session_id VARCHAR,
    window_id VARCHAR,
    snapshot_data VARCHAR,
    created_at DateTime64(6, 'UTC')`;

/** MATERIALIZED_COLUMNS in session_recording_event_sql.py, in PostHog's dict order. */
const SESSION_RECORDING_EVENTS_MATERIALIZED_COLUMNS = `
    has_full_snapshot Int8 MATERIALIZED JSONExtractBool(snapshot_data, 'has_full_snapshot'),
    events_summary Array(String) MATERIALIZED JSONExtract(JSON_QUERY(snapshot_data, '$.events_summary[*]'), 'Array(String)'),
    click_count Int8 MATERIALIZED length(arrayFilter((x) -> JSONExtractInt(x, 'type') = 3 AND JSONExtractInt(x, 'data', 'source') = 2, events_summary)),
    keypress_count Int8 MATERIALIZED length(arrayFilter((x) -> JSONExtractInt(x, 'type') = 3 AND JSONExtractInt(x, 'data', 'source') = 5, events_summary)),
    timestamps_summary Array(DateTime64(6, 'UTC')) MATERIALIZED arraySort(arrayMap((x) -> toDateTime(JSONExtractInt(x, 'timestamp') / 1000), events_summary)),
    first_event_timestamp Nullable(DateTime64(6, 'UTC')) MATERIALIZED if(empty(timestamps_summary), NULL, arrayReduce('min', timestamps_summary)),
    last_event_timestamp Nullable(DateTime64(6, 'UTC')) MATERIALIZED if(empty(timestamps_summary), NULL, arrayReduce('max', timestamps_summary)),
    urls Array(String) MATERIALIZED arrayFilter(x -> x != '', arrayMap((x) -> JSONExtractString(x, 'data', 'href'), events_summary))`;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quoteIdentifier(name: string): string {
  // Database names are spliced into DDL (ClickHouse cannot bind identifiers inside stored MV definitions).
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

function legacyTtlClause(weeks: number | null): string {
  if (weeks === null) return '';
  if (!Number.isInteger(weeks) || weeks <= 0) throw new Error('legacyRecordingTtlWeeks must be a positive integer');
  return `TTL toDate(created_at) + INTERVAL ${weeks} WEEK`;
}

/**
 * The CREATE … IF NOT EXISTS statements, in dependency order, with every table qualified by `database`
 * (PostHog's MVs name `{CLICKHOUSE_DATABASE}.table` too, so the stored views do not depend on the session's
 * current database).
 */
export function postHogSchemaStatements(database = 'default', options: PostHogSchemaOptions = {}): readonly string[] {
  const db = quoteIdentifier(database);
  const ttlWeeks =
    options.legacyRecordingTtlWeeks === undefined
      ? DEFAULT_LEGACY_RECORDING_TTL_WEEKS
      : options.legacyRecordingTtlWeeks;

  return [
    `CREATE TABLE IF NOT EXISTS ${db}.sharded_session_replay_events
(${SESSION_REPLAY_EVENTS_COLUMNS}
) ENGINE = AggregatingMergeTree()
    PARTITION BY toYYYYMM(min_first_timestamp)
    ORDER BY (toDate(min_first_timestamp), team_id, session_id)
SETTINGS index_granularity=512, allow_dimensions_outside_sorting_key=1`,

    `CREATE TABLE IF NOT EXISTS ${db}.session_replay_events
(${SESSION_REPLAY_EVENTS_COLUMNS}
) ENGINE = Merge('${database}', '^sharded_session_replay_events$')`,

    `CREATE TABLE IF NOT EXISTS ${db}.kafka_session_replay_events
(
    session_id VARCHAR,
    team_id Int64,
    distinct_id VARCHAR,
    first_timestamp DateTime64(6, 'UTC'),
    last_timestamp DateTime64(6, 'UTC'),
    block_url Nullable(String),
    first_url Nullable(VARCHAR),
    urls Array(String),
    click_count Int64,
    keypress_count Int64,
    mouse_activity_count Int64,
    active_milliseconds Int64,
    console_log_count Int64,
    console_warn_count Int64,
    console_error_count Int64,
    size Int64,
    event_count Int64,
    message_count Int64,
    snapshot_source LowCardinality(Nullable(String)),
    snapshot_library Nullable(String),
    retention_period_days Nullable(Int64),
    is_deleted UInt8,
    ai_tags_fixed Array(String),
    ai_tags_freeform Array(String),
    ai_highlighted UInt8,
    ${KAFKA_VIRTUAL_TIMESTAMP}
) ENGINE = Null`,

    // PostHog spells out the MV columns because ClickHouse otherwise widens snapshot_source's
    // LowCardinality(Nullable(String)) state to Nullable(String) and the insert into the target fails.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.session_replay_events_mv
TO ${db}.sharded_session_replay_events (
\`session_id\` String, \`team_id\` Int64, \`distinct_id\` String,
\`min_first_timestamp\` DateTime64(6, 'UTC'),
\`max_last_timestamp\` DateTime64(6, 'UTC'),
\`block_first_timestamps\` SimpleAggregateFunction(groupArrayArray, Array(DateTime64(6, 'UTC'))),
\`block_last_timestamps\` SimpleAggregateFunction(groupArrayArray, Array(DateTime64(6, 'UTC'))),
\`block_urls\` SimpleAggregateFunction(groupArrayArray, Array(String)),
\`first_url\` AggregateFunction(argMin, Nullable(String), DateTime64(6, 'UTC')),
\`all_urls\` SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
\`click_count\` Int64, \`keypress_count\` Int64,
\`mouse_activity_count\` Int64, \`active_milliseconds\` Int64,
\`console_log_count\` Int64, \`console_warn_count\` Int64,
\`console_error_count\` Int64, \`size\` Int64, \`message_count\` Int64,
\`event_count\` Int64,
\`snapshot_source\` AggregateFunction(argMin, LowCardinality(Nullable(String)), DateTime64(6, 'UTC')),
\`snapshot_library\` AggregateFunction(argMin, Nullable(String), DateTime64(6, 'UTC')),
\`_timestamp\` Nullable(DateTime)
,\`retention_period_days\` SimpleAggregateFunction(max, Nullable(Int64))
,\`is_deleted\` SimpleAggregateFunction(max, UInt8)
,\`ai_tags_fixed\` SimpleAggregateFunction(groupUniqArrayArray, Array(String))
,\`ai_tags_freeform\` SimpleAggregateFunction(groupUniqArrayArray, Array(String))
,\`ai_highlighted\` SimpleAggregateFunction(max, UInt8)
)
AS SELECT
session_id,
team_id,
any(distinct_id) as distinct_id,
min(first_timestamp) AS min_first_timestamp,
max(last_timestamp) AS max_last_timestamp,
groupArray(if(block_url != '', first_timestamp, NULL)) AS block_first_timestamps,
groupArray(if(block_url != '', last_timestamp, NULL)) AS block_last_timestamps,
groupArray(block_url) AS block_urls,
argMinState(first_url, first_timestamp) as first_url,
groupUniqArrayArray(urls) as all_urls,
sum(click_count) as click_count,
sum(keypress_count) as keypress_count,
sum(mouse_activity_count) as mouse_activity_count,
sum(active_milliseconds) as active_milliseconds,
sum(console_log_count) as console_log_count,
sum(console_warn_count) as console_warn_count,
sum(console_error_count) as console_error_count,
sum(size) as size,
sum(message_count) as message_count,
sum(event_count) as event_count,
argMinState(snapshot_source, first_timestamp) as snapshot_source,
argMinState(snapshot_library, first_timestamp) as snapshot_library,
max(_timestamp) as _timestamp
,max(retention_period_days) as retention_period_days
,max(is_deleted) as is_deleted
,groupUniqArrayArray(ai_tags_fixed) as ai_tags_fixed
,groupUniqArrayArray(ai_tags_freeform) as ai_tags_freeform
,max(ai_highlighted) as ai_highlighted
FROM ${db}.kafka_session_replay_events
group by session_id, team_id`,

    `CREATE TABLE IF NOT EXISTS ${db}.session_recording_events
(${SESSION_RECORDING_EVENTS_BASE_COLUMNS}
    , ${SESSION_RECORDING_EVENTS_MATERIALIZED_COLUMNS.trimStart()}
    , _timestamp DateTime
    , _offset UInt64
    , INDEX kafka_timestamp_minmax_session_recording_events _timestamp TYPE minmax GRANULARITY 3
) ENGINE = ReplacingMergeTree(_timestamp)
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (team_id, toHour(timestamp), session_id, timestamp, uuid)
${legacyTtlClause(ttlWeeks)}
SETTINGS index_granularity=512`,

    `CREATE TABLE IF NOT EXISTS ${db}.kafka_session_recording_events
(${SESSION_RECORDING_EVENTS_BASE_COLUMNS},
    ${KAFKA_VIRTUAL_TIMESTAMP},
    ${KAFKA_VIRTUAL_OFFSET}
) ENGINE = Null`,

    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.session_recording_events_mv
TO ${db}.session_recording_events
AS SELECT
uuid,
timestamp,
team_id,
distinct_id,
session_id,
window_id,
snapshot_data,
created_at,
_timestamp,
_offset
FROM ${db}.kafka_session_recording_events`,
  ];
}

/** PostHog's DDL for the `default` database with its 3-week legacy TTL. */
export const POSTHOG_SCHEMA_STATEMENTS: readonly string[] = postHogSchemaStatements();

export async function applyPostHogSchema(
  client: ClickHouseClient,
  database = 'default',
  options: PostHogSchemaOptions = {},
): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  for (const query of postHogSchemaStatements(database, options)) {
    await client.command({ query });
  }
}

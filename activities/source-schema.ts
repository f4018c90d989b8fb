/**
 * What this PostHog install's ClickHouse holds. Installs differ by version: the legacy table may be gone, and older
 * `session_replay_events` lack the blob-v2 block columns, `retention_period_days` or the `is_deleted` tombstone. The
 * queries adapt to what exists instead of failing on a missing column, and a database without any recording table
 * is a configuration error, reported at once rather than exported as an empty day.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from './clickhouse';
import { StoreError } from './failures';

export interface SourceSchema {
  replay: boolean;
  legacy: boolean;
  /** `is_deleted` tombstones (2025+). */
  tombstones: boolean;
  /** `block_urls` and `block_first_timestamps` (blob v2). */
  blocks: boolean;
  retention: boolean;
}

export async function probeSourceSchema(
  client: ClickHouseClient,
  database: string,
  signal?: AbortSignal,
): Promise<SourceSchema> {
  const rows = await selectRows<{ table: string; name: string }>(
    client,
    `SELECT table, name FROM system.columns
     WHERE database = {db:String} AND table IN ('session_replay_events', 'session_recording_events')`,
    { db: database },
    { signal, what: 'system.columns' },
  );
  const replay = new Set(rows.filter((r) => r.table === 'session_replay_events').map((r) => r.name));
  const legacy = rows.some((r) => r.table === 'session_recording_events');
  if (replay.size === 0 && !legacy) {
    const databases = await selectRows<{ name: string }>(
      client,
      'SELECT name FROM system.databases WHERE name = {db:String}',
      { db: database },
      { signal, what: 'system.databases' },
    );
    throw new StoreError(
      'clickhouse',
      'fatal',
      databases.length === 0 ? 'UNKNOWN_DATABASE' : 'UNKNOWN_TABLE',
      databases.length === 0
        ? `ClickHouse has no database ${JSON.stringify(database)}; check clickhouse.database (REPLAYLAKE_CLICKHOUSE_DATABASE)`
        : `ClickHouse database ${JSON.stringify(database)} holds neither session_replay_events nor session_recording_events; check clickhouse.database (REPLAYLAKE_CLICKHOUSE_DATABASE)`,
    );
  }
  return {
    replay: replay.size > 0,
    legacy,
    tombstones: replay.has('is_deleted'),
    blocks: replay.has('block_urls') && replay.has('block_first_timestamps'),
    retention: replay.has('retention_period_days'),
  };
}

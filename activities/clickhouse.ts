/**
 * One ClickHouse client for both deployments: HTTP(S) to a customer's ClickHouse in production, chDB in-process for
 * the local stack and tests. The same queries run on both, always with bound parameters.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { openChdbClient } from '../infra/clickhouse/posthog-schema';
import type { Config } from '../worker/config';

export function openClickHouse(config: Config['clickhouse']): ClickHouseClient {
  if (config.url.startsWith('chdb://')) return openChdbClient(config.url.slice('chdb://'.length));
  return createClient({
    url: config.url,
    username: config.username,
    password: config.password,
    database: config.database,
    request_timeout: config.requestTimeoutMs,
    ...(config.caFile ? { tls: { ca_cert: readFileSync(config.caFile) } } : {}),
    clickhouse_settings: {
      // Stop the server-side query when an activity is cancelled and its request aborted.
      cancel_http_readonly_queries_on_client_close: 1,
      // A real server quotes 64-bit integers in JSON; chDB does not. Ask both for the same.
      output_format_json_quote_64bit_integers: 1,
    },
  });
}

/** `'2026-10-31 00:00:00.000'`: how DateTime64 parameters are bound (chDB drops sub-seconds from JS Dates). */
export function chTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** ClickHouse DateTime64 text ('YYYY-MM-DD HH:MM:SS.ffffff', UTC) → epoch ms. */
export function parseChTimestamp(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a ClickHouse timestamp: ${JSON.stringify(text)}`);
  return ms;
}

export async function tableExists(
  client: ClickHouseClient,
  database: string,
  table: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    query_params: { db: database, table },
    format: 'JSONEachRow',
    abort_signal: signal,
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

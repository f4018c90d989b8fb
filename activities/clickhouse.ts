/**
 * One ClickHouse client for both deployments, always over ClickHouse's HTTP interface: a customer's ClickHouse in
 * production, the local stack's chDB server (infra/clickhouse/http-server.ts) in development and tests. The same
 * queries run on both, always with bound parameters.
 */
import { readFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { atStore } from './failures';

export interface ClickHouseSettings {
  url: string;
  username: string;
  password: string;
  database: string;
  caFile?: string;
  requestTimeoutMs: number;
}

export function openClickHouse(config: ClickHouseSettings): ClickHouseClient {
  return createClient({
    url: config.url,
    username: config.username,
    password: config.password,
    database: config.database,
    request_timeout: config.requestTimeoutMs,
    // Every failure reaches replaylake's own classification and logs (failures.ts); the client's copies are noise.
    log: { level: ClickHouseLogLevel.OFF },
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

export interface QueryOptions {
  signal?: AbortSignal;
  /** What the query is for, in error messages. */
  what?: string;
}

/**
 * Runs a SELECT and returns its rows, with the rows ClickHouse reports having read (X-ClickHouse-Summary), so that
 * what a query costs can be measured. Failures arrive classified (failures.ts).
 */
export async function selectRowsCounted<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  opts: QueryOptions = {},
): Promise<{ rows: T[]; rowsRead: number }> {
  return atStore(
    'clickhouse',
    async () => {
      const rs = await client.query({ query, query_params: params, format: 'JSONEachRow', abort_signal: opts.signal });
      const rows = await rs.json<T>();
      const header = rs.response_headers['x-clickhouse-summary'];
      let rowsRead = 0;
      try {
        rowsRead = Number((JSON.parse(String(header ?? '{}')) as { read_rows?: string }).read_rows ?? 0);
      } catch {
        // A server that sends no summary simply reports nothing.
      }
      return { rows, rowsRead };
    },
    { what: opts.what },
  );
}

export async function selectRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  opts: QueryOptions = {},
): Promise<T[]> {
  return (await selectRowsCounted<T>(client, query, params, opts)).rows;
}

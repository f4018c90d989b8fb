/**
 * Serves one chDB data directory over ClickHouse's HTTP interface on 127.0.0.1 until SIGTERM or SIGINT.
 *
 *   REPLAYLAKE_CHDB_HTTP_PASSWORD=… node --require tsx/cjs infra/clickhouse/serve.ts \
 *     --data-dir DIR [--port 8123] [--user default] [--concurrency 4] [--stop-on-stdin-eof]
 *
 * Prints `clickhouse-http: ready at http://127.0.0.1:PORT …` once it accepts queries (`--port 0` picks a free port).
 * Give it UV_THREADPOOL_SIZE above the concurrency (serve-process.ts does), or queries wait for libuv threads.
 */
import { parseArgs } from 'node:util';
import { startClickHouseHttpServer } from './http-server';
import { DEFAULT_CONCURRENCY, PASSWORD_ENV } from './serve-process';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '8123' },
      user: { type: 'string', default: 'default' },
      concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
      'stop-on-stdin-eof': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const dataDir = values['data-dir'];
  const port = Number(values.port);
  const concurrency = Number(values.concurrency);
  const password = process.env[PASSWORD_ENV];
  if (!dataDir) throw new Error('--data-dir is required');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be a positive integer');
  if (password === undefined) throw new Error(`${PASSWORD_ENV} must hold the password (it may be empty)`);

  const server = await startClickHouseHttpServer({ dataDir, port, user: values.user, password, concurrency });
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`clickhouse-http: ${why}, finishing running queries`);
    server.close().then(
      () => {
        console.log('clickhouse-http: stopped');
        process.stdin.destroy();
      },
      (err: unknown) => {
        console.error(`clickhouse-http: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (values['stop-on-stdin-eof']) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.resume();
  }
  console.log(
    `clickhouse-http: ready at ${server.url} (chDB ${server.engineVersion}, data ${dataDir}, user ${values.user}, ` +
      `${concurrency} concurrent queries)`,
  );
}

main().catch((err: unknown) => {
  console.error(`clickhouse-http: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

/**
 * How to run serve.ts as a process of its own, shared by the stack (detached, for good) and tests (a private server
 * per test file). Kept apart from the server so that starting one never loads chDB into the parent.
 */
import { join } from 'node:path';

/** Queries one server runs at once; more wait for a free Session. */
export const DEFAULT_CONCURRENCY = 4;

/** The password travels in the environment: a command line is visible to every user of the machine. */
export const PASSWORD_ENV = 'REPLAYLAKE_CHDB_HTTP_PASSWORD';

export interface ServeProcessOptions {
  dataDir: string;
  /** 0 lets the server pick; it prints the URL it listens on. */
  port: number;
  user: string;
  password: string;
  concurrency?: number;
  /** Stop when stdin closes, so that the server cannot outlive a parent that holds the other end. */
  stopOnStdinEof?: boolean;
}

export function serveProcess(opts: ServeProcessOptions): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  return {
    command: process.execPath,
    args: [
      '--require',
      require.resolve('tsx/cjs'),
      join(__dirname, 'serve.ts'),
      '--data-dir',
      opts.dataDir,
      '--port',
      String(opts.port),
      '--user',
      opts.user,
      '--concurrency',
      String(concurrency),
      ...(opts.stopOnStdinEof ? ['--stop-on-stdin-eof'] : []),
    ],
    env: {
      ...process.env,
      [PASSWORD_ENV]: opts.password,
      // Each running query holds a libuv thread; leave room for zlib and file system work beside them.
      UV_THREADPOOL_SIZE: String(concurrency + 4),
    },
  };
}

/** The line serve.ts prints once it accepts queries. */
export const READY_LINE = /^clickhouse-http: ready at (http:\/\/127\.0\.0\.1:\d+)/m;

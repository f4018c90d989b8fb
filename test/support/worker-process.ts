/**
 * `replaylake worker` as a separate OS process, configured like production through a config file, so tests can
 * stop it the hard way and start another. With `crashAt`, the worker kills itself (SIGKILL) at a pipeline event.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stackMinio } from './export-env';
import type { TestClickHouse } from './stack';

const BIN = join(__dirname, '..', '..', 'bin', 'replaylake');
const CRASH_AT = join(__dirname, '..', 'reliability', 'support', 'crash-at.cjs');

export interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything the worker wrote, stdout and stderr interleaved. */
  output(): string;
  /** Resolves once the worker polls its task queue; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * A worker's configuration against the local stack: its MinIO as PostHog's blob store (v2 and v1 under `bucket`), a
 * test's own ClickHouse and task queue, and a lake in a local directory; `extra` adds or replaces top-level sections.
 */
export function stackWorkerConfig(
  c: { temporalAddress: string; taskQueue: string; clickhouse: TestClickHouse; bucket: string; lakeDir: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const minio = stackMinio();
  return {
    temporal: { address: c.temporalAddress, taskQueue: c.taskQueue },
    clickhouse: { url: c.clickhouse.url, username: c.clickhouse.username, password: c.clickhouse.password },
    source: { s3: minio, v1: { s3: minio, bucket: c.bucket, prefix: 'session_recordings' } },
    lake: { uri: pathToFileURL(c.lakeDir).href },
    ...extra,
  };
}

/** Writes `config` (the JSON shape of worker/config.ts) to a file a worker reads through REPLAYLAKE_CONFIG. */
export function writeConfig(config: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'replaylake-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

export function workerEnv(configFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No local stack: every setting comes from the file, as in production.
    REPLAYLAKE_STACK_DIR: join(tmpdir(), 'replaylake-no-stack'),
    REPLAYLAKE_CONFIG: configFile,
    ...extra,
  };
}

export function startWorker(
  env: NodeJS.ProcessEnv,
  opts: { crashAt?: string; nodeArgs?: string[] } = {},
): WorkerProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, 'worker'], {
    env: {
      ...env,
      ...(opts.crashAt ? { NODE_OPTIONS: `--require ${CRASH_AT}`, REPLAYLAKE_TEST_CRASH_AT: opts.crashAt } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('worker: polling')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited (${signal ?? code}) before polling:\n${output.slice(-2000)}`)),
    );
  });
  ready.catch(() => undefined);
  return {
    child,
    output: () => output,
    ready,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The local stack: a real Temporal dev server, a real MinIO and a chDB data directory with PostHog's schema served
 * over ClickHouse's HTTP interface, all on 127.0.0.1. Servers run detached in their own process groups so that `down`
 * can stop them and everything they spawn.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import { Connection } from '@temporalio/client';
import { applyPostHogSchema } from './clickhouse/posthog-schema';
import { serveProcess } from './clickhouse/serve-process';
import { MINIO, TEMPORAL_CLI, binaryVersion, ensureBinary } from './binaries';
import type { StackState } from './state';
import { UnreadableStateError, readState, recordedProcesses, stackRoot, statePath, writeState } from './state';

type Log = (line: string) => void;

export const DEFAULT_BUCKETS = { posthog: 'posthog', lake: 'replaylake' } as const;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The preferred port when free (so URLs in docs work), else one the kernel picks. */
async function choosePort(preferred: number, taken: Set<number>): Promise<number> {
  if (!taken.has(preferred) && (await portIsFree(preferred))) {
    taken.add(preferred);
    return preferred;
  }
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

function startDetached(binary: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

async function waitFor(what: string, logFile: string, pid: number, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new Error(`${what} exited during start-up; last log lines:\n${tail(logFile)}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s; last log lines:\n${tail(logFile)}`);
}

function tail(file: string, lines = 8): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

export function s3ClientForStack(state: StackState): S3Client {
  return new S3Client({
    endpoint: state.minio.endpoint,
    region: state.minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: state.minio.accessKey, secretAccessKey: state.minio.secretKey },
  });
}

async function temporalReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

async function minioReady(endpoint: string): Promise<boolean> {
  const res = await fetch(`${endpoint}/minio/health/ready`);
  return res.ok;
}

async function clickhouseReady(url: string): Promise<boolean> {
  const res = await fetch(`${url}/ping`);
  return res.ok && (await res.text()) === 'Ok.\n';
}

export type ServiceHealth = 'running' | 'stopped';

export interface StackStatus {
  state: StackState | undefined;
  temporal: ServiceHealth;
  minio: ServiceHealth;
  clickhouse: ServiceHealth;
}

export function stackStatus(root = stackRoot()): StackStatus {
  const state = readState(root);
  const health = (pid: number | undefined): ServiceHealth =>
    pid !== undefined && isAlive(pid) ? 'running' : 'stopped';
  return {
    state,
    temporal: health(state?.temporal.pid),
    minio: health(state?.minio.pid),
    clickhouse: health(state?.clickhouse.pid),
  };
}

export function stackRunning(status: StackStatus): boolean {
  return status.temporal === 'running' && status.minio === 'running' && status.clickhouse === 'running';
}

/** The stack's status; a state file this version cannot read is retired first, stopping what it records. */
async function readStateOrStopStale(root: string, log: Log): Promise<StackStatus> {
  try {
    return stackStatus(root);
  } catch (err) {
    if (!(err instanceof UnreadableStateError)) throw err;
    log(`${statePath(root)} is from another version of replaylake; stopping the processes it records`);
    await stopProcesses(recordedProcesses(root), log);
    rmSync(statePath(root), { force: true });
    return stackStatus(root);
  }
}

/** Serialises concurrent up/down calls on one stack directory. */
function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(root, { recursive: true });
  const lockFile = join(root, 'stack.lock');
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (Number.isInteger(holder) && isAlive(holder)) {
      throw new Error(`another stack command (pid ${holder}) is running on ${root}; wait for it to finish`);
    }
    writeFileSync(lockFile, String(process.pid));
  }
  return fn().finally(() => unlinkSync(lockFile));
}

/** Starts whatever is not running; a running, healthy stack is left exactly as it is. */
export function stackUp(log: Log, root = stackRoot()): Promise<StackState> {
  return withLock(root, async () => {
    const current = await readStateOrStopStale(root, log);
    if (current.state && stackRunning(current)) {
      log(`stack already running (state: ${statePath(root)})`);
      return current.state;
    }
    if (current.state) await stopProcesses(stackProcesses(current.state), log);

    const temporalBin = await ensureBinary(TEMPORAL_CLI, log);
    const minioBin = await ensureBinary(MINIO, log);

    const dirs = { temporal: join(root, 'temporal'), minio: join(root, 'minio', 'data'), chdb: join(root, 'chdb') };
    for (const dir of [...Object.values(dirs), join(root, 'logs')]) mkdirSync(dir, { recursive: true });

    // Credentials survive restarts because MinIO keeps them with its data directory.
    const previous = current.state?.minio;
    const accessKey = previous?.accessKey ?? `replaylake-${randomBytes(4).toString('hex')}`;
    const secretKey = previous?.secretKey ?? randomBytes(24).toString('base64url');
    // Kept across restarts, like MinIO's, so that a password someone took from state.json keeps working.
    const clickhouseUser = current.state?.clickhouse.user ?? 'default';
    const clickhousePassword = current.state?.clickhouse.password ?? randomBytes(24).toString('base64url');

    const taken = new Set<number>();
    const temporalPort = await choosePort(7233, taken);
    const uiPort = await choosePort(8233, taken);
    const minioPort = await choosePort(9000, taken);
    const consolePort = await choosePort(9001, taken);
    const clickhousePort = await choosePort(8123, taken);

    const temporalLog = join(root, 'logs', 'temporal.log');
    const dbFile = join(dirs.temporal, 'dev.db');
    log(`starting Temporal dev server on 127.0.0.1:${temporalPort} (UI ${uiPort})`);
    const temporalPid = startDetached(
      temporalBin,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(temporalPort),
        '--ui-ip',
        '127.0.0.1',
        '--ui-port',
        String(uiPort),
        '--db-filename',
        dbFile,
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      temporalLog,
      process.env,
    );

    const minioLog = join(root, 'logs', 'minio.log');
    const endpoint = `http://127.0.0.1:${minioPort}`;
    log(`starting MinIO on ${endpoint} (console ${consolePort})`);
    const minioPid = startDetached(
      minioBin,
      [
        'server',
        '--quiet',
        '--address',
        `127.0.0.1:${minioPort}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        dirs.minio,
      ],
      minioLog,
      { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'on' },
    );

    const clickhouseLog = join(root, 'logs', 'clickhouse.log');
    const clickhouseUrl = `http://127.0.0.1:${clickhousePort}`;
    log(`starting chDB over ClickHouse's HTTP interface on ${clickhouseUrl}`);
    const serve = serveProcess({
      dataDir: dirs.chdb,
      port: clickhousePort,
      user: clickhouseUser,
      password: clickhousePassword,
    });
    const clickhousePid = startDetached(serve.command, serve.args, clickhouseLog, serve.env);

    const state: StackState = {
      version: 2,
      root,
      temporal: {
        pid: temporalPid,
        binary: temporalBin,
        log: temporalLog,
        address: `127.0.0.1:${temporalPort}`,
        uiPort,
        namespace: 'default',
        dbFile,
      },
      minio: {
        pid: minioPid,
        binary: minioBin,
        log: minioLog,
        endpoint,
        consolePort,
        region: 'us-east-1',
        accessKey,
        secretKey,
        dataDir: dirs.minio,
        buckets: { ...DEFAULT_BUCKETS },
      },
      clickhouse: {
        pid: clickhousePid,
        log: clickhouseLog,
        url: clickhouseUrl,
        user: clickhouseUser,
        password: clickhousePassword,
        dataDir: dirs.chdb,
      },
    };
    // Written before the readiness checks so that a failed start can still be torn down by `down`.
    writeState(state);

    try {
      await waitFor('Temporal', temporalLog, temporalPid, () => temporalReady(state.temporal.address));
      await waitFor('MinIO', minioLog, minioPid, () => minioReady(endpoint));
      await createBuckets(state);
      await waitFor('ClickHouse (chDB over HTTP)', clickhouseLog, clickhousePid, () => clickhouseReady(clickhouseUrl));
      const clickhouse = createClient({ url: clickhouseUrl, username: clickhouseUser, password: clickhousePassword });
      try {
        // As if RECORDINGS_TTL_WEEKS were raised to ten years: the sample's legacy rows are older than PostHog's 3-week default.
        await applyPostHogSchema(clickhouse, 'default', { legacyRecordingTtlWeeks: 520 });
      } finally {
        await clickhouse.close();
      }
    } catch (err) {
      await stopProcesses(stackProcesses(state), log);
      rmSync(statePath(root), { force: true });
      throw err;
    }
    log(
      `stack up: Temporal ${state.temporal.address}, MinIO ${endpoint}, ClickHouse ${clickhouseUrl} (chDB ${dirs.chdb})`,
    );
    return state;
  });
}

async function createBuckets(state: StackState): Promise<void> {
  const s3 = s3ClientForStack(state);
  try {
    for (const bucket of Object.values(state.minio.buckets)) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (err) {
        if (!(err instanceof S3ServiceException && err.name === 'BucketAlreadyOwnedByYou')) throw err;
      }
    }
  } finally {
    s3.destroy();
  }
}

function stackProcesses(state: StackState): Array<[string, number]> {
  return [
    ['ClickHouse', state.clickhouse.pid],
    ['Temporal', state.temporal.pid],
    ['MinIO', state.minio.pid],
  ];
}

async function stopProcesses(processes: Array<[string, number]>, log: Log): Promise<void> {
  for (const [name, pid] of processes) {
    if (!isAlive(pid)) continue;
    log(`stopping ${name} (pid ${pid})`);
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
}

/** Detached children lead their own process group; signalling the group reaches anything they spawned. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every stack process; data directories stay unless purge is set. */
export function stackDown(log: Log, opts: { purge?: boolean } = {}, root = stackRoot()): Promise<void> {
  return withLock(root, async () => {
    const { state } = await readStateOrStopStale(root, log);
    if (state) await stopProcesses(stackProcesses(state), log);
    rmSync(statePath(root), { force: true });
    if (opts.purge) {
      for (const dir of ['temporal', 'minio', 'chdb', 'logs', 'samples'])
        rmSync(join(root, dir), { recursive: true, force: true });
      log(`purged data under ${root}`);
    }
    log(state ? 'stack stopped' : 'stack was not running');
  });
}

export function describeStatus(status: StackStatus): string[] {
  const { state } = status;
  if (!state) return ['stack: stopped (no state file)', 'temporal: stopped', 'minio: stopped', 'clickhouse: stopped'];
  return [
    `stack: ${stackRunning(status) ? 'running' : 'degraded'} (state: ${statePath(state.root)})`,
    `temporal: ${status.temporal} pid ${state.temporal.pid} grpc ${state.temporal.address} web UI http://127.0.0.1:${state.temporal.uiPort} (${binaryVersion(state.temporal.binary)})`,
    `minio: ${status.minio} pid ${state.minio.pid} s3 ${state.minio.endpoint} console http://127.0.0.1:${state.minio.consolePort} buckets ${Object.values(state.minio.buckets).join(', ')}`,
    `clickhouse: ${status.clickhouse} pid ${state.clickhouse.pid} http ${state.clickhouse.url} user ${state.clickhouse.user} (chDB data ${state.clickhouse.dataDir}, served over ClickHouse's HTTP interface)`,
  ];
}

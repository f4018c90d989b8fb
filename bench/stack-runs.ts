/**
 * Exports through the real pieces: a Temporal dev server, the stack's MinIO holding the recordings, a chDB server
 * with PostHog's schema, and `replaylake worker` as its own OS process (a fresh one per run, so its memory is its
 * own). Its resident memory is read from /proc: VmRSS once it idles, and VmHWM — the kernel's peak, reset just before
 * the export starts (clear_refs) — when it ends.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { exportWindow } from '../workflows/export-window';
import type { ExportWindowInput } from '../workflows/export-window';
import { fixtureEvents, repetitionsFor, writeLongSession, writeManySessions } from '../infra/sample/fixture-sessions';
import { stackMinio } from '../test/support/export-env';
import type { TestClickHouse } from '../test/support/stack';
import { freshBucket, freshClickHouse, stackS3 } from '../test/support/stack';
import { startTemporal } from '../test/support/temporal';
import { startWorker, workerEnv, writeConfig } from '../test/support/worker-process';

const MB = 1024 * 1024;
const DAY = Date.parse('2026-10-31T00:00:00Z');
const DAY_MS = 86_400_000;

export interface BenchStack {
  s3: S3Client;
  ch: TestClickHouse;
  temporal: { env: TestWorkflowEnvironment; address: string };
  bucket: string;
  close(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const s3 = stackS3();
  const [ch, temporal] = await Promise.all([freshClickHouse(), startTemporal()]);
  const bucket = await freshBucket(s3, 'bench');
  return {
    s3,
    ch,
    temporal,
    bucket,
    async close() {
      await temporal.env.teardown();
      await ch.close();
      s3.destroy();
    },
  };
}

/** One session of `bytes` decompressed rrweb for `teamId`, squeezed into one day as posthog-js's 24 h cap requires. */
export async function loadLongSession(stack: BenchStack, teamId: number, bytes: number): Promise<number> {
  const base = fixtureEvents();
  const span = Math.max(...base.map((e) => e.timestamp)) + 1;
  const spec = {
    sessionId: `01a1d000-0000-7000-8000-${String(teamId).padStart(12, '0')}`,
    teamId,
    distinctId: 'kiosk',
    windowId: 'kiosk-window',
    startMs: DAY + 60_000,
    targetBytes: bytes,
  };
  const repetitionMs = Math.min(span, Math.floor((22 * 3_600_000) / repetitionsFor(spec, base)));
  const truth = await writeLongSession(
    { s3: stack.s3, bucket: stack.bucket, clickhouse: stack.ch.client },
    { ...spec, repetitionMs },
  );
  return truth.bytes;
}

/** `count` sessions of `eventsPerSession` fixture events for `teamId`, spread over the day. */
export async function loadSessions(
  stack: BenchStack,
  teamId: number,
  count: number,
  eventsPerSession: number,
): Promise<number> {
  const truth = await writeManySessions(
    { s3: stack.s3, bucket: stack.bucket, clickhouse: stack.ch.client },
    {
      count,
      teamId,
      startMs: DAY,
      spreadMs: DAY_MS - 3_600_000,
      eventsPerSession,
      sessionsPerFile: 100,
      idPrefix: `team-${teamId}`,
    },
  );
  return truth.bytes;
}

export interface RunResult {
  seconds: number;
  idleRssMB: number;
  /** Peak resident memory during the export minus idle. */
  rssGrowthMB: number;
  sessions: number;
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(/(\d+)/.exec(line)![1]);
}

/** Exports `teams`' day on a fresh worker process with `decodeThreads` threads into a fresh local lake. */
export async function runExport(
  stack: BenchStack,
  teams: number[],
  settings: { decodeThreads: number; batchSize: number; parallelism: number; threadHeapMB?: number },
): Promise<RunResult> {
  const lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-bench-lake-'));
  const taskQueue = `bench-${teams.join('-')}-${settings.decodeThreads}-${Date.now()}`;
  const minio = stackMinio();
  const config = writeConfig({
    temporal: { address: stack.temporal.address, taskQueue },
    clickhouse: { url: stack.ch.url, username: stack.ch.username, password: stack.ch.password },
    source: { s3: minio, v1: { s3: minio, bucket: stack.bucket, prefix: 'session_recordings' } },
    lake: { uri: pathToFileURL(lakeDir).href },
    export: { batchSize: settings.batchSize, parallelism: settings.parallelism },
    worker: {
      decodeThreads: settings.decodeThreads,
      maxConcurrentActivities: settings.parallelism + 2,
      ...(settings.threadHeapMB ? { threadHeapMB: settings.threadHeapMB } : {}),
    },
  });
  // REPLAYLAKE_BENCH_PROFILE=<dir>: the worker writes a V8 CPU profile per thread there (open in Chrome DevTools).
  const profile = process.env['REPLAYLAKE_BENCH_PROFILE'];
  const worker = startWorker(
    workerEnv(config),
    profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile}`] } : {},
  );
  try {
    await worker.ready;
    // Let start-up garbage settle before idle is read.
    await new Promise((r) => setTimeout(r, 2_000));
    const pid = worker.child.pid!;
    const idleKb = procStatusKb(pid, 'VmRSS');
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const input: ExportWindowInput = {
      teams,
      startMs: DAY,
      endMs: DAY + DAY_MS,
      settleHours: 24,
      batchSize: settings.batchSize,
      batchBytes: 256 * MB,
      parallelism: settings.parallelism,
      heartbeatSeconds: 30,
      settledBeforeMs: Date.now(),
    };
    const t = process.hrtime.bigint();
    const result = await stack.temporal.env.client.workflow.execute(exportWindow, {
      taskQueue,
      workflowId: taskQueue,
      args: [input],
    });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const peakKb = procStatusKb(pid, 'VmHWM');
    if (result.sessionsFailed > 0 || result.errors > 0)
      throw new Error(`bench export had failures: ${JSON.stringify(result)}`);
    return {
      seconds,
      idleRssMB: idleKb / 1024,
      rssGrowthMB: Math.max(0, peakKb - idleKb) / 1024,
      sessions: result.sessions,
    };
  } finally {
    await worker.stop();
    rmSync(lakeDir, { recursive: true, force: true });
    rmSync(join(config, '..'), { recursive: true, force: true });
  }
}

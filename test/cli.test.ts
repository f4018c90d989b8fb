/**
 * Every CLI verb README shows, as a separate process against a real Temporal dev server with a replaylake worker:
 * export, status, verify, backfill and the schedule verbs, plus bad input with its exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../infra/sample/generate';
import { parseSampleOptions } from '../infra/sample/options';
import type { ExportEnv } from './support/export-env';
import { startExportEnv, stackMinio } from './support/export-env';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stackS3 } from './support/stack';
import { freePort } from './support/temporal';
import packageJson from '../package.json';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('replaylake CLI', () => {
  const s3 = stackS3();
  let clickhouse: ClickHouseClient;
  let ch: TestClickHouse | undefined;
  let ex: ExportEnv;
  let env: NodeJS.ProcessEnv;

  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), args, { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const json = async <T>(...args: string[]): Promise<T> => {
    const res = await cli(...args, '--json');
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout.trim().split('\n').pop()!) as T;
  };

  beforeAll(async () => {
    ch = await freshClickHouse();
    clickhouse = ch.client;
    const bucket = await freshBucket(s3, 'cli');
    const outDir = mkdtempSync(join(tmpdir(), 'replaylake-sample-'));
    await generateSample(
      { s3, bucket, clickhouse, outDir },
      parseSampleOptions({ sessions: 12, seed: 'cli', days: 2, start: '2026-10-30', now: NOW }),
    );
    const lakeDir = mkdtempSync(join(tmpdir(), 'replaylake-cli-'));
    const port = await freePort();
    ex = await startExportEnv({
      clickhouse: ch,
      sourceBucket: bucket,
      lakeUri: pathToFileURL(lakeDir).href,
      taskQueue: 'cli',
      port,
    });
    const minio = stackMinio();
    env = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      // No local stack for the CLI: every setting comes from the environment, as in production.
      REPLAYLAKE_STACK_DIR: join(lakeDir, 'no-stack'),
      REPLAYLAKE_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      REPLAYLAKE_TEMPORAL_TASK_QUEUE: 'cli',
      REPLAYLAKE_CLICKHOUSE_URL: ch.url,
      REPLAYLAKE_CLICKHOUSE_USER: ch.username,
      REPLAYLAKE_CLICKHOUSE_PASSWORD: ch.password,
      REPLAYLAKE_SOURCE_S3_ENDPOINT: minio.endpoint,
      REPLAYLAKE_SOURCE_S3_ACCESS_KEY_ID: minio.accessKeyId,
      REPLAYLAKE_SOURCE_S3_SECRET_ACCESS_KEY: minio.secretAccessKey,
      REPLAYLAKE_LAKE_URI: pathToFileURL(lakeDir).href,
      REPLAYLAKE_BATCH_SIZE: '5',
    };
  });

  afterAll(async () => {
    await ex?.close();
    await ch?.close();
    s3.destroy();
  });

  it('export, status and verify a day', async () => {
    const exported = await json<{ windowId: string; sessions: number }>(
      'export',
      '--team',
      '1,2',
      '--team',
      '3',
      '--team',
      '4',
      '--from',
      '2026-10-30',
    );
    expect(exported.windowId).toBe('2026-10-30_teams-1-2-3-4');
    expect(exported.sessions).toBeGreaterThan(0);
    const status = await json<{ status: string; result: { sessions: number } }>(
      'status',
      'replaylake/export/2026-10-30_teams-1-2-3-4',
    );
    expect(status.status).toBe('COMPLETED');
    expect(status.result.sessions).toBe(exported.sessions);
    const verify = await json<{ ok: boolean }>('verify', '--team', '1,2,3,4', '--from', '2026-10-30');
    expect(verify.ok).toBe(true);
    const human = await cli('verify', '--team', '1,2,3,4', '--from', '2026-10-30');
    expect(human.stdout).toMatch(/^verify: ok$/m);
  });

  it('backfill a range', async () => {
    const done = await json<{ daysTotal: number; done: { days: number }; failed: unknown[] }>(
      'backfill',
      '--team',
      '1,2,3,4',
      '--from',
      '2026-10-30',
      '--to',
      '2026-11-01',
    );
    expect(done).toMatchObject({ daysTotal: 2, done: { days: 2 }, failed: [] });
  });

  it('manages the nightly schedule', async () => {
    expect(await json('schedule', 'create', '--team', '1', '--at', '01:30')).toEqual({
      scheduleId: 'replaylake-nightly-teams-1',
    });
    const described = await json<{ paused: boolean; nextActionTimes: string[] }>('schedule', 'describe', '--team', '1');
    expect(described.paused).toBe(false);
    expect(described.nextActionTimes[0]).toMatch(/T01:30:00/);
    await json('schedule', 'pause', '--team', '1');
    expect((await json<{ paused: boolean }>('schedule', 'describe', '--team', '1')).paused).toBe(true);
    await json('schedule', 'unpause', '--id', 'replaylake-nightly-teams-1');
    await json('schedule', 'trigger', '--team', '1');
    await json('schedule', 'delete', '--team', '1');
    const gone = await cli('schedule', 'describe', '--team', '1');
    expect(gone.code).toBe(1);
  });

  it.each([
    [['export', '--team', '1', '--from', '2026-02-30'], /^replaylake: --from 2026-02-30 is not a calendar date$/],
    [
      ['export', '--team', '1', '--from', '2026-10-31', '--to', '2026-10-30'],
      /^replaylake: --to 2026-10-30 must be after --from 2026-10-31/,
    ],
    [['export', '--team', 'x', '--from', '2026-10-31'], /^replaylake: --team must be a PostHog team/],
    [['export', '--team', '', '--from', '2026-10-31'], /^replaylake: --team must be a PostHog team .* got ""$/],
    [['export', '--team', '0x10', '--from', '2026-10-31'], /^replaylake: --team must be a PostHog team .* got "0x10"$/],
    [['schedule', 'create', '--team', '1', '--at', '25:00'], /^replaylake: --at must be a UTC time as HH:MM/],
  ])('%j exits 2 with one line', async (args, message) => {
    const res = await cli(...args);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  it('rejects bad configuration with the setting named', async () => {
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        join(__dirname, '..', 'bin', 'replaylake'),
        ['export', '--team', '1', '--from', '2026-10-31'],
        {
          env: { ...env, REPLAYLAKE_CLICKHOUSE_URL: 'ftp://nope', REPLAYLAKE_BATCH_SIZE: 'many' },
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe('replaylake: REPLAYLAKE_BATCH_SIZE must be a number, got "many"');
  });

  const run = (args: string[], extra: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), args, { env: { ...env, ...extra } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('an unreachable Temporal: one line naming the address and the setting, JSON under --json', async () => {
    const args = ['export', '--team', '1', '--from', '2026-10-31'];
    const [res, json] = await Promise.all([
      run(args, { REPLAYLAKE_TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      run([...args, '--json'], { REPLAYLAKE_TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^replaylake: cannot reach Temporal at 127\.0\.0\.1:1 \(.*\); check temporal\.address/),
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { type: 'TemporalUnreachableError', message: expect.stringContaining('127.0.0.1:1') as string },
    });
  });

  // Exit 2 when a store refuses (restarting will not help); exit 1 when it does not answer, which the systemd unit
  // restarts because it stops only on 2.
  it.each([
    [
      'a database that does not exist',
      2,
      { REPLAYLAKE_CLICKHOUSE_DATABASE: 'nope' },
      /^replaylake: cannot start: ClickHouse at .*UNKNOWN_DATABASE.*clickhouse\.database/,
    ],
    [
      'a lake path that is a file',
      2,
      { REPLAYLAKE_LAKE_URI: pathToFileURL(__filename).href },
      /^replaylake: cannot start: the lake at file:.*ENOTDIR.*check lake\.uri/,
    ],
    [
      'an S3 lake without credentials',
      2,
      { REPLAYLAKE_LAKE_URI: 's3://no-credentials/lake', AWS_EC2_METADATA_DISABLED: 'true' },
      /^replaylake: cannot start: the lake at s3:\/\/no-credentials\/lake: .*(Credential|credential).*check lake\.s3/,
    ],
    [
      'an unreachable ClickHouse',
      1,
      { REPLAYLAKE_CLICKHOUSE_URL: 'http://127.0.0.1:1' },
      /^replaylake: cannot start: ClickHouse at http:\/\/127\.0\.0\.1:1: .*unreachable \(ECONNREFUSED\).*; check clickhouse\.url/,
    ],
    [
      'an unreachable Temporal',
      1,
      { REPLAYLAKE_TEMPORAL_ADDRESS: '127.0.0.1:1' },
      /^replaylake: cannot reach Temporal at 127\.0\.0\.1:1 \(.*\); check temporal\.address/,
    ],
  ])(
    'a worker with %s does not start: exit %i and one line naming the setting',
    async (_what, code, extra, message) => {
      const res = await run(['worker'], extra);
      expect(res.code, res.stderr).toBe(code);
      const lines = res.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('worker: '));
      expect(lines).toEqual([expect.stringMatching(message)]);
    },
  );
  it.each([
    [['--version']],
    [['-V']],
    [['export', '--version']],
    [['schedule', 'create', '--version']],
    [['worker', '--version']],
  ])('%j prints the package version', async (args) => {
    const res = await cli(...args);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`${packageJson.version}\n`);
  });

  /** Runs `replaylake worker` until its output satisfies `ready`, then stops it with SIGTERM as a supervisor would. */
  function runWorker(args: string[], extra: NodeJS.ProcessEnv, ready: (stderr: string) => boolean) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), ['worker', ...args], {
        // A queue of its own: this worker must not take the tasks of the file's in-process worker.
        env: { ...env, REPLAYLAKE_TEMPORAL_TASK_QUEUE: 'cli-logs', ...extra },
      });
      let stdout = '';
      let stderr = '';
      let stopping = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!stopping && ready(stderr)) {
          stopping = true;
          child.kill('SIGTERM');
        }
      });
      child.on('close', (code) => (stopping ? resolve({ code, stdout, stderr }) : reject(new Error(stderr))));
    });
  }

  const SDK_LINES = /Worker state changed|webpack|modules by path|\[INFO\]/;

  it('a worker prints only its own lines by default; --verbose adds the SDK logs, --log-format json as JSON lines', async () => {
    const quiet = await runWorker([], {}, (err) => err.includes('worker: polling'));
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).not.toMatch(SDK_LINES);
    expect(quiet.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^worker: config \{/),
      expect.stringMatching(/^worker: ClickHouse /),
      expect.stringMatching(/^worker: polling /),
      'worker: shutting down, letting running activities finish',
      'worker: stopped',
    ]);

    const verbose = await runWorker(['--verbose'], {}, (err) => /Worker state changed .*state=RUNNING/.test(err));
    expect(verbose.code).toBe(0);
    // The bundler's statistics and the state changes, as text lines with their fields.
    expect(verbose.stderr).toMatch(/ info  sdk_log asset workflow-bundle-\S+\.js/);
    expect(verbose.stderr).toMatch(/webpack [\d.]+ compiled successfully/);
    expect(verbose.stderr).toMatch(/ info  sdk_log Worker state changed .*state=STOPPED/);

    const json = await runWorker(['--verbose', '--log-format', 'json'], {}, (err) => err.includes('"state":"RUNNING"'));
    expect(json.code).toBe(0);
    // Every line parses, human notes included: on a JSON stderr they are events too.
    const entries = json.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string; level: string; event: string; message?: string; state?: string });
    for (const e of entries) expect([typeof e.ts, typeof e.level]).toEqual(['string', 'string']);
    const events = entries.map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining(['worker_config', 'worker_checks', 'worker_polling', 'worker_stopped']),
    );
    expect(entries.find((e) => e.event === 'worker_polling')).toMatchObject({
      task_queue: 'cli-logs',
      workflows: 'webpack',
    });
    expect(entries.filter((e) => e.message === 'Worker state changed').map((e) => e.state)).toContain('STOPPED');
    // Secrets never reach a log: the configuration is redacted.
    expect(json.stderr).not.toContain(ch!.password);
    expect(json.stderr).not.toContain(stackMinio().secretAccessKey);
  });

  it('REPLAYLAKE_LOG_FILE takes the SDK logs off the terminal and into the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replaylake-log-')), 'nested', 'worker.log');
    const res = await runWorker([], { REPLAYLAKE_LOG_FILE: file }, (err) => err.includes('worker: polling'));
    expect(res.code).toBe(0);
    expect(res.stderr).not.toMatch(SDK_LINES);
    const log = readFileSync(file, 'utf8');
    expect(log).toMatch(/webpack [\d.]+ compiled successfully/);
    expect(log).toMatch(/ info  sdk_log Worker state changed .*state=RUNNING/);
    expect(log).toMatch(
      / info  worker_polling address=\S+ namespace=default task_queue=cli-logs workflows=webpack startup_ms=\d+/,
    );
    expect(log).not.toContain(ch!.password);
  });
});

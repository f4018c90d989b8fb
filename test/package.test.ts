/**
 * The package a stranger installs: `npm pack` (which prebuilds the workflow bundle and ships the lockfile as
 * npm-shrinkwrap.json), `npm install <tarball>` into an empty directory, then the installed `replaylake` — version,
 * help, and a worker plus an export against the running local stack's Temporal and MinIO, configured only through a
 * REPLAYLAKE_CONFIG file as in production. It runs nothing from this clone but the packer.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../infra/sample/generate';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { parseSampleOptions } from '../infra/sample/options';
import { workflowCode, workflowSourceDigest } from '../worker/workflow-bundle';
import packageJson from '../package.json';
import { readTruths } from './support/export-fixture';
import { stackMinio } from './support/export-env';
import type { TestClickHouse } from './support/stack';
import { freshBucket, freshClickHouse, stack, stackS3 } from './support/stack';
import { stackWorkerConfig, writeConfig } from './support/worker-process';

const ROOT = join(__dirname, '..');
const NOW = Date.parse('2026-11-26T12:00:00Z');
/** A day no other test or demo exports, because the stack's Temporal is shared and workflow ids are per window. */
const DAY = '2026-06-17';
const DAY_MS = Date.parse(`${DAY}T00:00:00Z`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PackEntry {
  filename: string;
  files: Array<{ path: string }>;
}

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaylake-package-'));
  const installDir = join(dir, 'install');
  const bin = join(installDir, 'node_modules', '.bin', 'replaylake');
  const lakeDir = join(dir, 'lake');
  const logFile = join(dir, 'worker.log');
  const timings: Record<string, number> = {};
  const s3 = stackS3();
  let packed: PackEntry;
  let ch: TestClickHouse | undefined;
  let truths: SessionTruth[];
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcessWithoutNullStreams | undefined;

  const replaylake = (...args: string[]) => run(bin, args, { cwd: dir, env });

  beforeAll(async () => {
    let t = Date.now();
    const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
    expect(pack.code, pack.stderr).toBe(0);
    packed = (JSON.parse(pack.stdout) as PackEntry[])[0]!;
    timings['npm pack'] = Date.now() - t;

    t = Date.now();
    mkdirSync(installDir);
    writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'stranger', private: true }));
    // The machine's npm cache serves what it holds; nothing from this clone's node_modules is used.
    const install = await run(
      'npm',
      ['install', join(dir, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: installDir },
    );
    expect(install.code, install.stderr).toBe(0);
    timings['npm install'] = Date.now() - t;

    ch = await freshClickHouse();
    const bucket = await freshBucket(s3, 'package');
    const sample = await generateSample(
      { s3, bucket, clickhouse: ch.client, outDir: mkdtempSync(join(dir, 'sample-')) },
      parseSampleOptions({ sessions: 8, seed: 'package', start: DAY, days: 1, now: NOW }),
    );
    truths = readTruths(sample.manifest);
    const configFile = writeConfig(
      stackWorkerConfig(
        // The stack's Temporal, on a queue of this test's own.
        {
          temporalAddress: stack().temporal.address,
          taskQueue: `package-${process.pid}`,
          clickhouse: ch,
          bucket,
          lakeDir,
        },
        { export: { batchSize: 3 }, worker: { decodeThreads: 1 } },
      ),
    );
    // What a production host has: no local stack (the default state file would be inside the installed package).
    env = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      REPLAYLAKE_CONFIG: configFile,
      REPLAYLAKE_LOG_FILE: logFile,
      REPLAYLAKE_LOG_FORMAT: 'json',
    };
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await ch?.close();
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
    console.log(`package test: ${JSON.stringify(timings)}`);
  });

  it('holds what the CLI and the worker run, and no tests, benchmarks, fixtures or local stack', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'bin/replaylake',
        'client/cli.ts',
        'worker/runtime.ts',
        'activities/batch-thread.js',
        'workflows/index.ts',
        'common/windows.ts',
        'viewer/main.ts',
        'dist/workflow-bundle.js',
        'dist/workflow-bundle.json',
        'npm-shrinkwrap.json',
        'package.json',
        'README.md',
        'LICENSE',
      ]),
    );
    const tops = new Set(paths.map((p) => p.split('/')[0]));
    for (const excluded of ['test', 'bench', 'infra', '.stack', '.ci', 'deploy', 'node_modules', 'test-artifacts'])
      expect(tops.has(excluded), excluded).toBe(false);
    // pack's own scripts leave the clone as they found it: no bundle to go stale, no shrinkwrap shadowing the lock.
    expect(readdirSync(ROOT)).not.toContain('dist');
    expect(readdirSync(ROOT)).not.toContain('npm-shrinkwrap.json');
    const installed = JSON.parse(
      readFileSync(join(installDir, 'node_modules', 'replaylake', 'package.json'), 'utf8'),
    ) as { private?: boolean; version: string };
    expect(installed.private).toBeUndefined();
    expect(installed.version).toBe(packageJson.version);
  });

  it('installs without the local stack dependencies', () => {
    const modules = readdirSync(join(installDir, 'node_modules'));
    expect(modules).not.toContain('chdb');
    expect(modules).not.toContain('vitest');
    expect(readdirSync(join(installDir, 'node_modules', '@temporalio'))).not.toContain('testing');
  });

  it('replaylake --version, <verb> --version and worker --help', async () => {
    expect(await replaylake('--version')).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
    expect(await replaylake('verify', '--version')).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
    const help = await replaylake('worker', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: replaylake worker \[options\]/);
    expect(help.stdout).toContain('--log-file <path>');
    const demo = await replaylake('demo');
    expect(demo.code).toBe(2);
    expect(demo.stderr.trim()).toMatch(/^replaylake: demo runs on the local development stack.*a clone/);
  });

  it('a worker and an export of the installed package against the local stack', async () => {
    const t = Date.now();
    worker = spawn(bin, ['worker'], { cwd: dir, env });
    let workerOutput = '';
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        workerOutput += d.toString();
        if (workerOutput.includes('worker: polling')) resolve();
      };
      worker!.stdout.on('data', onData);
      worker!.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`worker exited (${code}):\n${workerOutput}`)));
    });
    timings['worker start'] = Date.now() - t;

    const exported = await replaylake('export', '--team', '1,2,3,4', '--from', DAY, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const result = JSON.parse(exported.stdout) as { sessions: number; sessionsFailed: number; partitions: number };
    const expected = truths.filter(
      (x) => !x.deleted && !x.live && x.start_ms >= DAY_MS && x.start_ms < DAY_MS + 86_400_000,
    );
    expect(result).toMatchObject({ sessions: expected.length, sessionsFailed: 0, partitions: 4 });
    const verify = await replaylake('verify', '--team', '1,2,3,4', '--from', DAY, '--json');
    expect(verify.code, verify.stdout).toBe(0);
    expect((JSON.parse(verify.stdout) as { ok: boolean }).ok).toBe(true);
    timings['export + verify'] = Date.now() - t - timings['worker start'];

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Quiet on the terminal; the JSON-lines log has the rest, with the prebuilt bundle and no secret.
    expect(workerOutput).not.toMatch(/Worker state changed|webpack/);
    const logText = readFileSync(logFile, 'utf8');
    const log = logText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    expect(log.find((e) => e.event === 'worker_polling')).toMatchObject({ workflows: 'prebuilt' });
    expect(log.filter((e) => e.event === 'session_exported')).toHaveLength(expected.length);
    expect(log.find((e) => e.event === 'window_committed')).toMatchObject({ window: `${DAY}_teams-1-2-3-4` });
    expect(logText).not.toContain(ch!.password);
    expect(logText).not.toContain(stackMinio().secretAccessKey);
  });
});

describe('the prebuilt workflow bundle', () => {
  it('is used only when it was built from these workflow sources and SDK versions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replaylake-bundle-'));
    try {
      expect(workflowCode(dir).source).toBe('webpack');
      writeFileSync(join(dir, 'workflow-bundle.js'), '// stand-in');
      writeFileSync(join(dir, 'workflow-bundle.json'), JSON.stringify({ digest: workflowSourceDigest() }));
      expect(workflowCode(dir)).toEqual({
        source: 'prebuilt',
        options: { workflowBundle: { codePath: join(dir, 'workflow-bundle.js') } },
      });
      writeFileSync(join(dir, 'workflow-bundle.json'), JSON.stringify({ digest: 'built-from-other-sources' }));
      expect(workflowCode(dir).source).toBe('webpack');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

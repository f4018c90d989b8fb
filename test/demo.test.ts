/**
 * The main job as README gives it: `replaylake demo --json` brings up a stack, loads the sample, runs the nightly
 * workflow for the sample day through Temporal, verifies and queries the lake, and prints one JSON object. It gets a
 * stack directory of its own, as on a fresh clone, so whatever else the shared stack holds cannot change its answer.
 * The demo prints only its own lines: the worker's and the SDK's logs go to the log file when one is asked for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionTruth } from '../infra/sample/ground-truth';

const root = mkdtempSync(join(tmpdir(), 'replaylake-demo-stack-'));
const env = { ...process.env, REPLAYLAKE_STACK_DIR: root };

function demo(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), ['demo', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the Temporal SDK prints unless its logs are routed: webpack's bundle statistics and worker state changes. */
const SDK_LINES = /Worker state changed|webpack|modules by path|workflow-bundle|\[INFO\]/;

interface LogEntry {
  ts: string;
  level: string;
  event: string;
  message?: string;
  [field: string]: unknown;
}

describe('replaylake demo', () => {
  afterAll(() => {
    spawnSync(
      process.execPath,
      [
        join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(__dirname, '..', 'infra', 'cli.ts'),
        'down',
        '--purge',
      ],
      { env },
    );
    rmSync(root, { recursive: true, force: true });
  });

  it('prints {"tables", "verify"} with every sample session of the day exported and verify ok', async () => {
    const logFile = join(root, 'demo-log.jsonl');
    const res = await demo('--json', '--log-file', logFile, '--log-format', 'json');
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    // Nothing on stderr: no bundle statistics, no worker state changes, no warnings.
    expect(res.stderr).toBe('');
    // One JSON object on stdout, nothing else.
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as {
      tables: Record<string, number>;
      verify: { ok: boolean };
      cookbook: { rows: unknown[] };
    };
    expect(report.verify.ok).toBe(true);
    const truths = readFileSync(join(root, 'samples', 'demo', 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SessionTruth);
    const day = Date.parse('2026-10-31T00:00:00Z');
    const expected = truths.filter((t) => !t.deleted && !t.live && t.start_ms >= day && t.start_ms < day + 86_400_000);
    expect(report.tables['sessions']).toBe(expected.length);
    expect(report.tables['events']).toBe(expected.reduce((n, t) => n + t.events.total, 0));
    expect(Object.keys(report.tables).sort()).toEqual([
      'clicks',
      'console_logs',
      'custom_events',
      'events',
      'export_errors',
      'network_requests',
      'pageviews',
      'sessions',
    ]);
    expect(report.cookbook.rows).toHaveLength(1);

    // The log: JSON lines, each with a stable event name; the SDK's output is there instead of on the terminal.
    const log = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogEntry);
    for (const entry of log)
      expect([typeof entry.ts, typeof entry.level, typeof entry.event]).toEqual(['string', 'string', 'string']);
    const sdk = log.filter((e) => e.event === 'sdk_log').map((e) => e.message ?? '');
    expect(sdk.some((m) => /webpack [\d.]+ compiled successfully/.test(m))).toBe(true);
    expect(sdk.filter((m) => m === 'Worker state changed').length).toBeGreaterThanOrEqual(2);
    // Telemetry with its counters, from the main thread and, forwarded, from every batch thread.
    const committed = log.filter((e) => e.event === 'window_committed');
    expect(committed).toEqual([expect.objectContaining({ window: '2026-10-31_teams-1-2-3-4', partitions: 4 })]);
    expect(log.filter((e) => e.event === 'partition_committed')).toHaveLength(4);
    const exported = log.filter((e) => e.event === 'session_exported');
    expect(new Set(exported.map((e) => e.session))).toEqual(new Set(expected.map((t) => t.session_id)));
    expect(exported.reduce((n, e) => n + (e.events as number), 0)).toBe(report.tables['events']);
    const finished = log.filter((e) => e.event === 'batch_finished');
    expect(finished.length).toBe(log.filter((e) => e.event === 'batch_started').length);
    expect(finished.reduce((n, e) => n + (e.sessions as number), 0)).toBe(expected.length);
  });

  it('prints only its own progress and results by default', async () => {
    const res = await demo();
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).not.toMatch(SDK_LINES);
    // Every line is one of the demo's own: stack, sample, export, the table counts, verify and the cookbook.
    for (const line of res.stdout.trim().split('\n'))
      expect(line).toMatch(/^(stack|sample|export|verify): |^tables:$|^cookbook — |^ {2}\S/);
    expect(res.stdout).toMatch(/^verify: ok \(4 partitions\)$/m);
  });
});

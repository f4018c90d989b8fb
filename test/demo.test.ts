/**
 * The main job as README gives it: `replaylake demo --json` brings up a stack, loads the sample, runs the nightly
 * workflow for the sample day through Temporal, verifies and queries the lake, and prints one JSON object. It gets a
 * stack directory of its own, as on a fresh clone, so whatever else the shared stack holds cannot change its answer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionTruth } from '../infra/sample/ground-truth';

const root = mkdtempSync(join(tmpdir(), 'replaylake-demo-stack-'));
const env = { ...process.env, REPLAYLAKE_STACK_DIR: root };

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
    const res = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(join(__dirname, '..', 'bin', 'replaylake'), ['demo', '--json'], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    // One JSON object on stdout, nothing else (the worker's logs go to stderr).
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
  });
});

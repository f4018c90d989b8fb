/**
 * `stack:up` twice is harmless, `stack:down` leaves no process and `stack:status` says so. Runs a second, private
 * stack in its own directory (on free ports) so the shared stack other tests use is untouched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../infra/stack';
import { readState } from '../infra/state';

const root = mkdtempSync(join(tmpdir(), 'replaylake-stack-'));
const env = { ...process.env, REPLAYLAKE_STACK_DIR: root, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function stackCli(...args: string[]) {
  const res = spawnSync(
    process.execPath,
    [
      join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(__dirname, '..', 'infra', 'cli.ts'),
      ...args,
    ],
    {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('stack lifecycle', () => {
  afterAll(() => {
    stackCli('down', '--purge');
    rmSync(root, { recursive: true, force: true });
  });

  it('starts once, leaves a running stack alone, stops without leftovers', () => {
    const first = stackCli('up');
    expect(first.code, first.out).toBe(0);
    const state = readState(root)!;
    expect(isAlive(state.temporal.pid) && isAlive(state.minio.pid) && isAlive(state.clickhouse.pid)).toBe(true);
    expect(state.minio.secretKey.length).toBeGreaterThanOrEqual(24);

    const second = stackCli('up');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('already running');
    expect(readState(root)).toEqual(state);

    const running = stackCli('status');
    expect(running.code).toBe(0);
    expect(running.out).toMatch(/temporal: running .*web UI http:\/\/127\.0\.0\.1:\d+/);
    expect(running.out).not.toContain(state.minio.secretKey);
    expect(running.out).not.toContain(state.clickhouse.password);

    const down = stackCli('down');
    expect(down.code, down.out).toBe(0);
    expect(isAlive(state.temporal.pid)).toBe(false);
    expect(isAlive(state.minio.pid)).toBe(false);
    expect(isAlive(state.clickhouse.pid)).toBe(false);
    const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
    expect(ps.split('\n').filter((l) => l.includes(root))).toEqual([]);

    const stopped = stackCli('status');
    expect(stopped.code).toBe(3);
    expect(stopped.out).toContain('temporal: stopped');
    expect(stopped.out).toContain('minio: stopped');
    expect(stopped.out).toContain('clickhouse: stopped');
  });
});

/** Bad input to `npm run sample` gives one clear line and a non-zero exit, before anything is written. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sampleCli(...args: string[]) {
  const res = spawnSync(
    process.execPath,
    [
      join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(__dirname, '..', 'infra', 'sample-cli.ts'),
      ...args,
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, REPLAYLAKE_STACK_DIR: '/nonexistent/replaylake-stack' },
    },
  );
  return {
    code: res.status,
    stdout: res.stdout,
    lines: res.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== ''),
  };
}

describe('sample CLI input validation', () => {
  it.each([
    [['--sessions', '-5', '--seed', 's'], /^sample: --sessions: sessions must be at least 1$/],
    [['--sessions', '0', '--seed', 's'], /^sample: --sessions: sessions must be at least 1$/],
    [['--sessions', 'lots', '--seed', 's'], /--sessions must be a whole number, got "lots"/],
    [['--sessions', '3', '--seed', 's', '--days', '-1'], /^sample: --days: days must be at least 1$/],
    [
      ['--sessions', '3', '--seed', 's', '--generations', 'v2,v3'],
      /^sample: --generations: unknown generation "v3" \(expected one of v2, v1, legacy\)$/,
    ],
    [['--sessions', '3', '--seed', 's', '--start', '2026-02-30'], /^sample: --start: not a calendar date$/],
    [['--sessions', '3'], /required option '--seed <seed>' not specified/],
  ])('%j is refused with one line', (args, message) => {
    const res = sampleCli(...args);
    expect(res.code).toBe(2);
    expect(res.lines).toHaveLength(1);
    expect(res.lines[0]).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it('says how to start the stack when it is not running', () => {
    const res = sampleCli('--sessions', '3', '--seed', 's');
    expect(res.code).toBe(1);
    expect(res.lines).toEqual([expect.stringMatching(/^sample: the local stack is not running .*npm run stack:up$/)]);
  });
});

/** Pure pieces whose mistakes would be silent: URL parsing, range coalescing, key safety, windows, config. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalLakeStore, safeKeySegment } from '../activities/lake-store';
import { rawBlobKey, tableFileKey } from '../activities/lake-layout';
import { BadBlockUrlError, coalesceRanges, parseBlockUrl } from '../activities/source/block-url';
import { nightlyWindowStart } from '../workflows/nightly';
import { exportWindowId, windowProblem } from '../workflows/window';
import { ConfigError, loadConfig, redactConfig } from '../worker/config';

const DAY = 86_400_000;

describe('block URLs', () => {
  it('takes bucket, key and the inclusive range from the URL itself', () => {
    expect(
      parseBlockUrl('s3://posthog/session_recording_batches/1735689600000-9f2c1a7b3d4e5f60?range=bytes=10-19'),
    ).toEqual({
      url: 's3://posthog/session_recording_batches/1735689600000-9f2c1a7b3d4e5f60?range=bytes=10-19',
      bucket: 'posthog',
      key: 'session_recording_batches/1735689600000-9f2c1a7b3d4e5f60',
      start: 10,
      end: 19,
    });
  });

  it.each([
    ['https://posthog/key?range=bytes=0-1', /must use s3:\/\//],
    ['s3://posthog/key', /lacks a byte range/],
    ['s3://posthog/key?range=bytes=9-3', /impossible byte range 9-3/],
    ['s3:///key?range=bytes=0-1', /lacks a bucket or key/],
    ['', /not a URL/],
  ])('refuses %j', (url, message) => {
    expect(() => parseBlockUrl(url)).toThrow(BadBlockUrlError);
    expect(() => parseBlockUrl(url)).toThrow(message);
  });

  it('groups ranges per batch file and merges neighbours into few GETs', () => {
    const refs = [
      's3://b/f1?range=bytes=0-99',
      's3://b/f1?range=bytes=100-199',
      's3://b/f1?range=bytes=10000000-10000099',
      's3://b/f2?range=bytes=0-9',
      's3://c/f1?range=bytes=0-9',
    ].map(parseBlockUrl);
    const groups = coalesceRanges(refs).map((g) => `${g.bucket}/${g.key} ${g.start}-${g.end} x${g.blocks.length}`);
    expect(groups.sort()).toEqual(['b/f1 0-199 x2', 'b/f1 10000000-10000099 x1', 'b/f2 0-9 x1', 'c/f1 0-9 x1']);
  });
});

describe('lake keys built from data', () => {
  it('cannot escape their partition', () => {
    expect(safeKeySegment('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(safeKeySegment('a/b?c=d')).toBe('a_b_c_d');
    expect(rawBlobKey({ dt: '2026-10-31', teamId: 1 }, '../x')).toBe('raw/dt=2026-10-31/team_id=1/__x.jsonl.zst');
    expect(tableFileKey('events', { dt: '2026-10-31', teamId: 7 }, 3)).toBe(
      'events/dt=2026-10-31/team_id=7/part-00003.parquet',
    );
  });

  it('the local store refuses a key outside its root', async () => {
    const store = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'replaylake-keys-')));
    await expect(store.put('../outside', Buffer.from('x'))).rejects.toThrow(/escapes the lake root/);
  });
});

describe('export windows', () => {
  const start = Date.parse('2026-10-31T00:00:00Z');
  it('are whole UTC days with deterministic names', () => {
    expect(exportWindowId(start, start + DAY, [2, 1])).toBe('2026-10-31_teams-1-2');
    expect(exportWindowId(start, start + 3 * DAY, [1])).toBe('2026-10-31..2026-11-02_teams-1');
    expect(windowProblem(start, start + DAY, [1])).toBeUndefined();
    expect(windowProblem(start + 1, start + DAY, [1])).toMatch(/whole days/);
    expect(windowProblem(start, start, [1])).toMatch(/must be after its start/);
    expect(windowProblem(start, start + DAY, [])).toMatch(/at least one team/);
    expect(windowProblem(Number.NaN, start, [1])).toMatch(/must be dates/);
  });

  it('the nightly run exports the last whole day that ended a settle period before its scheduled time', () => {
    const scheduled = Date.parse('2026-11-02T01:00:00Z');
    expect(new Date(nightlyWindowStart(scheduled, 24)).toISOString()).toBe('2026-10-31T00:00:00.000Z');
    expect(new Date(nightlyWindowStart(scheduled, 0)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('configuration', () => {
  const env = {
    REPLAYLAKE_STACK_DIR: '/nonexistent',
    REPLAYLAKE_CLICKHOUSE_URL: 'https://clickhouse.internal:8443',
    REPLAYLAKE_CLICKHOUSE_PASSWORD: 'ch-secret-1',
    REPLAYLAKE_SOURCE_S3_SECRET_ACCESS_KEY: 's3-secret-2',
    REPLAYLAKE_SOURCE_S3_ACCESS_KEY_ID: 'AKIA',
    REPLAYLAKE_LAKE_URI: 's3://lake-bucket/replays',
    REPLAYLAKE_TEMPORAL_API_KEY: 'tmprl-secret-3',
    REPLAYLAKE_PARALLELISM: '8',
  };

  it('is parsed once from the environment, and printing it never shows a secret', () => {
    const config = loadConfig(env);
    expect(config.export.parallelism).toBe(8);
    expect(config.clickhouse.password).toBe('ch-secret-1');
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['ch-secret-1', 's3-secret-2', 'tmprl-secret-3']) expect(printed).not.toContain(secret);
    expect(printed).toContain('AKIA');
  });

  it('names every bad setting', () => {
    expect(() => loadConfig({ ...env, REPLAYLAKE_LAKE_URI: 'ftp://x', REPLAYLAKE_CLICKHOUSE_URL: 'tcp://y' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...env, REPLAYLAKE_LAKE_URI: 'ftp://x', REPLAYLAKE_CLICKHOUSE_URL: 'tcp://y' })).toThrow(
      /clickhouse\.url: clickhouse\.url must start with http:\/\/, https:\/\/ or chdb:\/\/; lake\.uri: lake\.uri must start with file:\/\/ or s3:\/\//,
    );
    expect(() => loadConfig({ REPLAYLAKE_STACK_DIR: '/nonexistent' })).toThrow(/no local stack is running/);
  });
});

/** Pure pieces whose mistakes would be silent: URL parsing, key safety, batch cutting, windows, dates, config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalLakeStore } from '../activities/lake-store';
import { keySegment, rawBlobKey, tableFileKey } from '../activities/lake-layout';
import type { SessionRef } from '../activities/listing';
import { BadBlockUrlError, parseBlockUrl } from '../activities/source/block-url';
import { UsageError, parseTeams } from '../client/dates';
import { exportWindowId, windowProblem } from '../common/windows';
import { cutBatches } from '../workflows/export-window';
import { nightlyWindowStart } from '../workflows/nightly';
import { ConfigError, loadConfig, privacySettings, redactConfig } from '../worker/config';

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
});

describe('lake keys built from data', () => {
  it('cannot escape their partition', () => {
    expect(keySegment('../../etc/passwd')).toBe('~2e.~2f..~2fetc~2fpasswd'); // a hostile key: not-a-reference
    expect(rawBlobKey({ dt: '2026-10-31', teamId: 1 }, '../x', 'f00d')).toBe(
      'raw/dt=2026-10-31/team_id=1/~2e.~2fx.f00d.jsonl.zst',
    );
    expect(tableFileKey('events', { dt: '2026-10-31', teamId: 7 }, 'abc123', 3)).toBe(
      'events/dt=2026-10-31/team_id=7/part-abc123-0003.parquet',
    );
  });

  it('never give two session ids the same key', () => {
    const ids = [
      'x/y',
      'x_y',
      'x~2fy',
      'x~y',
      '',
      '~',
      '.hidden',
      '~2ehidden',
      'a'.repeat(200),
      `${'a'.repeat(200)}b`,
      `${'a'.repeat(72)}~h${'0'.repeat(40)}`,
      'é',
      '\u0000',
      '01900000-0000-7000-8000-000000000001',
    ];
    const keys = ids.map(keySegment);
    expect(new Set(keys).size).toBe(ids.length);
    for (const k of keys) {
      expect(k.length).toBeLessThanOrEqual(120);
      expect(k).toMatch(/^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$/);
    }
    // PostHog's session ids (UUIDs) stay readable.
    expect(keySegment('01900000-0000-7000-8000-000000000001')).toBe('01900000-0000-7000-8000-000000000001');
  });

  it("the local store's sweep never removes a file another writer is still writing", async () => {
    const root = mkdtempSync(join(tmpdir(), 'replaylake-sweep-'));
    const writing = new LocalLakeStore(root);
    const writer = await writing.openWriter('sessions/dt=2026-10-31/team_id=1/part-a-0000.parquet');
    await writer.write(Buffer.from('half of a file'));
    // Another export's commit, in another process or this one, sweeps the same lake meanwhile.
    expect(await new LocalLakeStore(root).sweep(['_staging/other-export/'], 0)).toBe(0);
    await writer.write(Buffer.from(' and the rest'));
    await writer.close();
    expect((await writing.get('sessions/dt=2026-10-31/team_id=1/part-a-0000.parquet'))?.toString()).toBe(
      'half of a file and the rest',
    );
  });

  it('the local store refuses a key outside its root', async () => {
    const store = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'replaylake-keys-')));
    await expect(store.put('../outside', Buffer.from('x'))).rejects.toThrow(/escapes the lake root/);
  });
});

describe('batches', () => {
  const ref = (day: string, teamId: number, n: number, bytes = 10): SessionRef => ({
    teamId,
    sessionId: `s${n}`,
    startMs: Date.parse(`${day}T12:00:00Z`),
    bytes,
  });

  it('never straddle a (day, team) partition and are cut by count and by bytes', () => {
    const sessions = [
      ref('2026-10-31', 1, 1),
      ref('2026-10-31', 1, 2),
      ref('2026-10-31', 1, 3),
      ref('2026-10-31', 2, 4),
      ref('2026-11-01', 2, 5),
      ref('2026-11-01', 2, 6, 1000),
      ref('2026-11-01', 2, 7),
    ];
    expect(cutBatches(sessions, 2, 500).map((b) => b.map((s) => s.sessionId))).toEqual([
      ['s1', 's2'],
      ['s3'],
      ['s4'],
      ['s5'],
      ['s6'],
      ['s7'],
    ]);
  });
});

describe('team ids', () => {
  it('are decimal PostHog project ids', () => {
    expect(parseTeams(['2', '1,3', ' 4 '])).toEqual([1, 2, 3, 4]);
    for (const bad of ['', '0x10', '1e3', '-1', '1.5', 'one', '1) OR (1=1'])
      expect(() => parseTeams([bad]), bad).toThrow(UsageError);
    expect(() => parseTeams(['0x10'])).toThrow(/decimal digits, got "0x10"/);
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
      /clickhouse\.url: clickhouse\.url must start with http:\/\/ or https:\/\/; lake\.uri: lake\.uri must start with file:\/\/ or s3:\/\//,
    );
    expect(() => loadConfig({ REPLAYLAKE_STACK_DIR: '/nonexistent' })).toThrow(/no local stack is running/);
    expect(() => loadConfig({ ...env, REPLAYLAKE_HEARTBEAT_SECONDS: '1' })).toThrow(/export\.heartbeatSeconds/);
    expect(() => loadConfig({ ...env, REPLAYLAKE_BATCH_SIZE: 'lots' })).toThrow(
      /REPLAYLAKE_BATCH_SIZE must be a number/,
    );
  });

  it('takes a privacy policy per team, refuses a misspelt key, and never prints the hash key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replaylake-privacy-config-')), 'config.json');
    const write = (privacy: unknown) => writeFileSync(file, JSON.stringify({ privacy }));
    write({
      text: 'mask',
      urls: { query: 'strip' },
      distinctId: 'hash',
      teams: { '7': { urls: { fragment: 'strip' } } },
    });
    const withKey = {
      ...env,
      REPLAYLAKE_CONFIG: file,
      REPLAYLAKE_PRIVACY_HASH_KEY: 'a-hash-key-of-32-characters-long',
    };
    const settings = privacySettings(loadConfig(withKey));
    expect(settings.policy).toMatchObject({ inputs: 'keep', text: 'mask', urls: { query: 'strip', fragment: 'keep' } });
    expect(settings.policy.network.redactHeaders).toContain('authorization');
    // A team's section replaces the default's: its own defaults fill it in.
    expect(settings.teams['7']).toMatchObject({
      text: 'mask',
      urls: { query: 'keep', keepParams: [], fragment: 'strip' },
    });
    expect(JSON.stringify(redactConfig(loadConfig(withKey)))).not.toContain('a-hash-key-of-32-characters-long');
    expect(() => loadConfig({ ...env, REPLAYLAKE_CONFIG: file })).toThrow(
      /privacy\.hashKey: privacy\.hashKey \(REPLAYLAKE_PRIVACY_HASH_KEY\) is required when distinctId is "hash"/,
    );
    write({ input: 'mask' });
    expect(() => loadConfig({ ...env, REPLAYLAKE_CONFIG: file })).toThrow(/privacy: Unrecognized key: "input"/);
    write({ teams: { acme: { text: 'mask' } } });
    expect(() => loadConfig({ ...env, REPLAYLAKE_CONFIG: file })).toThrow(
      /privacy\.teams\.acme: Invalid key in record/,
    );
  });
});

/**
 * The local stack's ClickHouse is chDB behind infra/clickhouse/http-server.ts. These tests hold it to what
 * @clickhouse/client and a real server agree on: bound parameters arrive as ClickHouse parses them, inserts fire
 * PostHog's materialized view, errors carry the server's codes and statuses, no request sees another's settings, and
 * separate processes share one data directory through it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient, ClickHouseClientConfigOptions } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClickHouse } from './support/stack';
import { freshClickHouse } from './support/stack';
import { kafkaReplayRow } from './support/replay-rows';

let ch: TestClickHouse | undefined;
let client: ClickHouseClient;

beforeAll(async () => {
  ch = await freshClickHouse();
  client = connect();
});

afterAll(async () => {
  await client?.close();
  await ch?.close();
});

function server(): TestClickHouse {
  if (!ch) throw new Error('no server');
  return ch;
}

/** A client of the file's server that does not log the errors these tests provoke on purpose. */
function connect(options: ClickHouseClientConfigOptions = {}): ClickHouseClient {
  const { url, username, password } = server();
  return createClient({ url, username, password, log: { level: ClickHouseLogLevel.OFF }, ...options });
}

async function rows<T>(
  query: string,
  query_params: Record<string, unknown> = {},
  clickhouse_settings: Record<string, string | number> = {},
  on: ClickHouseClient = client,
): Promise<T[]> {
  const rs = await on.query({ query, query_params, clickhouse_settings, format: 'JSONEachRow' });
  return rs.json<T>();
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function failure(promise: Promise<unknown>): Promise<ClickHouseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClickHouseError);
  return err as ClickHouseError;
}

describe("chDB over ClickHouse's HTTP interface", () => {
  it('binds every parameter type the exporter uses and returns the values exactly', async () => {
    const tricky = "tab\there, quote ' here, backslash \\ here\nand a second line";
    const [row] = await rows<Record<string, unknown>>(
      `SELECT {s:String} AS s, length(s) AS len, {strings:Array(String)} AS strings, {ints:Array(Int64)} AS ints,
              {ts:DateTime64(6, 'UTC')} AS ts, {u:UInt32} AS u, {i:Int64} AS i, {big:Int64} AS big`,
      {
        s: tricky,
        strings: ['plain', "it's", 'back\\slash', 'tab\tnew\nline', ''],
        ints: [3, 4, -9007199254740991],
        ts: '2026-10-31 00:00:00.123',
        u: 4294967295,
        i: -42,
        big: -9223372036854775808n,
      },
      { output_format_json_quote_64bit_integers: 1 },
    );
    expect(row).toEqual({
      s: tricky,
      len: String(Buffer.byteLength(tricky)),
      strings: ['plain', "it's", 'back\\slash', 'tab\tnew\nline', ''],
      ints: ['3', '4', '-9007199254740991'],
      ts: '2026-10-31 00:00:00.123000',
      u: 4294967295,
      i: '-42',
      big: '-9223372036854775808',
    });
  });

  it('takes a batch-sized array parameter in the URL, as a server does up to http_max_uri_size', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `018e2a5b-0000-7000-8000-${String(i).padStart(12, '0')}`);
    expect(await rows('SELECT length({ids:Array(String)}) AS n, {ids:Array(String)}[5000] AS last', { ids })).toEqual([
      { n: 5000, last: ids[4999] },
    ]);
  });

  it('quotes 64-bit integers in JSON only when asked', async () => {
    const query = 'SELECT toInt64(9007199254740993) AS i, toUInt64(7) AS u, toUInt32(7) AS small';
    expect(await rows(query, {}, { output_format_json_quote_64bit_integers: 1 })).toEqual([
      { i: '9007199254740993', u: '7', small: 7 },
    ]);
    const unquoted = await client.query({
      query,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await unquoted.text()).toBe('{"i":9007199254740993,"u":7,"small":7}\n');
  });

  it("inserts into PostHog's Kafka table reach sharded_session_replay_events through the materialized view", async () => {
    const base = kafkaReplayRow({
      team_id: 7,
      distinct_id: 'person-7',
      size: 100,
      event_count: 10,
      snapshot_library: 'posthog-js',
      ai_tags_fixed: [],
      ai_tags_freeform: [],
      ai_highlighted: 0,
    });
    const inserted = await client.insert({
      table: 'kafka_session_replay_events',
      format: 'JSONEachRow',
      values: [
        {
          ...base,
          session_id: 'http-session',
          first_timestamp: '2026-10-31 10:00:00.000',
          last_timestamp: '2026-10-31 10:00:05.500',
          block_url: 's3://posthog/session_recordings/30d/1-a?range=bytes=0-99',
          click_count: 2,
        },
        {
          ...base,
          session_id: 'http-session',
          first_timestamp: '2026-10-31 10:00:06.000',
          last_timestamp: '2026-10-31 10:00:09.000',
          block_url: 's3://posthog/session_recordings/30d/1-a?range=bytes=100-199',
          click_count: 3,
        },
      ],
    });
    // Two rows into the Kafka (Null) table, one aggregated row written through the view.
    expect(inserted.summary).toMatchObject({ read_rows: '2', written_rows: '3' });
    expect(
      await rows(
        `SELECT session_id, team_id, min(min_first_timestamp) AS start, max(max_last_timestamp) AS end,
                sum(click_count) AS clicks, arraySort(groupArrayArray(block_urls)) AS blocks
         FROM sharded_session_replay_events WHERE session_id = {session:String} GROUP BY session_id, team_id`,
        { session: 'http-session' },
        { output_format_json_quote_64bit_integers: 1 },
      ),
    ).toEqual([
      {
        session_id: 'http-session',
        team_id: '7',
        start: '2026-10-31 10:00:00.000000',
        end: '2026-10-31 10:00:09.000000',
        clicks: '5',
        blocks: [
          's3://posthog/session_recordings/30d/1-a?range=bytes=0-99',
          's3://posthog/session_recordings/30d/1-a?range=bytes=100-199',
        ],
      },
    ]);
  });

  it('raises ClickHouseError with the server’s codes for an unknown database and an unknown table', async () => {
    const database = await failure(rows('SELECT * FROM nope.sessions'));
    expect({ code: database.code, type: database.type }).toEqual({ code: '81', type: 'UNKNOWN_DATABASE' });
    expect(database.message).toBe('Database nope does not exist. ');

    const table = await failure(rows('SELECT * FROM default.no_such_table'));
    expect({ code: table.code, type: table.type }).toEqual({ code: '60', type: 'UNKNOWN_TABLE' });

    const { url, username, password } = server();
    const elsewhere = connect({ database: 'nope' });
    try {
      const configured = await failure(rows('SELECT 1', {}, {}, elsewhere));
      expect(configured.code).toBe('81');
    } finally {
      await elsewhere.close();
    }

    const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT * FROM default.no_such_table')}`, {
      headers: { Authorization: basicAuth(username, password) },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: .* \(UNKNOWN_TABLE\)\n$/s);

    const syntax = await fetch(`${url}/`, {
      method: 'POST',
      body: 'SELEC 1',
      headers: { Authorization: basicAuth(username, password) },
    });
    expect([syntax.status, syntax.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
  });

  it('refuses a wrong password with code 516 and 403, like a server', async () => {
    const { url, username } = server();
    const intruder = connect({ password: 'wrong' });
    try {
      const err = await failure(rows('SELECT 1', {}, {}, intruder));
      expect({ code: err.code, type: err.type }).toEqual({ code: '516', type: 'AUTHENTICATION_FAILED' });
    } finally {
      await intruder.close();
    }
    const res = await fetch(`${url}/?query=SELECT%201`, {
      headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': '' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe(
      'Code: 516. DB::Exception: default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n',
    );
    // The health check needs no credentials; the same request with them runs.
    expect(await (await fetch(`${url}/ping`)).text()).toBe('Ok.\n');
    expect([(await client.ping()).success, (await client.ping({ select: true })).success]).toEqual([true, true]);
    const { password } = server();
    const withHeaders = await fetch(`${url}/?query=SELECT%201`, {
      headers: { 'X-ClickHouse-User': username, 'X-ClickHouse-Key': password },
    });
    expect([withHeaders.status, await withHeaders.text()]).toEqual([200, '1\n']);
  });

  it('never lets one request’s settings, parameters, database or temporary tables reach a later request', async () => {
    const probe = `SELECT getSetting('max_block_size') AS block, getSetting('max_result_rows') AS result_rows,
                          getSetting('readonly') AS ro, currentDatabase() AS db`;
    const [baseline] = await rows<Record<string, unknown>>(probe);
    expect(baseline).toMatchObject({ ro: 0, db: 'default' });
    const { url, username, password } = server();
    const inSystem = connect({ database: 'system' });
    try {
      // More rounds than the server has concurrent Sessions, so a reused Session would be caught.
      for (let round = 0; round < 10; round++) {
        const [dirty] = await rows<Record<string, unknown>>(
          `${probe}, {leak:String} AS leak`,
          { leak: `round ${round}` },
          { max_block_size: 777, max_result_rows: 1000 },
          inSystem,
        );
        expect(dirty).toMatchObject({ block: 777, result_rows: 1000, db: 'system', leak: `round ${round}` });
        await client.command({ query: 'SET max_block_size = 555' });
        await client.command({ query: 'CREATE TEMPORARY TABLE leaked (a UInt8)' });
        const viaGet = await fetch(`${url}/?query=${encodeURIComponent("SELECT getSetting('readonly')")}`, {
          headers: { Authorization: basicAuth(username, password) },
        });
        expect(await viaGet.text()).toBe('2\n');

        expect(await rows(probe)).toEqual([baseline]);
        const unset = await failure(rows('SELECT {leak:String} AS leak'));
        expect(unset.code).toBe('456');
        const gone = await failure(rows('SELECT count() FROM leaked'));
        expect(gone.code).toBe('60');
      }
    } finally {
      await inSystem.close();
    }
  });

  it('serves two separate processes at once, each with its own parameters, on one data directory', async () => {
    const { url, username, password } = server();
    await client.command({
      query: 'CREATE TABLE processes (tag String, i UInt32) ENGINE = MergeTree ORDER BY (tag, i)',
    });
    const script = `
      const { createClient } = require('@clickhouse/client');
      const [url, username, password, tag] = process.argv.slice(1);
      (async () => {
        const client = createClient({ url, username, password });
        if (!(await client.ping()).success) throw new Error('ping failed');
        process.stdout.write('ready\\n');
        await new Promise((resolve) => process.stdin.once('data', resolve));
        const started = Date.now();
        const [, ...echoes] = await Promise.all([
          client.query({ query: 'SELECT sleep(2)', format: 'JSONEachRow' }).then((r) => r.json()),
          ...Array.from({ length: 8 }, (_, i) =>
            client
              .query({ query: 'SELECT {tag:String} AS tag, {i:UInt32} AS i', query_params: { tag, i }, format: 'JSONEachRow' })
              .then((r) => r.json()),
          ),
        ]);
        await client.insert({ table: 'processes', format: 'JSONEachRow', values: Array.from({ length: 50 }, (_, i) => ({ tag, i })) });
        process.stdout.write(JSON.stringify({ ms: Date.now() - started, echoes: echoes.flat() }) + '\\n');
        await client.close();
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const children = ['alpha', 'beta'].map((tag) => {
      const child = spawn(process.execPath, ['-e', script, url, username, password, tag], {
        cwd: join(__dirname, '..'),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((resolve) => {
        const check = () => (stdout.includes('ready\n') ? resolve() : setTimeout(check, 20));
        check();
      });
      const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        child.on('close', (code) => resolve({ code, stdout, stderr })),
      );
      return { tag, child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.end('go\n');
    const results = await Promise.all(children.map((c) => c.done));
    for (const [index, result] of results.entries()) {
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
        ms: number;
        echoes: Array<{ tag: string; i: number }>;
      };
      const tag = children[index]?.tag;
      expect(report.echoes).toEqual(Array.from({ length: 8 }, (_, i) => ({ tag, i })));
      // Served one after the other, the second process would wait for the first one's two-second query.
      expect(report.ms).toBeLessThan(3500);
    }
    expect(await rows('SELECT tag, count() AS n FROM processes GROUP BY tag ORDER BY tag')).toEqual([
      { tag: 'alpha', n: 50 },
      { tag: 'beta', n: 50 },
    ]);
  });

  it('reports read rows in X-ClickHouse-Summary and answers with its query id, format and time zone', async () => {
    const result = await client.exec({
      query: 'SELECT number FROM system.numbers LIMIT 7 FORMAT JSONEachRow',
      query_id: 'summary-probe',
    });
    const body = await text(result.stream);
    expect(body.trim().split('\n')).toHaveLength(7);
    expect(result.summary).toMatchObject({ read_rows: '7', result_rows: '7', written_rows: '0' });
    expect(result.query_id).toBe('summary-probe');
    expect(result.response_headers).toMatchObject({
      'x-clickhouse-query-id': 'summary-probe',
      'x-clickhouse-format': 'JSONEachRow',
      'x-clickhouse-timezone': expect.any(String) as string,
    });
  });

  it('takes gzip request bodies, compresses responses on request and reads multipart parameters', async () => {
    const { url, username, password } = server();
    const compressed = connect({ compression: { request: true, response: true } });
    const multipart = connect({ use_multipart_params: true });
    try {
      await compressed.command({ query: 'CREATE TABLE gz (n UInt32, s String) ENGINE = Memory' });
      await compressed.insert({
        table: 'gz',
        format: 'JSONEachRow',
        values: Array.from({ length: 100 }, (_, n) => ({ n, s: 'x'.repeat(n) })),
      });
      expect(await rows('SELECT count() AS n, sum(length(s)) AS len FROM gz', {}, {}, compressed)).toEqual([
        { n: 100, len: 4950 },
      ]);
      const res = await fetch(`${url}/?enable_http_compression=1`, {
        method: 'POST',
        body: 'SELECT 1',
        headers: { Authorization: basicAuth(username, password), 'Accept-Encoding': 'gzip' },
      });
      expect([res.headers.get('content-encoding'), await res.text()]).toEqual(['gzip', '1\n']);

      expect(await rows('SELECT {values:Array(String)} AS v', { values: ['a', "b'c"] }, {}, multipart)).toEqual([
        { v: ['a', "b'c"] },
      ]);
    } finally {
      await compressed.close();
      await multipart.close();
    }
  });

  it('runs one statement per request, as a server does', async () => {
    const err = await failure(client.command({ query: 'SELECT 1; SELECT 2' }));
    expect({ code: err.code, type: err.type }).toEqual({ code: '62', type: 'SYNTAX_ERROR' });
    // Semicolons inside strings, comments and inserted data are not statement breaks.
    expect(await rows("SELECT 'a;b' AS v /* ; */ -- ;")).toEqual([{ v: 'a;b' }]);
    await client.command({ query: 'CREATE TABLE semis (s String) ENGINE = Memory' });
    await client.exec({ query: "INSERT INTO semis VALUES ('x;y'), ('z')" });
    await client.insert({ table: 'semis', format: 'JSONEachRow', values: [{ s: '1; DROP TABLE semis' }] });
    expect(await rows('SELECT s FROM semis ORDER BY s')).toEqual([
      { s: '1; DROP TABLE semis' },
      { s: 'x;y' },
      { s: 'z' },
    ]);
  });

  it('owns its data directory: no other process can open it while it serves', () => {
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `const { Session } = require('chdb');
         try { new Session(process.argv[1]); console.log('opened'); } catch (e) { console.log(e.message); }`,
        server().dataDir,
      ],
      { cwd: join(__dirname, '..'), encoding: 'utf8' },
    );
    expect(probe.stdout).not.toContain('opened');
    expect(`${probe.stdout}${probe.stderr}`).toMatch(
      /Cannot lock file .*Another server instance in same directory is already running/s,
    );
  });
});

/**
 * Privacy at export. Sample recordings plus one session carrying planted secrets in every place a policy covers (a
 * typed value, a form value, page text, a token and a fragment in URLs, credentials in request headers, request and
 * response bodies, the distinct id) are exported twice through exportWindow: once keeping everything, once under a
 * policy that masks inputs and text, strips query strings (keeping `page`) and fragments, redacts credential headers,
 * drops bodies and hashes distinct ids, with team 2 dropping inputs instead. Every file of the private lake is read
 * back decoded (Parquet through DuckDB, raw blobs through zstd) and searched; the plain lake proves the secrets were
 * there to find. The private raw blob still replays in headless Chromium, showing masked text.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskText, Redactor } from '../activities/privacy';
import type { PrivacyPolicy } from '../activities/privacy';
import { decompress } from 'fzstd';
import { CV_2024_10, gzipLatin1 } from '../infra/sample/cv';
import { metadataRow } from '../infra/sample/generate';
import { batchFileKey, blockUrl, computeBlockMetrics, retentionDays } from '../infra/sample/posthog-block-metrics';
import type { BlockEvent } from '../infra/sample/posthog-block-metrics';
import { exportWindow } from '../workflows/export-window';
import type { ExportEnv } from './support/export-env';
import { startExportEnv } from './support/export-env';
import type { ExportFixture } from './support/export-fixture';
import { SAMPLE_DAY, exportFixture, testWindow } from './support/export-fixture';
import { duckdb, readRawBlob, table } from './support/lake';

const HASH_KEY = 'privacy-test-hash-key-0123456789';
const SECRET = {
  typed: 'typed-SECRET-4411',
  formValue: 'form-SECRET-4412',
  mutatedValue: 'mutated-SECRET-4413',
  pageText: 'page-text-SECRET-4414',
  mutatedText: 'mutated-text-SECRET-4415',
  addedText: 'added-text-SECRET-4416',
  token: 'url-token-SECRET-4417',
  fragment: 'fragment-SECRET-4418',
  linkToken: 'link-token-SECRET-4419',
  signature: 'img-sig-SECRET-4420',
  apiKey: 'api-key-SECRET-4421',
  bearer: 'bearer-SECRET-4422',
  cookie: 'cookie-SECRET-4423',
  requestBody: 'request-body-SECRET-4424',
  responseBody: 'response-body-SECRET-4425',
  distinctId: 'person-SECRET-4426@example.com',
};
const CRAFTED_START = SAMPLE_DAY + 5 * 3_600_000;
/** A UUIDv7 of the session's start, as posthog-js makes them (`play` finds a session's day from it). */
const CRAFTED = `${CRAFTED_START.toString(16)
  .padStart(12, '0')
  .replace(/^(.{8})(.{4})$/, '$1-$2')}-7000-8000-00000000feed`;
const CRAFTED_WINDOW = '01a1d000-0000-7000-8000-0000000fee1d';
const POLICY = {
  inputs: 'mask',
  text: 'mask',
  urls: { query: 'strip', keepParams: ['page'], fragment: 'strip' },
  network: { headers: 'redact', bodies: 'drop' },
  distinctId: 'hash',
  hashKey: HASH_KEY,
  teams: { '2': { inputs: 'drop' } },
};
const CHROMIUM = '/usr/bin/chromium';
const BIN = join(__dirname, '..', 'bin', 'replaylake');

/** A session written the way posthog-js and the v2 ingester write one, with a secret wherever a policy reaches. */
async function writeCraftedSession(fx: ExportFixture): Promise<void> {
  const t0 = CRAFTED_START;
  const href = `https://shop.example/account?token=${SECRET.token}&page=2#${SECRET.fragment}`;
  let id = 1;
  const el = (tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) => ({
    type: 2,
    tagName,
    attributes,
    childNodes,
    id: id++,
  });
  const txt = (textContent: string, extra: Record<string, unknown> = {}) => ({
    type: 3,
    textContent,
    id: id++,
    ...extra,
  });
  const input = el('input', { type: 'text', name: 'nickname', value: SECRET.formValue });
  const paragraph = txt(SECRET.pageText);
  const body = el('body', {}, [
    el('h1', {}, [txt('Your account')]),
    el('p', {}, [paragraph]),
    input,
    el('a', { href: `/orders?token=${SECRET.linkToken}&page=3` }, [txt('Orders')]),
    el('img', { src: `https://cdn.example/avatar.png?sig=${SECRET.signature}` }),
  ]);
  const head = el('head', {}, [el('style', {}, [txt('h1 { color: rebeccapurple; }', { isStyle: true })])]);
  const html = el('html', { lang: 'en' }, [head, body]);
  const documentNode = {
    type: 0,
    childNodes: [{ type: 1, name: 'html', publicId: '', systemId: '', id: id++ }, html],
    id: id++,
  };
  const events: BlockEvent[] = [
    { type: 4, timestamp: t0, data: { href, width: 1280, height: 800 } },
    {
      type: 2,
      timestamp: t0 + 1,
      cv: CV_2024_10,
      data: gzipLatin1({ node: documentNode, initialOffset: { top: 0, left: 0 } }),
    },
    { type: 5, timestamp: t0 + 2, data: { tag: '$pageview', payload: { href } } },
    { type: 3, timestamp: t0 + 500, data: { source: 5, id: input.id, text: SECRET.typed, isChecked: false } },
    {
      type: 3,
      timestamp: t0 + 900,
      cv: CV_2024_10,
      data: {
        source: 0,
        texts: gzipLatin1([{ id: paragraph.id, value: SECRET.mutatedText }]),
        attributes: gzipLatin1([{ id: input.id, attributes: { value: SECRET.mutatedValue } }]),
        removes: gzipLatin1([]),
        adds: gzipLatin1([{ parentId: body.id, nextId: null, node: txt(SECRET.addedText) }]),
      },
    },
    {
      type: 6,
      timestamp: t0 + 1200,
      data: {
        plugin: 'rrweb/network@1',
        payload: {
          requests: [
            {
              name: `https://api.example/v1/me?api_key=${SECRET.apiKey}&page=1`,
              method: 'POST',
              initiatorType: 'fetch',
              entryType: 'resource',
              startTime: 1100,
              endTime: 1190,
              responseStatus: 200,
              requestHeaders: { Authorization: `Bearer ${SECRET.bearer}`, 'Content-Type': 'application/json' },
              responseHeaders: { 'Set-Cookie': `sid=${SECRET.cookie}`, 'content-type': 'application/json' },
              requestBody: `{"password":"${SECRET.requestBody}"}`,
              responseBody: `{"account":"${SECRET.responseBody}"}`,
            },
          ],
        },
      },
    },
  ].map((event) => ({ windowId: CRAFTED_WINDOW, event }));
  const text = events.map((e) => `${JSON.stringify([e.windowId, e.event])}\n`).join('');
  const block = Buffer.from(text, 'utf8');
  const { compressSync } = await import('snappy');
  const compressed = compressSync(block);
  const key = batchFileKey('session_recordings', '30d', t0 + 10_000, 'fee1dfee1dfee1d0');
  await fx.s3.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: compressed }));
  const metrics = computeBlockMetrics(events, { consoleLogIngestionEnabled: true, messageCount: 1 });
  await fx.ch.client.insert({
    table: 'kafka_session_replay_events',
    format: 'JSONEachRow',
    values: [
      metadataRow(
        {
          sessionId: CRAFTED,
          teamId: 1,
          distinctId: SECRET.distinctId,
          snapshotSource: 'web',
          snapshotLibrary: 'web',
          retentionPeriodDays: retentionDays('30d'),
        },
        metrics,
        blockUrl(fx.bucket, key, 0, compressed.length - 1),
        t0 + 12_000,
      ),
    ],
  });
}

/** Every file of a local lake as text: Parquet rows as JSON (through DuckDB), raw blobs decompressed, the rest as is. */
async function lakeText(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const db = await duckdb();
  try {
    const walk = async (d: string): Promise<void> => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith('.parquet'))
          out.set(path, JSON.stringify(await db.rows(`SELECT * FROM read_parquet('${path}')`)));
        else if (entry.name.endsWith('.zst'))
          out.set(path, Buffer.from(decompress(readFileSync(path))).toString('utf8'));
        else out.set(path, readFileSync(path).toString('utf8'));
      }
    };
    await walk(dir);
  } finally {
    db.close();
  }
  return out;
}

function findAll(files: Map<string, string>, needle: string): string[] {
  return [...files].filter(([, text]) => text.includes(needle)).map(([path]) => path);
}

interface RrNode {
  type: number;
  tagName?: string;
  textContent?: string;
  isStyle?: boolean;
  attributes?: Record<string, unknown>;
  childNodes?: RrNode[];
}

/** Text nodes outside <script>/<style>, and the value attributes of form elements, of every snapshot in a blob. */
function snapshotValues(lines: string[]): { texts: string[]; values: string[]; inputs: string[] } {
  const out = { texts: [] as string[], values: [] as string[], inputs: [] as string[] };
  const walk = (n: RrNode | undefined, raw: boolean) => {
    // Mobile (wireframe) snapshots have no DOM tree.
    if (n === undefined || n === null) return;
    if ((n.type === 3 || n.type === 5) && typeof n.textContent === 'string' && !raw && !n.isStyle)
      out.texts.push(n.textContent);
    const tag = n.tagName?.toLowerCase() ?? '';
    if (
      n.type === 2 &&
      ['input', 'textarea', 'select', 'option'].includes(tag) &&
      typeof n.attributes?.['value'] === 'string'
    )
      out.values.push(n.attributes['value']);
    for (const c of n.childNodes ?? []) walk(c, tag === 'script' || tag === 'style');
  };
  for (const line of lines) {
    const [, e] = JSON.parse(line) as [string, { type: number; data: Record<string, unknown> }];
    if (e.type === 2) walk(e.data['node'] as RrNode, false);
    if (e.type === 3 && e.data['source'] === 5 && typeof e.data['text'] === 'string') out.inputs.push(e.data['text']);
    if (e.type === 3 && e.data['source'] === 0)
      for (const add of (e.data['adds'] as Array<{ node: RrNode }> | undefined) ?? []) walk(add.node, false);
  }
  return out;
}

const masked = (s: string) => /^[\s*]*$/u.test(s);

describe('privacy at export', () => {
  let fx: ExportFixture;
  let privateEnv: ExportEnv;
  let privateDir: string;
  let plain: Map<string, string>;
  let priv: Map<string, string>;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install -y chromium`);
    fx = await exportFixture('privacy', { sessions: 16, seed: 'privacy' });
    await writeCraftedSession(fx);
    const window = testWindow({ batchSize: 5, parallelism: 2 });
    await fx.ex.env.client.workflow.execute(exportWindow, {
      taskQueue: 'privacy',
      workflowId: 'privacy-plain',
      args: [window],
    });
    privateDir = mkdtempSync(join(tmpdir(), 'replaylake-privacy-lake-'));
    privateEnv = await startExportEnv({
      clickhouse: fx.ch,
      sourceBucket: fx.bucket,
      lakeUri: pathToFileURL(privateDir).href,
      taskQueue: 'privacy-private',
      privacy: POLICY,
    });
    await privateEnv.env.client.workflow.execute(exportWindow, {
      taskQueue: 'privacy-private',
      workflowId: 'privacy-private',
      args: [window],
    });
    [plain, priv, browser] = await Promise.all([
      lakeText(fx.lakeDir),
      lakeText(privateDir),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await privateEnv?.close();
    await fx?.close();
  });

  it('leaves no planted secret anywhere in the lake, though the plain export holds every one', () => {
    for (const [name, secret] of Object.entries(SECRET)) {
      expect(findAll(plain, secret).length, `plain lake holds ${name}`).toBeGreaterThan(0);
      expect(findAll(priv, secret), `${name} in the private lake`).toEqual([]);
    }
    expect(findAll(priv, HASH_KEY)).toEqual([]);
  });

  it('hashes every distinct id with the key, so none appears', async () => {
    const hash = (id: string) => createHmac('sha256', HASH_KEY).update(id).digest('hex');
    const db = await duckdb();
    try {
      const rows = await db.rows<{ session_id: string; distinct_id: string }>(
        `SELECT session_id, distinct_id FROM ${table(privateDir, 'sessions')}`,
      );
      const truth = new Map(fx.expected().map((t) => [t.session_id, t.distinct_id]));
      truth.set(CRAFTED, SECRET.distinctId);
      expect(rows).toHaveLength(truth.size);
      for (const r of rows) expect(r.distinct_id).toBe(hash(truth.get(r.session_id)!));
      for (const id of truth.values()) expect(findAll(priv, id), id).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('strips query strings but the allowed parameter, and fragments, from every URL', async () => {
    const db = await duckdb();
    try {
      const [page] = await db.rows<{ url: string }>(
        `SELECT url FROM ${table(privateDir, 'pageviews')} WHERE session_id = '${CRAFTED}'`,
      );
      expect(page!.url).toBe('https://shop.example/account?page=2');
      const [session] = await db.rows<{ first_url: string; urls: string[] }>(
        `SELECT first_url, urls FROM ${table(privateDir, 'sessions')} WHERE session_id = '${CRAFTED}'`,
      );
      expect(session).toEqual({
        first_url: 'https://shop.example/account?page=2',
        urls: ['https://shop.example/account?page=2'],
      });
      const [request] = await db.rows<{ url: string }>(
        `SELECT url FROM ${table(privateDir, 'network_requests')} WHERE session_id = '${CRAFTED}'`,
      );
      expect(request!.url).toBe('https://api.example/v1/me?page=1');
    } finally {
      db.close();
    }
    // The sample's search pages carry ?q=…; no URL anywhere keeps a parameter other than page, nor a fragment.
    expect(findAll(plain, '?q=').length).toBeGreaterThan(0);
    for (const text of priv.values())
      for (const url of text.match(/https?:\/\/[^\s"'<>()\\]+/g) ?? []) expect(url).toMatch(/^[^?#]*(\?page=\d+)?$/);
    expect(findAll(priv, '?q=')).toEqual([]);
  });

  it('redacts credential headers and drops bodies', async () => {
    const db = await duckdb();
    try {
      const rows = await db.rows<{ req: string | null; res: string | null; rq: string | null; rs: string | null }>(
        `SELECT request_headers_json AS req, response_headers_json AS res, request_body AS rq, response_body AS rs
         FROM ${table(privateDir, 'network_requests')}`,
      );
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.every((r) => r.rq === null && r.rs === null)).toBe(true);
      const crafted = await db.rows<{ req: string; res: string }>(
        `SELECT request_headers_json AS req, response_headers_json AS res FROM ${table(privateDir, 'network_requests')}
         WHERE session_id = '${CRAFTED}'`,
      );
      expect(crafted.map((r) => [JSON.parse(r.req) as unknown, JSON.parse(r.res) as unknown])).toEqual([
        [
          { Authorization: 'redacted', 'Content-Type': 'application/json' },
          { 'Set-Cookie': 'redacted', 'content-type': 'application/json' },
        ],
      ]);
    } finally {
      db.close();
    }
    for (const [path, text] of priv) if (path.endsWith('.zst')) expect(text).not.toMatch(/"(request|response)Body"/);
  });

  it('masks inputs and text in every raw blob (team 2 drops inputs), keeping style text', async () => {
    const db = await duckdb();
    const rows = await db.rows<{ team_id: number; raw_blob_key: string }>(
      `SELECT team_id::INT AS team_id, raw_blob_key FROM ${table(privateDir, 'sessions')} WHERE raw_blob_key IS NOT NULL`,
    );
    db.close();
    let texts = 0;
    let inputs = 0;
    for (const row of rows) {
      const v = snapshotValues(readRawBlob(join(privateDir, row.raw_blob_key)));
      texts += v.texts.length;
      inputs += v.inputs.length;
      expect(v.texts.every(masked), row.raw_blob_key).toBe(true);
      if (row.team_id === 2)
        expect(
          [...v.inputs, ...v.values].every((s) => s === ''),
          row.raw_blob_key,
        ).toBe(true);
      else expect([...v.inputs, ...v.values].every(masked), row.raw_blob_key).toBe(true);
    }
    expect(texts).toBeGreaterThan(100);
    expect(inputs).toBeGreaterThan(0);
    const craftedKey = rows.find((r) => r.raw_blob_key.includes(CRAFTED))!.raw_blob_key;
    const crafted = readRawBlob(join(privateDir, craftedKey)).join('\n');
    expect(crafted).toContain('h1 { color: rebeccapurple; }');
    expect(crafted).toContain(JSON.stringify(maskText(SECRET.pageText)));
    expect(crafted).not.toContain('"cv"');
  });

  it('records the policy of each partition in its manifest, the key only as a fingerprint', () => {
    const manifests = [...priv]
      .filter(([path]) => path.endsWith('_manifest.json'))
      .map(
        ([, text]) =>
          JSON.parse(text) as {
            partition: { team_id: number };
            export: { privacy: PrivacyPolicy & { hash_key_id: string } };
          },
      );
    expect(manifests.length).toBeGreaterThanOrEqual(4);
    for (const m of manifests) {
      const { hash_key_id, ...policy } = m.export.privacy;
      expect(hash_key_id).toMatch(/^[0-9a-f]{12}$/);
      expect(policy).toEqual({
        inputs: m.partition.team_id === 2 ? 'drop' : 'mask',
        text: 'mask',
        urls: { query: 'strip', keepParams: ['page'], fragment: 'strip' },
        network: {
          headers: 'redact',
          redactHeaders: expect.arrayContaining(['authorization', 'cookie', 'set-cookie']) as string[],
          bodies: 'drop',
        },
        distinctId: 'hash',
      });
    }
  });

  it('keeps URL stripping, masking and hashing exact at the edges', () => {
    const r = new Redactor(
      {
        inputs: 'drop',
        text: 'keep',
        urls: { query: 'strip', keepParams: ['utm source'], fragment: 'keep' },
        network: { headers: 'keep', redactHeaders: [], bodies: 'keep' },
        distinctId: 'keep',
      },
      undefined,
    );
    expect(r.url('https://a.example/p?x=1&utm+source=m&y#frag')).toBe('https://a.example/p?utm+source=m#frag');
    expect(r.url('/relative?x=%ZZ')).toBe('/relative');
    expect(r.url('https://a.example/')).toBe('https://a.example/');
    expect(r.distinctId('same')).toBe('same');
    expect(maskText('ab c\nd')).toBe('** *\n*');
    expect(() => new Redactor({ ...r.policy, distinctId: 'hash' }, undefined)).toThrow(/hashKey is not set/);
  });

  it('replays the masked session in real Chromium, showing masked text and no secret', async () => {
    const child = spawn(BIN, ['play', CRAFTED, '--lake', pathToFileURL(privateDir).href]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('close', (code) => reject(new Error(`play exited ${code}: ${stderr}`)));
    });
    try {
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForSelector('#app[data-state]');
      expect(await page.getAttribute('#app', 'data-state')).toBe('ready');
      const body = page.frameLocator('.replayer-wrapper iframe').locator('body');
      await expect.poll(() => body.innerText(), { timeout: 15_000 }).toContain(maskText(SECRET.pageText));
      const html = await body.innerHTML();
      for (const secret of Object.values(SECRET)) expect(html).not.toContain(secret);
      expect(masked((await body.locator('input').getAttribute('value')) ?? '')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      child.kill('SIGINT');
    }
  });
});

/**
 * `replaylake play` in a real browser: Debian's headless Chromium driven by playwright-core plays sessions of a real
 * exported lake, served by the CLI on 127.0.0.1 and exported as one HTML file opened from disk with the network off.
 * Screenshots land in test-artifacts/viewer/.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionManifest } from '../../activities/lake-records';
import { openLakeStore, sha256 } from '../../activities/lake-store';
import { manifestKey } from '../../activities/lake-layout';
import { initZstd, zstdFrame } from '../../activities/zstd';
import type { SessionTruth } from '../../infra/sample/ground-truth';
import { PlayError, loadSession } from '../../client/play/load';
import { startPlayServer } from '../../client/play/server';
import { s3ClientConfig } from '../../activities/connections';
import { stackMinio } from '../support/export-env';
import { duckdb, readRawBlob, table } from '../support/lake';
import { freshBucket, stackS3 } from '../support/stack';
import type { ViewerLake } from './lake-fixture';
import { SAMPLE_DAY, buildViewerLake } from './lake-fixture';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const BIN = join(__dirname, '..', '..', 'bin', 'replaylake');
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'viewer');
/** expect.poll gives up after 1 s by default; a loaded CI machine needs longer to render a replay. */
const POLL = { timeout: 15_000 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `replaylake play` and resolves with the URL it prints; `stop()` sends Ctrl-C and returns the exit code. */
function serve(...args: string[]): Promise<{ url: string; stderr: () => string; stop: () => Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['play', ...args]);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(stdout)?.[1];
      if (url)
        resolve({
          url,
          stderr: () => stderr,
          stop: () => {
            child.kill('SIGINT');
            return exited;
          },
        });
    });
    void exited.then((code) => reject(new Error(`replaylake play exited ${code} before serving: ${stderr}`)));
  });
}

interface RrwebNode {
  type: number;
  tagName?: string;
  textContent?: string;
  childNodes?: RrwebNode[];
}

/** Visible text of the recorded page: the text nodes of the first full snapshot's <body>. */
function recordedTexts(lines: string[], windowId: string): string[] {
  const snapshot = lines
    .map((l) => JSON.parse(l) as [string, { type: number; data: { node?: RrwebNode } }])
    .find(([w, e]) => w === windowId && e.type === 2)?.[1].data.node;
  const out: string[] = [];
  const walk = (n: RrwebNode, inBody: boolean) => {
    if (n.type === 2 && (n.tagName === 'script' || n.tagName === 'style')) return;
    const body = inBody || n.tagName === 'body';
    if (body && n.type === 3 && n.textContent && n.textContent.trim().length >= 4) out.push(n.textContent.trim());
    for (const c of n.childNodes ?? []) walk(c, body);
  };
  if (snapshot) walk(snapshot, false);
  return out;
}

/** rrweb-player's own clock format (mm:ss). */
function playerTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

describe('replaylake play in headless Chromium', () => {
  let lake: ViewerLake;
  let browser: Browser;
  let web: SessionTruth;
  let mobile: SessionTruth;
  let webLines: string[];
  let sessionRow: Record<string, string | null>;
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install -y chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    [lake, browser] = await Promise.all([
      buildViewerLake('viewer'),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    web = lake.sessions.find((t) => t.window_ids.length === 3 && t.platform === 'web')!;
    mobile = lake.sessions.find((t) => t.platform === 'mobile' && t.note.startsWith('mobile'))!;
    webLines = readRawBlob(join(lake.dir, lake.blobKeys.get(web.session_id)!));
    const db = await duckdb();
    try {
      const rows = await db.rows<Record<string, string | null>>(
        `SELECT *, epoch_ms(start_time) AS start_ms FROM ${table(lake.dir, 'sessions')} WHERE session_id = '${web.session_id}'`,
      );
      sessionRow = rows[0]!;
    } finally {
      db.close();
    }
    server = await serve(web.session_id, '--lake', lake.uri);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await browser?.close();
  });

  async function openPage(url: string, context?: BrowserContext): Promise<{ page: Page; errors: string[] }> {
    const page = await (context ?? (await browser.newContext({ viewport: { width: 1400, height: 900 } }))).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#app[data-state]');
    return { page, errors };
  }

  /** The acceptance walk shared by the served page and the exported file. */
  async function playsTheSession(page: Page, screenshot: string): Promise<void> {
    expect(await page.getAttribute('#app', 'data-state')).toBe('ready');

    // One tab per recorded window.
    expect(await page.locator('[role=tab]').count()).toBe(3);

    // The replayed DOM inside the player's iframe holds the recorded page's text.
    const texts = recordedTexts(webLines, web.window_ids[0]!);
    expect(texts.length).toBeGreaterThan(0);
    const first = texts[0]!;
    await expect
      .poll(() => page.frameLocator('.replayer-wrapper iframe').locator('body').innerText(), POLL)
      .toContain(first);

    // The side panel shows the session's counts as the sessions table has them.
    const field = (name: string) => page.locator(`[data-field="${name}"]`).innerText();
    expect(await field('clicks')).toBe(String(sessionRow['click_count']));
    expect(await field('console-errors')).toBe(String(sessionRow['console_error_count']));
    expect(await field('windows')).toBe(String(sessionRow['window_count']));
    expect(await field('events')).toBe(String(sessionRow['event_count']));
    expect(await field('first-url')).toBe(sessionRow['first_url']);
    expect(Number(sessionRow['console_error_count'])).toBeGreaterThan(0);

    // Plays to the end at the fastest speed, skipping inactivity.
    await page.locator('.rr-controller__btns button', { hasText: /^32x$/ }).click();
    await page.locator('.rr-controller__btns button').first().click();
    await page.locator('body[data-playback="finished"]').waitFor({ timeout: 30_000 });
    // At 32x the clock may overshoot the total by a second or two; the stock progress bar stops at the end.
    expect(await page.locator('.rr-progress__step').getAttribute('style')).toMatch(/width: 100%/);

    // A console-error marker switches to its window and seeks the stock player there.
    const marker = page.locator('.timeline .marker[data-kind="console-error"]').first();
    const ts = Number(await marker.getAttribute('data-ts'));
    const windowId = (await marker.getAttribute('data-window-id'))!;
    const windowLines = webLines
      .map((l) => JSON.parse(l) as [string, { timestamp: number }])
      .filter(([w]) => w === windowId);
    const offset = ts - windowLines[0]![1].timestamp;
    await marker.click();
    await page.locator(`[role=tab][aria-selected=true][data-window-id="${windowId}"]`).waitFor();
    await expect.poll(() => page.locator('.rr-timeline__time').first().innerText(), POLL).toBe(playerTime(offset));
    // The page's timeline starts at the session's start or its first event, whichever is earlier.
    const firstEvent = (JSON.parse(webLines[0]!) as [string, { timestamp: number }])[1].timestamp;
    const t0 = Math.min(Number(sessionRow['start_ms']), firstEvent);
    await expect
      .poll(async () => Math.abs(Number(await page.getAttribute('#clock', 'data-session-ms')) - (ts - t0)), POLL)
      .toBeLessThan(1000);
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
  }

  it('serves the page on 127.0.0.1: plays to the end, panel counts, marker seeks', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const { page, errors } = await openPage(server.url);
    await playsTheSession(page, 'served.png');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('exports one self-contained HTML file that plays from disk with the network off', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replaylake-export-')), 'session.html');
    const res = await cli('play', web.session_id, '--lake', lake.uri, '--export', file);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(file);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    // The events are inline but compressed: the recorded page's text is not in the file as plain text.
    expect(html).not.toContain(JSON.stringify(recordedTexts(webLines, web.window_ids[0]!)[0]));

    const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    context.on('request', (r) => {
      if (r.frame() === r.frame().page().mainFrame()) requests.push(r.url());
    });
    await context.route(/^https?:/, (route) => route.abort());
    const { page, errors } = await openPage(pathToFileURL(file).href, context);
    await playsTheSession(page, 'exported.png');
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await context.close();
  });

  it('lists a mobile session’s screens and events instead of a broken player', async () => {
    const { page, errors } = await openPage(new URL(`/session/${mobile.session_id}`, server.url).href);
    expect(await page.getAttribute('#app', 'data-platform')).toBe('mobile');
    expect(await page.locator('.rr-player').count()).toBe(0);
    expect(await page.locator('.screens > li').count()).toBeGreaterThan(0);
    const blob = readRawBlob(join(lake.dir, lake.blobKeys.get(mobile.session_id)!));
    const firstText = /"type":"text","text":"([^"]+)"/.exec(blob.find((l) => l.includes('"wireframes"'))!)![1]!;
    expect(await page.locator('.screens').innerText()).toContain(firstText);
    await page.locator('.timeline .marker[data-kind="console-error"]').first().click();
    expect(await page.locator('.mobile-events li.current').innerText()).toContain('console.error');
    await page.screenshot({ path: join(ARTIFACTS, 'mobile.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('unknown session id: exit 1 and one line in the terminal, the message on the page', async () => {
    // A UUIDv7 of the sample day: the search reads that day's manifests and its neighbours'.
    const unknown = '01a18f9c-0000-7000-8000-000000000000';
    const res = await cli('play', unknown, '--lake', lake.uri);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      `replaylake: session ${unknown} is not in the lake ${lake.uri} (no committed partition of 2026-10-30 to 2026-11-01 lists it)`,
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'replaylake-export-')), 'nothing.html');
    expect((await cli('play', unknown, '--lake', lake.uri, '--export', file)).code).toBe(1);
    expect(existsSync(file)).toBe(false);

    const { page } = await openPage(new URL(`/session/${unknown}`, server.url).href);
    expect(await page.getAttribute('#app', 'data-state')).toBe('error');
    expect(await page.locator('[role=alert]').innerText()).toContain(`session ${unknown} is not in the lake`);
    expect(server.stderr()).toContain(`session ${unknown} is not in the lake`);
    await page.screenshot({ path: join(ARTIFACTS, 'unknown-session.png') });
    await page.context().close();
  });

  it('corrupt and missing blobs: a clear message in the terminal and on the page', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'replaylake-corrupt-lake-'));
    cpSync(lake.dir, copy, { recursive: true });
    const blobKey = lake.blobKeys.get(web.session_id)!;
    writeFileSync(join(copy, blobKey), 'not zstd, not rrweb');
    const missing = mobile;
    rmSync(join(copy, lake.blobKeys.get(missing.session_id)!));
    const uri = pathToFileURL(copy).href;

    const res = await cli('play', web.session_id, '--lake', uri);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toMatch(
      new RegExp(`^replaylake: raw blob file://${copy}/${blobKey} is corrupt: 19 bytes whose SHA-256 differs from `),
    );
    const gone = await cli('play', missing.session_id, '--lake', uri, '--export', join(copy, 'x.html'));
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toMatch(/^replaylake: raw blob file:\/\/\S+ is missing \(listed in _manifests\//);

    const logged: string[] = [];
    const other = lake.sessions.find((t) => t !== web && t !== missing)!;
    const store = openLakeStore(uri, undefined);
    const local = await startPlayServer({ store, sessionId: other.session_id, log: (l) => logged.push(l) });
    try {
      const { page } = await openPage(new URL(`/session/${web.session_id}`, local.url).href);
      expect(await page.locator('[role=alert]').innerText()).toContain(`raw blob file://${copy}/${blobKey} is corrupt`);
      await page.screenshot({ path: join(ARTIFACTS, 'corrupt-blob.png') });
      await page.context().close();
      expect(logged).toEqual([expect.stringContaining('is corrupt')]);
    } finally {
      await local.close();
    }

    // A blob that matches a (rewritten) manifest is still decoded with care.
    const manifestPath = join(copy, manifestKey({ dt: SAMPLE_DAY, teamId: other.team_id }));
    const playWith = async (body: Buffer): Promise<string> => {
      writeFileSync(join(copy, lake.blobKeys.get(other.session_id)!), body);
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PartitionManifest;
      const entry = manifest.raw.blobs.find((x) => x.session_id === other.session_id)!;
      Object.assign(entry, { sha256: sha256(body), bytes: body.byteLength });
      writeFileSync(manifestPath, JSON.stringify(manifest));
      return loadSession(store, other.session_id).then(
        () => 'played',
        (err: Error) => err.message,
      );
    };
    expect(await playWith(Buffer.from('garbage'))).toMatch(/ is corrupt: not a readable zstd stream$/);
    const lines = async (text: string) => {
      await initZstd();
      return Buffer.from(zstdFrame(Buffer.from(text)));
    };
    expect(await playWith(await lines('["w",{"type":4,"timestamp":1}]\nnot json\n'))).toMatch(
      / is corrupt: line 2 is not JSON$/,
    );
    expect(await playWith(await lines('{"type":4,"timestamp":1}\n'))).toMatch(
      / is corrupt: line 1 is not \[windowId, rrwebEvent\]$/,
    );
  });

  it('reads an S3 lake like a local one', async () => {
    const s3 = stackS3();
    const bucket = await freshBucket(s3, 'viewer-lake');
    try {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        );
      for (const path of walk(lake.dir))
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: `lake/${relative(lake.dir, path)}`, Body: readFileSync(path) }),
        );
      const remote = openLakeStore(`s3://${bucket}/lake`, s3ClientConfig(stackMinio()));
      const local = openLakeStore(lake.uri, undefined);
      for (const t of [web, mobile])
        expect(await loadSession(remote, t.session_id)).toEqual(await loadSession(local, t.session_id));
      await expect(loadSession(remote, 'nope')).rejects.toBeInstanceOf(PlayError);
      remote.close();

      // The CLI takes the S3 endpoint and credentials from the configuration (here the local stack's).
      const file = join(mkdtempSync(join(tmpdir(), 'replaylake-export-')), 'from-s3.html');
      const res = await cli('play', web.session_id, '--lake', `s3://${bucket}/lake`, '--export', file);
      expect(res.code, res.stderr).toBe(0);
      expect(existsSync(file)).toBe(true);
    } finally {
      s3.destroy();
    }
  });
});

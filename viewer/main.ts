/**
 * The replay page, in the browser: reads the session (fetched from the local server, or inline and gzip-compressed in
 * an exported file), plays each window with the stock rrweb-player, and draws the side panel and a timeline whose
 * markers seek the player. Mobile sessions hold wireframes the stock player cannot draw, so they are listed instead.
 *
 * Everything recorded (URLs, console messages, screen texts) reaches the DOM as text nodes, never as markup.
 */
import type { Marker, MarkerKind, PayloadError, PayloadWindow, RecordedEvent, ReplayPayload } from './payload';

/** The parts of the stock rrweb-player (its UMD build sets window.rrwebPlayer) this page uses. */
interface RrwebPlayer {
  goto(timeOffset: number, play?: boolean): void;
  addEventListener(event: string, handler: (detail: unknown) => void): void;
  getMetaData(): { totalTime: number };
  getReplayer(): { config: { speed: number } };
  triggerResize(): void;
  $set(props: { width: number; height: number }): void;
  $destroy(): void;
}

interface RrwebPlayerModule {
  Player: new (options: {
    target: HTMLElement;
    props: {
      events: RecordedEvent[];
      width: number;
      height: number;
      autoPlay: boolean;
      skipInactive: boolean;
      speed: number;
      speedOption: number[];
    };
  }) => RrwebPlayer;
}

declare global {
  interface Window {
    rrwebPlayer?: RrwebPlayerModule;
  }
}

/** Real sessions run for many minutes; fast speeds make a whole one watchable. */
const SPEEDS = [1, 2, 4, 8, 16, 32];
const MOBILE_LIST_LIMIT = 5000;
const LANES: Array<{ kind: MarkerKind; title: string }> = [
  { kind: 'pageview', title: 'Pageviews' },
  { kind: 'console-error', title: 'Console errors' },
  { kind: 'rage-click', title: 'Rage clicks' },
];
const KIND_NAMES: Record<MarkerKind, string> = {
  pageview: 'Pageview',
  'console-error': 'Console error',
  'rage-click': 'Rage click',
};
const INTERACTIONS = [
  'mouse up',
  'mouse down',
  'click',
  'context menu',
  'double click',
  'focus',
  'blur',
  'touch start',
  'touch move',
  'touch end',
  'touch cancel',
];

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(s % 60)}` : `${minutes}:${pad(s % 60)}`;
}

function duration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

function utc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function byId<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

async function loadPayload(): Promise<ReplayPayload> {
  const inline = byId<HTMLScriptElement>('replaylake-data');
  if (inline) {
    const binary = atob((inline.textContent ?? '').trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const json = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    return JSON.parse(json) as ReplayPayload;
  }
  const source = JSON.parse(byId('replaylake-source')?.textContent ?? '{}') as { url?: string };
  if (!source.url) throw new Error('this page holds no session');
  const res = await fetch(source.url);
  const body = (await res.json().catch(() => ({ error: `the server answered ${res.status}` }))) as
    ReplayPayload | PayloadError;
  if ('error' in body) throw new Error(body.error);
  return body;
}

/** What both stages (the player and the mobile list) offer the timeline. */
interface Stage {
  seek(atMs: number, windowId: string, kind?: MarkerKind): void;
}

type TimeListener = (atMs: number, windowIndex: number) => void;

function windowStart(w: PayloadWindow): number {
  return w.events[0]?.timestamp ?? 0;
}

/** One stock player at a time, for the selected window: each window has its own full snapshots and DOM. */
class PlayerStage implements Stage {
  private player: RrwebPlayer | undefined;
  private active = -1;
  private state = 'paused';
  /** Where the player last was, so switching windows keeps the moment. */
  private lastAt: number | undefined;
  readonly tabs: HTMLButtonElement[];

  constructor(
    private readonly windows: PayloadWindow[],
    private readonly host: HTMLElement,
    private readonly onTime: TimeListener,
    private readonly onState: (state: string) => void,
  ) {
    this.tabs = windows.map((w, i) => {
      const tab = h(
        'button',
        { type: 'button', role: 'tab', 'aria-selected': 'false', 'data-window-id': w.id },
        `Window ${i + 1}`,
        h('small', {}, ` ${w.id ? `…${w.id.slice(-6)}` : 'no id'} · ${w.events.length} events`),
      );
      tab.addEventListener('click', () => this.show(i, this.lastAt));
      return tab;
    });
    window.addEventListener('resize', () => {
      if (!this.player) return;
      this.player.$set(this.size());
      this.player.triggerResize();
    });
  }

  private size(): { width: number; height: number } {
    const width = Math.max(320, this.host.clientWidth);
    return { width, height: Math.max(280, Math.min(Math.round(width * 0.62), window.innerHeight - 330)) };
  }

  private setState(state: string): void {
    // rrweb-player may report 'paused' once playback has finished; the end stays the state until a play or a seek.
    if (this.state === 'finished' && state === 'paused') return;
    this.state = state;
    this.onState(state);
  }

  show(index: number, atMs?: number): void {
    const w = this.windows[index];
    if (!w) return;
    if (index !== this.active) {
      // A new window keeps the speed the viewer chose for the last one.
      const speed = this.player?.getReplayer().config.speed ?? 1;
      this.player?.$destroy();
      this.player = undefined;
      this.host.replaceChildren();
      this.active = index;
      this.state = 'paused';
      this.tabs.forEach((t, i) => t.setAttribute('aria-selected', String(i === index)));
      // rrweb's Replayer refuses fewer than two events and draws nothing before a full snapshot.
      if (w.events.length < 2 || !w.events.some((e) => e.type === 2)) {
        this.host.append(
          h('p', { class: 'notice' }, 'This window recorded no full page snapshot, so there is nothing to draw.'),
        );
        this.setState('empty');
        if (atMs !== undefined) this.onTime(atMs, index);
        return;
      }
      const module = window.rrwebPlayer;
      if (!module) throw new Error('the rrweb player script did not load');
      const player = new module.Player({
        target: this.host,
        props: { events: w.events, ...this.size(), autoPlay: false, skipInactive: true, speed, speedOption: SPEEDS },
      });
      const start = windowStart(w);
      player.addEventListener('ui-update-current-time', (detail) => {
        const offset = record(detail)['payload'];
        if (typeof offset !== 'number') return;
        this.lastAt = start + offset;
        this.onTime(start + offset, index);
      });
      player.addEventListener('ui-update-player-state', (detail) => {
        const state = record(detail)['payload'];
        if (typeof state === 'string') this.setState(state);
      });
      player.addEventListener('finish', () => this.setState('finished'));
      this.player = player;
      this.onState('paused');
    }
    if (atMs !== undefined && this.player) {
      const offset = Math.min(Math.max(atMs - windowStart(w), 0), this.player.getMetaData().totalTime);
      if (this.state === 'finished') {
        this.state = 'paused';
        this.onState('paused');
      }
      this.player.goto(offset);
    }
  }

  seek(atMs: number, windowId: string): void {
    const named = this.windows.findIndex((w) => w.id === windowId);
    const covering = this.windows.findIndex(
      (w) => atMs >= windowStart(w) && atMs <= (w.events[w.events.length - 1]?.timestamp ?? 0),
    );
    this.show(named >= 0 ? named : covering >= 0 ? covering : Math.max(this.active, 0), atMs);
  }
}

function describe(e: RecordedEvent): { kind: string; label: string } {
  const d = record(e.data);
  switch (e.type) {
    case 4:
      return { kind: 'screen', label: `screen ${text(d['href'])} (${text(d['width'])}×${text(d['height'])})` };
    case 2:
      return { kind: 'snapshot', label: `full snapshot: ${list(d['wireframes']).length} wireframes` };
    case 5:
      return { kind: 'custom', label: `event ${text(d['tag'])}` };
    case 3: {
      if (d['source'] === 0)
        return {
          kind: 'update',
          label: `screen update: +${list(d['adds']).length} ~${list(d['updates']).length} −${list(d['removes']).length}`,
        };
      if (d['source'] === 2) {
        const name = INTERACTIONS[numberOr(d['type'], -1)] ?? `interaction ${text(d['type'])}`;
        return {
          kind: 'touch',
          label: `${name} at ${Math.round(numberOr(d['x'], 0))}, ${Math.round(numberOr(d['y'], 0))}`,
        };
      }
      return { kind: 'incremental', label: `incremental (source ${text(d['source'])})` };
    }
    case 6: {
      const payload = record(d['payload']);
      if (d['plugin'] === 'rrweb/console@1') {
        const level = text(payload['level']);
        return {
          kind: level === 'error' || level === 'assert' ? 'console-error' : 'console',
          label: `console.${level}: ${list(payload['payload']).map(text).join(' ')}`,
        };
      }
      if (d['plugin'] === 'rrweb/network@1') {
        const requests = list(payload['requests']).map(record);
        const first = requests[0] ?? {};
        const more = requests.length > 1 ? ` (+${requests.length - 1} more)` : '';
        return {
          kind: 'network',
          label: `${text(first['method'] ?? 'GET')} ${text(first['name'])} ${text(first['responseStatus'] ?? '')}${more}`,
        };
      }
      return { kind: 'plugin', label: `plugin ${text(d['plugin'])}` };
    }
    default:
      return { kind: 'other', label: `event type ${e.type}` };
  }
}

/** A scaled-down drawing of one wireframe tree: boxes with their colours and texts, positioned as recorded. */
function drawWireframes(wireframes: unknown[], width: number, height: number): HTMLElement {
  const scale = 180 / Math.max(width, 1);
  const screen = h('div', { class: 'wireframe-screen' });
  screen.style.width = `${Math.round(width * scale)}px`;
  screen.style.height = `${Math.round(height * scale)}px`;
  const add = (items: unknown[]) => {
    for (const item of items.map(record)) {
      const style = record(item['style']);
      const box = h('div', { class: `wireframe wireframe-${text(item['type'] ?? 'div')}` });
      box.style.left = `${numberOr(item['x'], 0) * scale}px`;
      box.style.top = `${numberOr(item['y'], 0) * scale}px`;
      box.style.width = `${numberOr(item['width'], 0) * scale}px`;
      box.style.height = `${numberOr(item['height'], 0) * scale}px`;
      if (typeof style['backgroundColor'] === 'string') box.style.backgroundColor = style['backgroundColor'];
      if (typeof style['color'] === 'string') box.style.color = style['color'];
      if (typeof item['text'] === 'string') {
        box.style.fontSize = `${Math.max(6, numberOr(style['fontSize'], 14) * scale)}px`;
        box.append(item['text']);
      }
      screen.append(box);
      add(list(item['childWireframes']));
    }
  };
  add(wireframes);
  return screen;
}

function wireframeTexts(wireframes: unknown[]): string[] {
  return wireframes
    .map(record)
    .flatMap((w) => [
      ...(typeof w['text'] === 'string' ? [w['text']] : []),
      ...wireframeTexts(list(w['childWireframes'])),
    ]);
}

/** Mobile sessions: every screen (full snapshot) drawn small with its texts, then every event as a row. */
class MobileStage implements Stage {
  private readonly rows: Array<{ at: number; kind: string; row: HTMLElement }> = [];

  constructor(
    windows: PayloadWindow[],
    host: HTMLElement,
    t0: number,
    private readonly onTime: TimeListener,
  ) {
    const events = windows
      .flatMap((w, wi) => w.events.map((e) => ({ e, wi })))
      .sort((a, b) => a.e.timestamp - b.e.timestamp);
    const screens = h('ol', { class: 'screens' });
    let meta: Record<string, unknown> = {};
    for (const { e } of events) {
      if (e.type === 4) meta = record(e.data);
      const wireframes = list(record(e.data)['wireframes']);
      if (e.type !== 2 || wireframes.length === 0) continue;
      const width = numberOr(meta['width'], 400);
      const height = numberOr(meta['height'], 800);
      screens.append(
        h(
          'li',
          { class: 'screen' },
          drawWireframes(wireframes, width, height),
          h(
            'div',
            {},
            h('strong', {}, text(meta['href'] ?? 'screen')),
            h('div', { class: 'muted' }, `${clock(e.timestamp - t0)} · ${width}×${height}`),
            h('ul', { class: 'screen-texts' }, ...wireframeTexts(wireframes).map((t) => h('li', {}, t))),
          ),
        ),
      );
    }
    const table = h('ol', { class: 'mobile-events' });
    for (const { e, wi } of events.slice(0, MOBILE_LIST_LIMIT)) {
      const { kind, label } = describe(e);
      const row = h(
        'li',
        { 'data-kind': kind },
        h('time', {}, clock(e.timestamp - t0)),
        windows.length > 1 ? h('span', { class: 'muted' }, `W${wi + 1} `) : null,
        label,
      );
      this.rows.push({ at: e.timestamp, kind, row });
      table.append(row);
    }
    host.append(
      h(
        'div',
        { class: 'mobile' },
        h(
          'p',
          { class: 'notice', role: 'note' },
          'Mobile recording (wireframes): the stock rrweb player cannot render it, so its screens and events are listed instead.',
        ),
        h('h3', {}, 'Screens'),
        screens,
        h('h3', {}, 'Events'),
        table,
        events.length > MOBILE_LIST_LIMIT
          ? h('p', { class: 'muted' }, `First ${MOBILE_LIST_LIMIT} of ${events.length} events.`)
          : null,
      ),
    );
  }

  /** Highlights the event the marker stands for, or else the last one before that moment. */
  seek(atMs: number, _windowId: string, kind?: MarkerKind): void {
    const rowKind = kind === 'pageview' ? 'screen' : kind === 'rage-click' ? 'touch' : kind;
    const hit =
      this.rows.find((r) => r.at === atMs && r.kind === rowKind) ??
      this.rows.findLast((r) => r.at <= atMs) ??
      this.rows[0];
    for (const r of this.rows) r.row.classList.toggle('current', r === hit);
    hit?.row.scrollIntoView({ block: 'center' });
    this.onTime(atMs, 0);
  }
}

function panel(p: ReplayPayload): HTMLElement {
  const s = p.session;
  const field = (name: string, label: string, value: string) =>
    [h('dt', {}, label), h('dd', { 'data-field': name }, value)] as const;
  const count = (n: number | null) => (n === null ? '—' : String(n));
  return h(
    'dl',
    { class: 'facts' },
    ...field('start', 'Start', utc(s.startMs)),
    ...field('duration', 'Duration', duration(s.durationMs)),
    ...field('active', 'Active time', duration(s.activeMs)),
    ...field('clicks', 'Clicks', count(s.clickCount)),
    ...field('console-errors', 'Console errors', count(s.consoleErrorCount)),
    ...field('first-url', 'First URL', s.firstUrl ?? '—'),
    ...field('windows', 'Windows', String(s.windowCount)),
    ...field('events', 'Events', String(s.eventCount)),
    ...field('team', 'Team', String(s.teamId)),
    ...field('source', 'Source', `${s.snapshotSource ?? '—'} · ${s.generation}`),
  );
}

function render(app: HTMLElement, p: ReplayPayload): void {
  const lastTs = Math.max(...p.windows.map((w) => w.events[w.events.length - 1]?.timestamp ?? 0));
  const t0 = Math.min(p.session.startMs, ...p.windows.map(windowStart));
  const t1 = Math.max(p.session.endMs, lastTs, t0 + 1);
  const pct = (at: number) => `${(Math.min(Math.max((at - t0) / (t1 - t0), 0), 1) * 100).toFixed(3)}%`;

  const clockEl = h('output', { id: 'clock', 'aria-live': 'off' }, `0:00 / ${clock(t1 - t0)}`);
  const playhead = h('div', { class: 'playhead' });
  const onTime: TimeListener = (at, wi) => {
    clockEl.textContent = `${clock(at - t0)} / ${clock(t1 - t0)}${p.windows.length > 1 ? ` · window ${wi + 1}` : ''}`;
    clockEl.dataset['sessionMs'] = String(Math.round(at - t0));
    playhead.style.left = pct(at);
  };
  const onState = (state: string) => {
    document.body.dataset['playback'] = state;
  };

  const host = h('div', { class: 'stage-host' });
  const stage: Stage & { tabs?: HTMLButtonElement[] } =
    p.platform === 'mobile'
      ? new MobileStage(p.windows, host, t0, onTime)
      : new PlayerStage(p.windows, host, onTime, onState);

  const seekTo = (m: Marker) => stage.seek(m.timestampMs, m.windowId, m.kind);
  const windowOf = (m: Marker) => {
    const i = p.windows.findIndex((w) => w.id === m.windowId);
    return p.windows.length > 1 && i >= 0 ? ` (window ${i + 1})` : '';
  };
  const markerTitle = (m: Marker) => `${clock(m.timestampMs - t0)} · ${KIND_NAMES[m.kind]}${windowOf(m)}: ${m.label}`;
  const tracks = h('div', { class: 'tracks' });
  for (const lane of LANES) {
    const track = h('div', { class: 'track', 'data-kind': lane.kind });
    for (const m of p.markers.filter((x) => x.kind === lane.kind)) {
      const button = h('button', {
        type: 'button',
        class: 'marker',
        'data-kind': m.kind,
        'data-ts': String(m.timestampMs),
        'data-window-id': m.windowId,
        title: markerTitle(m),
        'aria-label': markerTitle(m),
      });
      button.style.left = pct(m.timestampMs);
      button.addEventListener('click', (ev) => {
        ev.stopPropagation();
        seekTo(m);
      });
      track.append(button);
    }
    tracks.append(track);
  }
  tracks.append(playhead);
  tracks.addEventListener('click', (ev) => {
    const box = tracks.getBoundingClientRect();
    stage.seek(t0 + ((ev.clientX - box.left) / box.width) * (t1 - t0), '');
  });
  const timeline = h(
    'section',
    { class: 'timeline', 'aria-label': 'Session timeline' },
    h('div', { class: 'lane-labels' }, ...LANES.map((l) => h('div', { 'data-kind': l.kind }, l.title))),
    tracks,
  );

  const markerList = h(
    'ol',
    { class: 'marker-list' },
    ...p.markers.map((m) => {
      const b = h(
        'button',
        { type: 'button', 'data-kind': m.kind },
        h('time', {}, clock(m.timestampMs - t0)),
        h('span', { class: 'kind' }, KIND_NAMES[m.kind]),
        h('span', { class: 'label' }, m.label),
      );
      b.addEventListener('click', () => seekTo(m));
      return h('li', {}, b);
    }),
  );

  app.className = '';
  app.dataset['state'] = 'ready';
  app.dataset['platform'] = p.platform;
  app.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, 'replaylake'),
      h('code', { class: 'session-id' }, p.session.sessionId),
      h('span', { class: `badge badge-${p.platform}` }, p.platform),
    ),
    h(
      'main',
      { class: 'layout' },
      h(
        'section',
        { class: 'stage' },
        stage.tabs ? h('div', { class: 'windows', role: 'tablist', 'aria-label': 'Windows' }, ...stage.tabs) : null,
        // The mobile list is long, so its timeline goes first; the player's own controls sit right above the timeline.
        p.platform === 'mobile' ? null : host,
        h('div', { class: 'timeline-head' }, h('h2', {}, 'Timeline'), clockEl),
        timeline,
        p.platform === 'mobile' ? host : null,
      ),
      h(
        'aside',
        { class: 'panel' },
        h('h2', {}, 'Session'),
        panel(p),
        h('h2', {}, `Markers (${p.markers.length})`),
        p.markers.length > 0 ? markerList : h('p', { class: 'muted' }, 'No pageviews, console errors or rage clicks.'),
      ),
    ),
  );
  if (stage instanceof PlayerStage) stage.show(0);
  onTime(t0, 0);
}

function showError(app: HTMLElement, message: string): void {
  app.className = '';
  app.dataset['state'] = 'error';
  app.replaceChildren(
    h('header', {}, h('h1', {}, 'replaylake')),
    h('div', { class: 'error', role: 'alert' }, h('h2', {}, 'This session cannot be played'), h('p', {}, message)),
  );
}

async function main(): Promise<void> {
  const app = byId('app');
  if (!app) return;
  try {
    render(app, await loadPayload());
  } catch (err) {
    showError(app, err instanceof Error ? err.message : String(err));
  }
}

void main();

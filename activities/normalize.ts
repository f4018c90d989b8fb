/**
 * One session's rrweb events → rows of the derived tables in lake-tables.ts, as a stream.
 *
 * Events arrive one at a time, deduplicated and in timestamp order, each with its `seq`. A little state per window
 * (current href and viewport, the open rage-click burst, the latest pageviews) is all that is kept, so memory does not
 * grow with the session's events. Rows leave through a sink in the order they were created, as soon as nothing can
 * change them any more: most at once; a Click when its burst can no longer become a rage click (another click broke
 * it, or a second passed); a pageview when the page after it has settled, because its time on page ends there. That
 * order is what keeps the output deterministic, and its one cost: pageview rows of other windows wait behind a window
 * whose last page is still open, so a session with several windows holds its later pageview rows (not its events)
 * until that window moves on or the session ends. The state is
 * plain data, so a batch can checkpoint a session mid-stream and continue it elsewhere.
 *
 * It reads only fields posthog-js never compresses, so `cv` events need no decoding here. Recordings are untrusted:
 * a field of the wrong type becomes null (or the row is skipped when nothing of it is usable), an unknown enum number
 * gets the name 'Unknown(N)', and nothing here throws for data.
 */
import { EventType, IncrementalSource, MouseInteractions, PointerTypes } from '@rrweb/types';
import { TEXT_CAP_CHARS } from './lake-tables';
import type { ColumnName, TableName } from './lake-tables';
import type { RrwebEvent } from './source/snapshot-events';

export interface NormalizeSession {
  sessionId: string;
  teamId: number;
}

export type Row = Record<string, string | number | boolean | null | string[]>;

type Value = Row[string];
type TableRow<T extends TableName> = Record<ColumnName<T>, Value>;

export type DerivedTable = 'events' | 'clicks' | 'pageviews' | 'console_logs' | 'network_requests' | 'custom_events';

export type RowSink = (table: DerivedTable, row: Row) => void;

/**
 * PostHog's click_count set: isClick in PostHog's
 * plugin-server/src/main/ingestion-queues/session-recording-v2/rrweb-types.ts.
 */
const CLICK_TYPES: ReadonlySet<number> = new Set([
  MouseInteractions.Click,
  MouseInteractions.ContextMenu,
  MouseInteractions.DblClick,
  MouseInteractions.TouchEnd,
]);

/** Sources whose payload is `{positions: [{x, y, id, timeOffset}]}`, oldest sample first. */
const POSITION_SOURCES: ReadonlySet<number> = new Set([
  IncrementalSource.MouseMove,
  IncrementalSource.TouchMove,
  IncrementalSource.Drag,
]);

/**
 * posthog-js's rage click (packages/browser/src/extensions/rageclick.ts, DEFAULT_THRESHOLD_PX / DEFAULT_TIMEOUT_MS /
 * DEFAULT_CLICK_COUNT, fed by autocapture with each click's clientX/clientY): a click extends the burst when it is
 * under 30 px (|dx| + |dy|) and under 1000 ms from the previous click, and the burst is a rage click once it holds 3.
 * The SDK fires once, on the third click; a row flag is more useful on every click of the burst, so all are marked.
 */
const RAGE_THRESHOLD_PX = 30;
const RAGE_TIMEOUT_MS = 1000;
const RAGE_CLICK_COUNT = 3;

/** A Meta and a $pageview/$url_changed for one page load land this close together (posthog-js adds the custom event). */
const PAGEVIEW_COLLAPSE_MS = 1000;

/**
 * PostHog's console level buckets (nodejs/src/session-recording/sessions/session-console-log-recorder.ts levelMapping):
 * every other level, and a missing or non-string one, counts as 'log'.
 */
const CONSOLE_BUCKETS: ReadonlyMap<unknown, 'warn' | 'error'> = new Map([
  ['warn', 'warn'],
  ['countReset', 'warn'],
  ['error', 'error'],
  ['assert', 'error'],
]);

const POINTER_TYPES: Readonly<Record<number, string>> = {
  [PointerTypes.Mouse]: 'mouse',
  [PointerTypes.Pen]: 'pen',
  [PointerTypes.Touch]: 'touch',
};

interface QueuedClick {
  row: TableRow<'clicks'>;
  ready: boolean;
}

interface RageBurst {
  x: number;
  y: number;
  timestamp: number;
  /** seq of Clicks waiting for the burst to reach RAGE_CLICK_COUNT; emptied once it has (or can no longer). */
  pending: number[];
  rage: boolean;
}

interface QueuedPageview {
  /** Creation order; unlike seq it never changes when a Meta is collapsed into the row. */
  id: number;
  windowId: string;
  timestamp: number;
  url: string;
  hasMeta: boolean;
  row: TableRow<'pageviews'>;
  ready: boolean;
}

interface WindowState {
  href: string | null;
  viewportWidth: number | null;
  viewportHeight: number | null;
  lastTimestamp: number;
  burst: RageBurst | null;
  /** The window's latest pageview (still open to a collapse and to its time on page), and the one before it. */
  lastPageview: number | null;
  prevPageview: number | null;
}

/** Everything the normaliser carries from one event to the next: plain JSON, for checkpoints. */
export interface NormalizerState {
  windows: Array<[string, WindowState]>;
  clicks: QueuedClick[];
  pageviews: QueuedPageview[];
  nextPageviewId: number;
  eventCount: number;
  rrwebBytes: number;
  startMs: number;
  endMs: number;
}

export interface NormalizedSummary {
  windowCount: number;
  eventCount: number;
  rrwebBytes: number;
  /** Floored min/max event timestamp; both 0 for a session without events. */
  startMs: number;
  endMs: number;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function int32(value: unknown): number | null {
  return Number.isInteger(value) && (value as number) >= -0x80000000 && (value as number) <= 0x7fffffff
    ? (value as number)
    : null;
}

function int64(value: unknown): number | null {
  return Number.isSafeInteger(value) ? (value as number) : null;
}

function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** Cuts at TEXT_CAP_CHARS without splitting a surrogate pair, which would turn into U+FFFD in UTF-8. */
function cap(s: string): string {
  if (s.length <= TEXT_CAP_CHARS) return s;
  const code = s.charCodeAt(TEXT_CAP_CHARS - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? TEXT_CAP_CHARS - 1 : TEXT_CAP_CHARS);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? cap(value) : null;
}

/** Recordings come from JSON.parse, but callers can hand over anything; a value that cannot be serialised is null. */
function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

/** Stops joining once past the cap: whatever follows would be cut off anyway, and a page can log thousands of items. */
function joinCapped(items: readonly unknown[], separator: string): { text: string; truncated: boolean } {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const part = typeof item === 'string' ? item : (toJson(item) ?? String(item));
    out += (i === 0 ? '' : separator) + part;
    if (out.length > TEXT_CAP_CHARS) return { text: cap(out), truncated: true };
  }
  return { text: out, truncated: false };
}

function nameOf(names: Readonly<Record<number, string | undefined>>, n: number): string {
  return (Number.isInteger(n) ? names[n] : undefined) ?? `Unknown(${n})`;
}

/** Hrefs are compared without the fragment: posthog-js's $url_changed drops it, Meta's location.href keeps it. */
function withoutFragment(href: string): string {
  const hash = href.indexOf('#');
  return hash === -1 ? href : href.slice(0, hash);
}

function pointerType(value: unknown): string | null {
  if (typeof value === 'number') return POINTER_TYPES[value] ?? null;
  // Some recorders write the DOM's PointerEvent.pointerType string instead of rrweb's number.
  return value === 'mouse' || value === 'pen' || value === 'touch' ? value : null;
}

export class SessionNormalizer {
  private readonly windows: Map<string, WindowState>;
  private readonly clicks: QueuedClick[];
  private readonly pageviews: QueuedPageview[];
  private nextPageviewId: number;
  private eventCount: number;
  private rrwebBytes: number;
  private startMs: number;
  private endMs: number;
  /** Windows whose burst has Clicks waiting, or whose previous pageview waits for the latest to settle. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly session: NormalizeSession,
    private readonly sink: RowSink,
    state?: NormalizerState,
  ) {
    this.windows = new Map(state?.windows ?? []);
    this.clicks = state?.clicks ?? [];
    this.pageviews = state?.pageviews ?? [];
    this.nextPageviewId = state?.nextPageviewId ?? 0;
    this.eventCount = state?.eventCount ?? 0;
    this.rrwebBytes = state?.rrwebBytes ?? 0;
    this.startMs = state?.startMs ?? Infinity;
    this.endMs = state?.endMs ?? -Infinity;
    for (const [id, w] of this.windows)
      if ((w.burst?.pending.length ?? 0) > 0 || w.prevPageview !== null) this.waiting.add(id);
  }

  state(): NormalizerState {
    return {
      windows: [...this.windows],
      clicks: this.clicks,
      pageviews: this.pageviews,
      nextPageviewId: this.nextPageviewId,
      eventCount: this.eventCount,
      rrwebBytes: this.rrwebBytes,
      startMs: this.startMs,
      endMs: this.endMs,
    };
  }

  /**
   * One event, with its 0-based position in the session's deduplicated timestamp order and the byte length of its
   * line in the raw blob. Events must come in timestamp order with finite timestamps (the readers guarantee both).
   */
  push(windowId: string, event: RrwebEvent, seq: number, bytes: number): void {
    const { sessionId: session_id, teamId: team_id } = this.session;
    const timestamp = Math.floor(event.timestamp);
    this.eventCount++;
    this.startMs = Math.min(this.startMs, timestamp);
    this.endMs = Math.max(this.endMs, timestamp);
    this.rrwebBytes += bytes;
    if (this.waiting.size > 0) this.settle(timestamp);

    let w = this.windows.get(windowId);
    if (w === undefined) {
      w = {
        href: null,
        viewportWidth: null,
        viewportHeight: null,
        lastTimestamp: timestamp,
        burst: null,
        lastPageview: null,
        prevPageview: null,
      };
      this.windows.set(windowId, w);
    }
    w.lastTimestamp = Math.max(w.lastTimestamp, timestamp);

    const window_id = windowId === '' ? null : windowId;
    const data = asRecord(event.data);
    // The enum casts only label numbers: unknown values stay as they are and match no comparison below.
    const type = int32(event.type) as EventType | null;
    // Row literals spell out the shared columns: spreading a shared base object and adding columns after it measured
    // two orders of magnitude slower in V8 (per-row map transitions and GC).
    const row: TableRow<'events'> = {
      session_id,
      team_id,
      window_id,
      seq,
      timestamp,
      type: type ?? -1,
      type_name: nameOf(EventType, event.type),
      source: null,
      source_name: null,
      interaction_type: null,
      interaction_name: null,
      x: null,
      y: null,
      node_id: null,
      tag: null,
      bytes,
    };
    // Sinks copy values out, so the events row goes once the branches below have filled it in.
    if (data !== null) this.derive(w, windowId, window_id, seq, timestamp, type, data, row);
    this.sink('events', row);
    this.release();
  }

  private derive(
    w: WindowState,
    windowId: string,
    window_id: string | null,
    seq: number,
    timestamp: number,
    type: EventType | null,
    data: Record<string, unknown>,
    row: TableRow<'events'>,
  ): void {
    const { sessionId: session_id, teamId: team_id } = this.session;
    if (type === EventType.IncrementalSnapshot) {
      const source = int32(data['source']) as IncrementalSource | null;
      if (source === null) return;
      row.source = source;
      row.source_name = nameOf(IncrementalSource, source);
      row.node_id = int64(data['id']);

      let x: number | null = null;
      let y: number | null = null;
      if (POSITION_SOURCES.has(source)) {
        const positions = data['positions'];
        const last = Array.isArray(positions) ? asRecord(positions[positions.length - 1]) : null;
        if (last !== null) {
          x = finite(last['x']);
          y = finite(last['y']);
          row.node_id = int64(last['id']);
        }
      } else if (source === IncrementalSource.Scroll || source === IncrementalSource.MouseInteraction) {
        x = finite(data['x']);
        y = finite(data['y']);
      } else if (source === IncrementalSource.ViewportResize) {
        w.viewportWidth = int32(data['width']) ?? w.viewportWidth;
        w.viewportHeight = int32(data['height']) ?? w.viewportHeight;
      }
      row.x = x;
      row.y = y;

      if (source !== IncrementalSource.MouseInteraction) return;
      const interaction = int32(data['type']) as MouseInteractions | null;
      if (interaction === null) return;
      row.interaction_type = interaction;
      row.interaction_name = nameOf(MouseInteractions, interaction);
      if (!CLICK_TYPES.has(interaction)) return;

      const click: QueuedClick = {
        row: {
          session_id,
          team_id,
          window_id,
          seq,
          timestamp,
          interaction_type: interaction,
          interaction_name: row.interaction_name,
          x,
          y,
          node_id: row.node_id,
          pointer_type: pointerType(data['pointerType']),
          url: w.href,
          is_rage_click: false,
        },
        ready: true,
      };
      this.clicks.push(click);
      if (interaction !== MouseInteractions.Click) return;
      if (x === null || y === null) {
        // posthog-js always has coordinates; a click without them cannot be placed in a burst.
        this.endBurst(w);
        w.burst = null;
        return;
      }
      const burst = w.burst;
      if (
        burst !== null &&
        Math.abs(x - burst.x) + Math.abs(y - burst.y) < RAGE_THRESHOLD_PX &&
        timestamp - burst.timestamp < RAGE_TIMEOUT_MS
      ) {
        burst.x = x;
        burst.y = y;
        burst.timestamp = timestamp;
        if (burst.rage) {
          click.row.is_rage_click = true;
        } else {
          click.ready = false;
          burst.pending.push(seq);
          this.waiting.add(windowId);
          if (burst.pending.length >= RAGE_CLICK_COUNT) {
            for (const c of this.pendingClicks(burst)) {
              c.row.is_rage_click = true;
              c.ready = true;
            }
            burst.pending = [];
            burst.rage = true;
          }
        }
      } else {
        this.endBurst(w);
        click.ready = false;
        w.burst = { x, y, timestamp, pending: [seq], rage: false };
        this.waiting.add(windowId);
      }
    } else if (type === EventType.Meta) {
      w.viewportWidth = int32(data['width']) ?? w.viewportWidth;
      w.viewportHeight = int32(data['height']) ?? w.viewportHeight;
      const href = typeof data['href'] === 'string' ? data['href'].trim() : '';
      if (href === '') return;
      w.href = cap(href);
      this.addPageview(w, windowId, seq, timestamp, href, 'meta');
    } else if (type === EventType.Custom) {
      const tag = data['tag'];
      row.tag = text(tag);
      this.sink('custom_events', {
        session_id,
        team_id,
        window_id,
        seq,
        timestamp,
        tag: row.tag,
        payload_json: toJson(data['payload']),
      });
      if (tag !== '$pageview' && tag !== '$url_changed') return;
      const payloadHref = asRecord(data['payload'])?.['href'];
      const href = typeof payloadHref === 'string' ? payloadHref.trim() : '';
      if (href === '') return;
      w.href = cap(href);
      this.addPageview(w, windowId, seq, timestamp, href, tag);
    } else if (type === EventType.Plugin) {
      const plugin = data['plugin'];
      row.tag = text(plugin);
      const payload = asRecord(data['payload']);
      if (plugin === 'rrweb/console@1') {
        // Even a payload-less console event is a row: PostHog counts it (as 'log'), and the counts should match.
        const items = payload?.['payload'];
        const frames = payload?.['trace'];
        const message = Array.isArray(items) ? joinCapped(items, ' ') : { text: '', truncated: false };
        const trace = Array.isArray(frames) ? joinCapped(frames, '\n') : null;
        this.sink('console_logs', {
          session_id,
          team_id,
          window_id,
          seq,
          timestamp,
          level: text(payload?.['level']),
          level_bucket: CONSOLE_BUCKETS.get(payload?.['level']) ?? 'log',
          message: message.text,
          trace: trace?.text ?? null,
          truncated: message.truncated || (trace?.truncated ?? false),
          url: w.href,
        });
      } else if (plugin === 'rrweb/network@1') {
        const requests = payload?.['requests'];
        if (!Array.isArray(requests)) return;
        const batchInitial = bool(payload?.['isInitial']);
        for (let i = 0; i < requests.length; i++) {
          const req = asRecord(requests[i]);
          if (req === null) continue;
          const requestBody = networkBody(req['requestBody']);
          const responseBody = networkBody(req['responseBody']);
          const requestTimestamp = finite(req['timestamp']);
          this.sink('network_requests', {
            session_id,
            team_id,
            window_id,
            seq,
            request_index: i,
            timestamp,
            request_timestamp: requestTimestamp === null ? null : Math.floor(requestTimestamp),
            url: text(req['name']),
            method: text(req['method']),
            status: int32(req['status']) ?? int32(req['responseStatus']),
            initiator_type: text(req['initiatorType']),
            entry_type: text(req['entryType']),
            start_time_ms: finite(req['startTime']),
            end_time_ms: finite(req['endTime']),
            duration_ms: finite(req['duration']),
            request_start_ms: finite(req['requestStart']),
            response_start_ms: finite(req['responseStart']),
            transfer_size: int64(req['transferSize']),
            encoded_body_size: int64(req['encodedBodySize']),
            decoded_body_size: int64(req['decodedBodySize']),
            next_hop_protocol: text(req['nextHopProtocol']),
            content_type: text(req['contentType']),
            is_initial: bool(req['isInitial']) ?? batchInitial,
            request_headers_json: headersJson(req['requestHeaders']),
            response_headers_json: headersJson(req['responseHeaders']),
            request_body: requestBody.text,
            response_body: responseBody.text,
            body_truncated: requestBody.truncated || responseBody.truncated,
          });
        }
      }
    }
  }

  /** Flushes everything still waiting and returns the session's totals; the normaliser is done after this. */
  finish(): NormalizedSummary {
    for (const w of this.windows.values()) {
      this.endBurst(w);
      const last = this.pageview(w.lastPageview);
      this.closePrevious(w);
      if (last !== undefined) {
        last.row.time_on_page_ms = Math.max(0, w.lastTimestamp - last.timestamp);
        last.ready = true;
        w.lastPageview = null;
      }
    }
    this.waiting.clear();
    this.release();
    const empty = this.eventCount === 0;
    return {
      windowCount: this.windows.size,
      eventCount: this.eventCount,
      rrwebBytes: this.rrwebBytes,
      startMs: empty ? 0 : this.startMs,
      endMs: empty ? 0 : this.endMs,
    };
  }

  private pendingClicks(burst: RageBurst): QueuedClick[] {
    const wanted = new Set(burst.pending);
    return this.clicks.filter((c) => wanted.has(c.row.seq as number));
  }

  /** A burst that can grow no further: its waiting Clicks are plain clicks. */
  private endBurst(w: WindowState): void {
    if (w.burst === null || w.burst.pending.length === 0) return;
    for (const c of this.pendingClicks(w.burst)) c.ready = true;
    w.burst.pending = [];
  }

  /** Time has moved on to `timestamp`: bursts and pageviews that nothing can change any more are released. */
  private settle(timestamp: number): void {
    for (const id of [...this.waiting]) {
      const w = this.windows.get(id);
      if (w === undefined) continue;
      if (w.burst !== null && w.burst.pending.length > 0 && timestamp - w.burst.timestamp >= RAGE_TIMEOUT_MS)
        this.endBurst(w);
      const last = this.pageview(w.lastPageview);
      if (last !== undefined && w.prevPageview !== null && timestamp - last.timestamp > PAGEVIEW_COLLAPSE_MS)
        this.closePrevious(w);
      if ((w.burst?.pending.length ?? 0) === 0 && w.prevPageview === null) this.waiting.delete(id);
    }
  }

  /** Ids are consecutive and rows leave only from the head, so a queued pageview sits at its id's offset. */
  private pageview(id: number | null): QueuedPageview | undefined {
    const head = this.pageviews[0];
    return id === null || head === undefined ? undefined : this.pageviews[id - head.id];
  }

  /** The previous pageview's page ends where the latest begins, which can no longer move. */
  private closePrevious(w: WindowState): void {
    const prev = this.pageview(w.prevPageview);
    const last = this.pageview(w.lastPageview);
    if (prev === undefined) return;
    prev.row.time_on_page_ms = Math.max(0, (last?.timestamp ?? w.lastTimestamp) - prev.timestamp);
    prev.ready = true;
    w.prevPageview = null;
  }

  private addPageview(
    w: WindowState,
    windowId: string,
    seq: number,
    timestamp: number,
    href: string,
    trigger: 'meta' | '$pageview' | '$url_changed',
  ): void {
    const prev = this.pageview(w.lastPageview);
    const url = cap(href);
    if (
      prev !== undefined &&
      withoutFragment(prev.url) === withoutFragment(url) &&
      Math.abs(timestamp - prev.timestamp) <= PAGEVIEW_COLLAPSE_MS
    ) {
      if (trigger !== 'meta' && prev.hasMeta) return;
      if (trigger === 'meta' && !prev.hasMeta) {
        // The custom event came first; the row becomes the Meta's, which carries the viewport and the full href.
        Object.assign(prev.row, {
          seq,
          timestamp,
          url,
          trigger,
          viewport_width: w.viewportWidth,
          viewport_height: w.viewportHeight,
        });
        Object.assign(prev, { timestamp, url, hasMeta: true });
        return;
      }
    }
    const { sessionId: session_id, teamId: team_id } = this.session;
    const row: TableRow<'pageviews'> = {
      session_id,
      team_id,
      window_id: windowId === '' ? null : windowId,
      seq,
      timestamp,
      url,
      trigger,
      same_url_as_previous: prev !== undefined && prev.url === url,
      viewport_width: w.viewportWidth,
      viewport_height: w.viewportHeight,
      time_on_page_ms: 0,
    };
    // The page before the previous one has settled: its successor can no longer change.
    this.closePrevious(w);
    w.prevPageview = w.lastPageview;
    const id = this.nextPageviewId++;
    this.pageviews.push({ id, windowId, timestamp, url, hasMeta: trigger === 'meta', row, ready: false });
    w.lastPageview = id;
    if (w.prevPageview !== null) this.waiting.add(windowId);
  }

  /** Sends rows whose turn has come: each table's waiting rows leave in creation order, once ready. */
  private release(): void {
    let n = 0;
    while (n < this.clicks.length && this.clicks[n]!.ready) this.sink('clicks', this.clicks[n++]!.row);
    if (n > 0) this.clicks.splice(0, n);
    n = 0;
    while (n < this.pageviews.length && this.pageviews[n]!.ready) this.sink('pageviews', this.pageviews[n++]!.row);
    if (n > 0) this.pageviews.splice(0, n);
  }
}

export interface NormalizedEvent {
  windowId: string;
  /** May still carry cv-compressed string fields; never decoded here. */
  event: RrwebEvent;
  /** UTF-8 byte length of the event's line in the raw blob. */
  bytes: number;
}

export type SessionRows = Record<DerivedTable, Row[]> & NormalizedSummary;

/** An empty list of rows for each derived table. */
export function emptyRows(): Record<DerivedTable, Row[]> {
  return { events: [], clicks: [], pageviews: [], console_logs: [], network_requests: [], custom_events: [] };
}

/**
 * A whole session at once, for callers that hold it in memory anyway. `events` must be deduplicated and sorted by
 * timestamp; `seq` is the index into the array.
 */
export function normalizeSession(session: NormalizeSession, events: readonly NormalizedEvent[]): SessionRows {
  const rows = emptyRows();
  const normalizer = new SessionNormalizer(session, (table, row) => rows[table].push(row));
  events.forEach((e, seq) => normalizer.push(e.windowId, e.event, seq, e.bytes));
  return { ...rows, ...normalizer.finish() };
}

function networkBody(value: unknown): { text: string | null; truncated: boolean } {
  if (value === null || value === undefined) return { text: null, truncated: false };
  const s = typeof value === 'string' ? value : toJson(value);
  if (s === null) return { text: null, truncated: false };
  const capped = cap(s);
  return { text: capped, truncated: capped.length < s.length };
}

function headersJson(value: unknown): string | null {
  const headers = asRecord(value);
  return headers === null ? null : toJson(headers);
}

/**
 * One session's rrweb events → rows of the derived tables in lake-tables.ts.
 *
 * Pure and synchronous, so it can run in a worker thread: a single pass over the session's deduplicated,
 * timestamp-ordered events with a little state per window (current href and viewport, the open rage-click burst, the
 * latest pageview). It reads only fields posthog-js never compresses, so `cv` events need no decoding here — decoding
 * is most of the parse cost on real data (anchors.md §4(e)).
 *
 * Recordings are untrusted: a field of the wrong type becomes null (or the row is skipped when nothing of it is
 * usable), an unknown enum number gets the name 'Unknown(N)', and nothing here throws for data.
 */
import { EventType, IncrementalSource, MouseInteractions, PointerTypes } from '@rrweb/types';
import { TEXT_CAP_CHARS } from './lake-tables';
import type { ColumnName, TableName } from './lake-tables';
import type { RrwebEvent } from './source/snapshot-events';

export interface NormalizeSession {
  sessionId: string;
  teamId: number;
}

export interface NormalizedEvent {
  windowId: string;
  /** May still carry cv-compressed string fields; never decoded here. */
  event: RrwebEvent;
  /** UTF-8 byte length of the event's line in the raw blob. */
  bytes: number;
}

export type Row = Record<string, string | number | boolean | null | string[]>;

type Value = Row[string];
type TableRow<T extends TableName> = Record<ColumnName<T>, Value>;

export interface SessionRows {
  events: Row[];
  clicks: Row[];
  pageviews: Row[];
  console_logs: Row[];
  network_requests: Row[];
  custom_events: Row[];
  windowCount: number;
  eventCount: number;
  rrwebBytes: number;
  /** Floored min/max event timestamp; both 0 for a session without events. */
  startMs: number;
  endMs: number;
}

/** PostHog's click_count set (session-recording ingestion, §5 of posthog-replay-storage.md). */
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

interface RageBurst {
  x: number;
  y: number;
  timestamp: number;
  /** Clicks waiting for the burst to reach RAGE_CLICK_COUNT; emptied once it has, as later ones are marked on arrival. */
  pending: TableRow<'clicks'>[];
  rage: boolean;
}

interface Pageview {
  windowId: string;
  timestamp: number;
  url: string;
  hasMeta: boolean;
  row: TableRow<'pageviews'>;
}

interface WindowState {
  href: string | null;
  viewportWidth: number | null;
  viewportHeight: number | null;
  lastTimestamp: number;
  burst: RageBurst | null;
  pageview: Pageview | null;
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

/**
 * Normalises one session. `events` must be deduplicated and sorted by timestamp (the readers' dedupeAndSort), with
 * finite timestamps (the readers reject lines without one); `seq` is the index into this array.
 */
export function normalizeSession(session: NormalizeSession, events: readonly NormalizedEvent[]): SessionRows {
  const out: SessionRows = {
    events: [],
    clicks: [],
    pageviews: [],
    console_logs: [],
    network_requests: [],
    custom_events: [],
    windowCount: 0,
    eventCount: events.length,
    rrwebBytes: 0,
    startMs: 0,
    endMs: 0,
  };
  const { sessionId: session_id, teamId: team_id } = session;
  const windows = new Map<string, WindowState>();
  const pageviews: Pageview[] = [];
  let startMs = Infinity;
  let endMs = -Infinity;

  const addPageview = (
    w: WindowState,
    windowId: string,
    seq: number,
    timestamp: number,
    href: string,
    trigger: 'meta' | '$pageview' | '$url_changed',
  ): void => {
    const prev = w.pageview;
    const url = cap(href);
    if (
      prev !== null &&
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
    const row: TableRow<'pageviews'> = {
      session_id,
      team_id,
      window_id: windowId === '' ? null : windowId,
      seq,
      timestamp,
      url,
      trigger,
      same_url_as_previous: prev !== null && prev.url === url,
      viewport_width: w.viewportWidth,
      viewport_height: w.viewportHeight,
      time_on_page_ms: 0,
    };
    const pageview: Pageview = { windowId, timestamp, url, hasMeta: trigger === 'meta', row };
    w.pageview = pageview;
    pageviews.push(pageview);
    out.pageviews.push(row);
  };

  for (let seq = 0; seq < events.length; seq++) {
    const item = events[seq];
    if (item === undefined) continue;
    const { windowId, event } = item;
    const timestamp = Math.floor(event.timestamp);
    startMs = Math.min(startMs, timestamp);
    endMs = Math.max(endMs, timestamp);
    out.rrwebBytes += item.bytes;

    let w = windows.get(windowId);
    if (w === undefined) {
      w = {
        href: null,
        viewportWidth: null,
        viewportHeight: null,
        lastTimestamp: timestamp,
        burst: null,
        pageview: null,
      };
      windows.set(windowId, w);
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
      bytes: item.bytes,
    };
    out.events.push(row);
    if (data === null) continue;

    if (type === EventType.IncrementalSnapshot) {
      const source = int32(data['source']) as IncrementalSource | null;
      if (source === null) continue;
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

      if (source !== IncrementalSource.MouseInteraction) continue;
      const interaction = int32(data['type']) as MouseInteractions | null;
      if (interaction === null) continue;
      row.interaction_type = interaction;
      row.interaction_name = nameOf(MouseInteractions, interaction);
      if (!CLICK_TYPES.has(interaction)) continue;

      const click: TableRow<'clicks'> = {
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
      };
      out.clicks.push(click);
      if (interaction !== MouseInteractions.Click) continue;
      if (x === null || y === null) {
        // posthog-js always has coordinates; a click without them cannot be placed in a burst.
        w.burst = null;
        continue;
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
          click.is_rage_click = true;
        } else {
          burst.pending.push(click);
          if (burst.pending.length >= RAGE_CLICK_COUNT) {
            for (const r of burst.pending) r.is_rage_click = true;
            burst.pending = [];
            burst.rage = true;
          }
        }
      } else {
        w.burst = { x, y, timestamp, pending: [click], rage: false };
      }
    } else if (type === EventType.Meta) {
      w.viewportWidth = int32(data['width']) ?? w.viewportWidth;
      w.viewportHeight = int32(data['height']) ?? w.viewportHeight;
      const href = typeof data['href'] === 'string' ? data['href'].trim() : '';
      if (href === '') continue;
      w.href = cap(href);
      addPageview(w, windowId, seq, timestamp, href, 'meta');
    } else if (type === EventType.Custom) {
      const tag = data['tag'];
      row.tag = text(tag);
      out.custom_events.push({
        session_id,
        team_id,
        window_id,
        seq,
        timestamp,
        tag: row.tag,
        payload_json: toJson(data['payload']),
      });
      if (tag !== '$pageview' && tag !== '$url_changed') continue;
      const payloadHref = asRecord(data['payload'])?.['href'];
      const href = typeof payloadHref === 'string' ? payloadHref.trim() : '';
      if (href === '') continue;
      w.href = cap(href);
      addPageview(w, windowId, seq, timestamp, href, tag);
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
        out.console_logs.push({
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
        if (!Array.isArray(requests)) continue;
        const batchInitial = bool(payload?.['isInitial']);
        for (let i = 0; i < requests.length; i++) {
          const req = asRecord(requests[i]);
          if (req === null) continue;
          const requestBody = networkBody(req['requestBody']);
          const responseBody = networkBody(req['responseBody']);
          const requestTimestamp = finite(req['timestamp']);
          out.network_requests.push({
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

  // Time on page needs the next pageview, which only a later event reveals (and a collapse can still move).
  const following = new Map<string, Pageview>();
  for (let i = pageviews.length - 1; i >= 0; i--) {
    const pv = pageviews[i];
    if (pv === undefined) continue;
    const next = following.get(pv.windowId);
    const end = next?.timestamp ?? windows.get(pv.windowId)?.lastTimestamp ?? pv.timestamp;
    pv.row.time_on_page_ms = Math.max(0, end - pv.timestamp);
    following.set(pv.windowId, pv);
  }

  out.windowCount = windows.size;
  if (events.length > 0) {
    out.startMs = startMs;
    out.endMs = endMs;
  }
  return out;
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

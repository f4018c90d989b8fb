/**
 * The ground truth a sample promises: per session, the events a correct reader must recover (after PostHog's
 * dedupe) and what PostHog's own listing query should report. Later tests assert exporters against it.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { GeneratedEvent } from './session-content';

export interface SessionTruth {
  session_id: string;
  team_id: number;
  distinct_id: string;
  generation: string;
  platform: 'web' | 'mobile';
  note: string;
  window_ids: string[];
  start_ms: number;
  end_ms: number;
  deleted: boolean;
  live: boolean;
  retention_period_days: number;
  /** Counts over the deduplicated events. */
  events: EventCounts;
  /** sha256 over the sorted canonical lines of the deduplicated, cv-decoded events: order-independent. */
  events_digest: string;
  /** Storage facts: how the session was written. */
  storage: { blocks: number; duplicate_blocks: number; files: number; rows: number; raw_events_written: number };
  /** What PostHog's listing query returns for the session (null for legacy sessions, which have no such rows). */
  posthog: PostHogListing | null;
}

export interface EventCounts {
  total: number;
  by_type: Record<string, number>;
  by_source: Record<string, number>;
  mouse_interactions: Record<string, number>;
  /** PostHog's click definition: MouseInteraction Click, ContextMenu, DblClick, TouchEnd. */
  clicks: number;
  console_by_level: Record<string, number>;
  network_requests: number;
  custom_tags: Record<string, number>;
  plugins: Record<string, number>;
  meta_hrefs: number;
  cv_compressed: number;
}

export interface PostHogListing {
  start_time: string;
  end_time: string;
  first_url: string | null;
  click_count: number;
  keypress_count: number;
  mouse_activity_count: number;
  active_milliseconds: number;
  console_log_count: number;
  console_warn_count: number;
  console_error_count: number;
  size: number;
  event_count: number;
  message_count: number;
  block_count: number;
  is_deleted: number;
  retention_period_days: number;
}

const CLICK_TYPES = new Set([2, 3, 4, 9]);

interface LooseEvent {
  type: number;
  timestamp: number;
  delay?: unknown;
  cv?: unknown;
  data?: unknown;
}

function record(obj: unknown): Record<string, unknown> {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>) : {};
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** The key PostHog's player dedupes on: the event's JSON without `delay`. */
export function dedupeKey(windowId: string, event: LooseEvent): string {
  const { delay: _delay, ...rest } = event;
  return JSON.stringify([windowId, rest]);
}

/**
 * The unit the digest is taken over: the event without `delay` and `cv`, its top-level keys sorted (the v2 parser
 * moves `timestamp` first; nothing reorders deeper keys), and cv payloads decoded. Decoded payloads are spliced in as
 * the text posthog-js compressed, which is exactly what `JSON.stringify` of the parsed payload gives back, so the big
 * DOM payloads are never parsed here.
 */
export function canonicalLine(windowId: string, event: LooseEvent): string {
  const { delay: _delay, cv, ...rest } = event;
  const texts: string[] = [];
  const mark = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    texts.push(gunzipSync(Buffer.from(value, 'latin1')).toString('utf8'));
    return `\u0000cv${texts.length - 1}\u0000`;
  };
  let data = rest.data;
  if (cv === '2024-10') {
    const d = record(data);
    if (rest.type === 2) data = mark(data);
    else if (rest.type === 3 && (d['source'] === 0 || d['source'] === 8)) {
      const fields = d['source'] === 0 ? ['texts', 'attributes', 'removes', 'adds'] : ['adds', 'removes'];
      data = { ...d };
      for (const f of fields) if (f in d) (data as Record<string, unknown>)[f] = mark(d[f]);
    }
  }
  const top = Object.fromEntries(Object.entries({ ...rest, data }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify([windowId, top]).replace(
    /"\\u0000cv(\d+)\\u0000"/g,
    (_m, i: string) => texts[Number(i)] ?? 'null',
  );
}

export function digestLines(lines: Iterable<string>): string {
  const sorted = [...lines].sort();
  const hash = createHash('sha256');
  for (const line of sorted) hash.update(line).update('\n');
  return hash.digest('hex');
}

/** PostHog-style dedupe of what was generated, then counts and digest. */
export function truthOfEvents(events: readonly GeneratedEvent[]): { counts: EventCounts; digest: string } {
  const seen = new Set<string>();
  const lines: string[] = [];
  const counts: EventCounts = {
    total: 0,
    by_type: {},
    by_source: {},
    mouse_interactions: {},
    clicks: 0,
    console_by_level: {},
    network_requests: 0,
    custom_tags: {},
    plugins: {},
    meta_hrefs: 0,
    cv_compressed: 0,
  };
  for (const { windowId, event } of events) {
    const e = event as LooseEvent;
    const key = dedupeKey(windowId, e);
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(canonicalLine(windowId, e));
    counts.total++;
    bump(counts.by_type, String(e.type));
    if (e.cv !== undefined) counts.cv_compressed++;
    const data = record(e.data);
    if (e.type === 3) {
      bump(counts.by_source, String(data['source']));
      if (data['source'] === 2) {
        bump(counts.mouse_interactions, String(data['type']));
        if (CLICK_TYPES.has(Number(data['type']))) counts.clicks++;
      }
    } else if (e.type === 4) {
      if (typeof data['href'] === 'string') counts.meta_hrefs++;
    } else if (e.type === 5) {
      bump(counts.custom_tags, String(data['tag']));
    } else if (e.type === 6) {
      const plugin = String(data['plugin']);
      bump(counts.plugins, plugin);
      const payload = record(data['payload']);
      if (plugin === 'rrweb/console@1') bump(counts.console_by_level, String(payload['level']));
      if (plugin === 'rrweb/network@1' && Array.isArray(payload['requests']))
        counts.network_requests += payload['requests'].length;
    }
  }
  return { counts, digest: digestLines(lines) };
}

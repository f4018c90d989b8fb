/**
 * A port of how PostHog's replay ingestion computes the metadata of one `session_replay_events` row, so the sample
 * generator writes the rows PostHog would have written and the exporter can re-derive them from blob events.
 *
 * Ported from PostHog/posthog (read 2025–2026 versions; the two trees are identical for these rules):
 * - nodejs/src/session-recording/sessions/snappy-session-recorder.ts
 *   (= nodejs/src/session-replay/recording-ingestion/sessions/snappy-session-recorder.ts): lines, size, urls, counts
 * - nodejs/src/session-recording/segmentation.ts: active milliseconds
 * - nodejs/src/session-recording/sessions/session-console-log-recorder.ts: console buckets
 * - nodejs/src/session-recording/rrweb-types.ts (seen in forks; same predicates as
 *   plugin-server/src/main/ingestion-queues/session-recording-v2/rrweb-types.ts): isClick, isKeypress, isMouseActivity,
 *   hrefFrom
 * - nodejs/src/session-recording/kafka/message-parser.ts + kafka/types.ts (SnapshotEventSchema): which events survive
 * - nodejs/src/session-recording/constants.ts, sessions/retention-aware-batch-writer.ts,
 *   sessions/s3-session-batch-writer.ts: keys, block URLs, retention days
 * - nodejs/src/utils/utils.ts castTimestampOrNow(…, TimestampFormat.ClickHouse): row timestamps
 * - v1: plugin-server/src/main/ingestion-queues/session-recording/process-event.ts (createSessionReplayEvent) and
 *   …/session-recording/snapshot-segmenter.ts
 */

export interface BlockEvent {
  windowId: string;
  event: { type: number; timestamp: number; data?: unknown };
}

export interface BlockMetrics {
  /** Epoch ms, possibly fractional; format with clickHouseTimestamp() for the Kafka row. */
  firstTimestamp: number;
  lastTimestamp: number;
  firstUrl: string | null;
  urls: string[];
  clickCount: number;
  keypressCount: number;
  mouseActivityCount: number;
  activeMilliseconds: number;
  consoleLogCount: number;
  consoleWarnCount: number;
  consoleErrorCount: number;
  /** Uncompressed bytes of the block's JSONL, every line's '\n' included. */
  size: number;
  eventCount: number;
  messageCount: number;
}

export interface BlockMetricsOptions {
  /** posthog_team.capture_console_log_opt_in: v2 leaves all three console counts at 0 when it is off. */
  consoleLogIngestionEnabled: boolean;
  /** Kafka messages that fed the block; PostHog adds 1 per recordMessage() call. */
  messageCount: number;
  /**
   * The exact lines written to the block, one per event, if the caller already serialised them; otherwise each is
   * serializeBlockLine(windowId, event). Byte length is all that is read from them.
   */
  serializedLines?: readonly (string | Uint8Array)[];
}

// rrweb numbers PostHog hard-codes (rrweb-types.ts).
const INCREMENTAL_SNAPSHOT = 3;
const PLUGIN = 6;
const SOURCE_MOUSE_INTERACTION = 2;
const SOURCE_INPUT = 5;
const CLICK_TYPES: readonly number[] = [2, 4, 9, 3]; // Click, DblClick, TouchEnd, ContextMenu
const MOUSE_ACTIVITY_SOURCES: readonly number[] = [2, 1, 6]; // MouseInteraction, MouseMove, TouchMove
// MouseMove, MouseInteraction, Scroll, ViewportResize, Input, TouchMove, MediaInteraction, Drag
const ACTIVE_SOURCES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 12];
const ACTIVITY_THRESHOLD_MS = 5000;
const MAX_URL_LENGTH = 4 * 1024; // UTF-16 code units, not bytes: PostHog compares string .length
const MAX_URLS_COUNT = 25;

/** `obj?.[key]` with JS semantics for any value, so non-object `data` (cv-compressed strings, null) reads undefined. */
function prop(value: unknown, key: string): unknown {
  if (value === null || value === undefined) return undefined;
  return (value as Record<string, unknown>)[key];
}

function isIncremental(event: BlockEvent['event'], sources: readonly number[]): boolean {
  const source = prop(event.data, 'source');
  return event.type === INCREMENTAL_SNAPSHOT && sources.includes((source ?? -1) as number);
}

export function isClick(event: BlockEvent['event']): boolean {
  const type = prop(event.data, 'type');
  return (
    event.type === INCREMENTAL_SNAPSHOT &&
    prop(event.data, 'source') === SOURCE_MOUSE_INTERACTION &&
    CLICK_TYPES.includes((type ?? -1) as number)
  );
}

/** Input source (5): value changes, not keystrokes. */
export function isKeypress(event: BlockEvent['event']): boolean {
  return event.type === INCREMENTAL_SNAPSHOT && prop(event.data, 'source') === SOURCE_INPUT;
}

export function isMouseActivity(event: BlockEvent['event']): boolean {
  return isIncremental(event, MOUSE_ACTIVITY_SOURCES);
}

function isActive(event: BlockEvent['event']): boolean {
  return isIncremental(event, ACTIVE_SOURCES);
}

// `x?.trim?.()`: only strings have trim, so anything else reads as absent.
function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Any event type counts: Meta `data.href`, else custom-event `data.payload.href` ($pageview, $url_changed). */
export function hrefFrom(event: BlockEvent['event']): string | undefined {
  const metaHref = trimmed(prop(event.data, 'href'));
  const customHref = trimmed(prop(prop(event.data, 'payload'), 'href'));
  return metaHref || customHref || undefined;
}

type ConsoleLevel = 'info' | 'warn' | 'error';

// A plain object on purpose, as in PostHog: a level such as "toString" finds an Object.prototype member, which is
// truthy, matches no bucket, and so is counted nowhere. Unknown strings (clear, table, time, groupEnd) fall to info.
const LEVEL_MAPPING: Record<string, ConsoleLevel | undefined> = {
  info: 'info',
  count: 'info',
  timeEnd: 'info',
  warn: 'warn',
  countReset: 'warn',
  error: 'error',
  assert: 'error',
  log: 'info',
  trace: 'info',
  dir: 'info',
  dirxml: 'info',
  group: 'info',
  groupCollapsed: 'info',
  debug: 'info',
  timeLog: 'info',
};

/** null: not a console event at all; 'none': a console event PostHog counts in no bucket. */
export function consoleLevel(event: BlockEvent['event']): ConsoleLevel | 'none' | null {
  if (event.type !== PLUGIN || prop(event.data, 'plugin') !== 'rrweb/console@1') return null;
  const level = prop(prop(event.data, 'payload'), 'level');
  const mapped: unknown = LEVEL_MAPPING[typeof level === 'string' ? level : 'info'] || 'info';
  return mapped === 'info' || mapped === 'warn' || mapped === 'error' ? mapped : 'none';
}

/** The line the v2 recorder appends to the block buffer for one event. */
export function serializeBlockLine(windowId: string, event: unknown): string {
  return JSON.stringify([windowId, event]) + '\n';
}

/**
 * Per-block active time (segmentation.ts): sort by timestamp (stable), open a segment when there is none, when an
 * active event meets an inactive segment, or when an active segment saw no active event for 5 s; anything else
 * (inactive events included) stretches the segment's end. Active segments count max(1, end - start); the total is
 * floored because timestamps may be fractional.
 */
export function activeMilliseconds(
  events: readonly BlockEvent['event'][],
  opts: { sort: boolean } = { sort: true },
): number {
  const segmentation = events.map((e) => ({ timestamp: e.timestamp, isActive: isActive(e) }));
  if (opts.sort) segmentation.sort((a, b) => a.timestamp - b.timestamp);
  let total = 0;
  let current: { start: number; end: number; isActive: boolean } | null = null;
  let lastActiveTimestamp = 0;
  const close = (segment: { start: number; end: number; isActive: boolean }) => {
    if (segment.isActive) total += Math.max(1, segment.end - segment.start);
  };
  for (const event of segmentation) {
    let isNewSegment = current === null;
    if (event.isActive && !current?.isActive) isNewSegment = true;
    if (current?.isActive && lastActiveTimestamp + ACTIVITY_THRESHOLD_MS < event.timestamp) isNewSegment = true;
    // Updated after the threshold test, as in PostHog.
    if (event.isActive) lastActiveTimestamp = event.timestamp;
    if (isNewSegment) {
      if (current) close(current);
      current = { start: event.timestamp, end: event.timestamp, isActive: event.isActive };
    } else if (current) {
      current.end = event.timestamp;
    }
  }
  if (current) close(current);
  return total;
}

function byteLength(line: string | Uint8Array): number {
  return typeof line === 'string' ? Buffer.byteLength(line, 'utf8') : line.byteLength;
}

/**
 * Metrics for one v2 block: the events one SnappySessionRecorder received in one flush, in write order. PostHog never
 * writes an empty block (the parser drops messages without a valid event), so an empty list is an error here.
 */
export function computeBlockMetrics(events: readonly BlockEvent[], opts: BlockMetricsOptions): BlockMetrics {
  if (events.length === 0) throw new RangeError('a PostHog block always holds at least one event');
  if (!Number.isInteger(opts.messageCount) || opts.messageCount < 1) {
    throw new RangeError(`messageCount must be a positive integer, got ${opts.messageCount}`);
  }
  if (opts.serializedLines && opts.serializedLines.length !== events.length) {
    throw new RangeError(`serializedLines has ${opts.serializedLines.length} lines for ${events.length} events`);
  }

  const urls = new Set<string>();
  let firstUrl: string | null = null;
  let firstTimestamp = Infinity;
  let lastTimestamp = -Infinity;
  let clickCount = 0;
  let keypressCount = 0;
  let mouseActivityCount = 0;
  let consoleLogCount = 0;
  let consoleWarnCount = 0;
  let consoleErrorCount = 0;
  let size = 0;

  for (const [i, { windowId, event }] of events.entries()) {
    // The recorder takes min/max of each message's eventsRange, which the parser computed over the same events.
    firstTimestamp = Math.min(firstTimestamp, event.timestamp);
    lastTimestamp = Math.max(lastTimestamp, event.timestamp);
    size += byteLength(opts.serializedLines?.[i] ?? serializeBlockLine(windowId, event));

    const href = hrefFrom(event);
    if (href) {
      const url = href.length > MAX_URL_LENGTH ? href.slice(0, MAX_URL_LENGTH) : href;
      firstUrl ??= url;
      // The cap is checked before add, so a repeat of a kept URL is harmless once 25 are held.
      if (urls.size < MAX_URLS_COUNT) urls.add(url);
    }
    if (isClick(event)) clickCount++;
    if (isKeypress(event)) keypressCount++;
    if (isMouseActivity(event)) mouseActivityCount++;
    if (opts.consoleLogIngestionEnabled) {
      const level = consoleLevel(event);
      if (level === 'info') consoleLogCount++;
      else if (level === 'warn') consoleWarnCount++;
      else if (level === 'error') consoleErrorCount++;
    }
  }

  return {
    firstTimestamp,
    lastTimestamp,
    firstUrl,
    urls: [...urls],
    clickCount,
    keypressCount,
    mouseActivityCount,
    activeMilliseconds: Math.floor(activeMilliseconds(events.map((e) => e.event))),
    consoleLogCount,
    consoleWarnCount,
    consoleErrorCount,
    size,
    eventCount: events.length,
    messageCount: opts.messageCount,
  };
}

/**
 * v1 (plugin-server createSessionReplayEvent): one row per parsed Kafka message (later versions first merged all of a
 * session's messages in one consumed batch, still message_count 1). It differs from v2 in ways that change the row:
 * no URL truncation or cap; console counts regardless of the team opt-in; segments over the events unsorted and the
 * total rounded; size = bytes of JSON.stringify(events) (no window ids, no newlines). `events` is the message's
 * `$snapshot_items` after the v1 filter `event && event.timestamp`, windows concatenated in order.
 */
export function computeV1MessageMetrics(events: readonly BlockEvent['event'][]): BlockMetrics {
  // getTimestampsFrom: `(e?.timestamp || -1) > 0`; a message with none is rejected ("empty session recording event").
  const timestamps = events.map((e) => e.timestamp).filter((t) => (t || -1) > 0);
  if (timestamps.length === 0) throw new RangeError('v1 rejects a message without a positive event timestamp');

  const urls = new Set<string>();
  let consoleLogCount = 0;
  let consoleWarnCount = 0;
  let consoleErrorCount = 0;
  for (const event of events) {
    // v1 calls `data?.href?.trim()` without `?.` before the call, so any non-null non-string href (0 and false
    // included) throws, and consume() logs the error and emits no row.
    for (const href of [prop(event.data, 'href'), prop(prop(event.data, 'payload'), 'href')]) {
      if (href != null && typeof href !== 'string') throw new TypeError('v1 hrefFrom throws on a non-string href');
    }
    const url = hrefFrom(event);
    if (url) urls.add(url);
    const level = consoleLevel(event);
    if (level === 'info') consoleLogCount++;
    else if (level === 'warn') consoleWarnCount++;
    else if (level === 'error') consoleErrorCount++;
  }
  const urlList = [...urls];
  return {
    firstTimestamp: Math.min(...timestamps),
    lastTimestamp: Math.max(...timestamps),
    firstUrl: urlList[0] ?? null,
    urls: urlList,
    clickCount: events.filter(isClick).length,
    keypressCount: events.filter(isKeypress).length,
    mouseActivityCount: events.filter(isMouseActivity).length,
    activeMilliseconds: Math.round(activeMilliseconds(events, { sort: false })),
    consoleLogCount,
    consoleWarnCount,
    consoleErrorCount,
    size: Buffer.byteLength(JSON.stringify(events), 'utf8'),
    eventCount: events.length,
    messageCount: 1,
  };
}

/**
 * What the v2 parser keeps of one `$snapshot_items` entry and how it rewrites it (message-parser.ts getValidEvents with
 * zod 3 `z.object({ timestamp: z.number() }).passthrough()`): objects with a numeric, non-NaN timestamp > 0 that luxon
 * accepts; the output object has `timestamp` FIRST, then the other keys in input order (undefined values and a
 * "__proto__" key dropped). Block bytes therefore differ from the SDK's key order, but not in length.
 */
export function toIngestedEvent(item: unknown): BlockEvent['event'] | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
  const source = item as Record<string, unknown>;
  const timestamp = source['timestamp'];
  if (typeof timestamp !== 'number' || Number.isNaN(timestamp) || timestamp <= 0 || timestamp > 8.64e15) return null;
  const out: Record<string, unknown> = { timestamp };
  for (const key of Object.keys(source)) {
    if (key === 'timestamp' || key === '__proto__' || source[key] === undefined) continue;
    out[key] = source[key];
  }
  return out as BlockEvent['event'];
}

/** castTimestampOrNow(DateTime.fromMillis(ms), ClickHouse): UTC 'yyyy-MM-dd HH:mm:ss.SSS', fraction truncated. */
export function clickHouseTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

// v2 storage keys (constants.ts ValidRetentionPeriods / RetentionPeriodToDaysMap).
export type RetentionPeriod = '30d' | '90d' | '1y' | '5y';
const RETENTION_DAYS: Record<RetentionPeriod, number> = { '30d': 30, '90d': 90, '1y': 365, '5y': 1825 };

export function retentionDays(period: RetentionPeriod): number {
  return RETENTION_DAYS[period];
}

/**
 * RetentionAwareStorage gives each period its own S3SessionBatchFileStorage with prefix `${prefix}/${period}`, whose
 * generateKey() is `${prefix}/${Date.now()}-${randomBytes(8).toString('hex')}`.
 */
export function batchFileKey(prefix: string, retention: RetentionPeriod, epochMs: number, hex16: string): string {
  if (!/^[0-9a-f]{16}$/.test(hex16)) throw new RangeError(`hex16 must be 16 lowercase hex digits, got ${hex16}`);
  if (!Number.isSafeInteger(epochMs) || epochMs < 0) throw new RangeError(`epochMs must be an integer, got ${epochMs}`);
  return `${prefix}/${retention}/${epochMs}-${hex16}`;
}

/** S3SessionBatchFileWriter.writeSession: the end offset is inclusive (currentOffset - 1 after the write). */
export function blockUrl(bucket: string, key: string, start: number, endInclusive: number): string {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || endInclusive < start) {
    throw new RangeError(`bad byte range ${start}-${endInclusive}`);
  }
  return `s3://${bucket}/${key}?range=bytes=${start}-${endInclusive}`;
}

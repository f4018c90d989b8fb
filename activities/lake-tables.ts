/**
 * The lake's tables, column by column. Every table is hive-partitioned by `dt` and `team_id`: `dt` exists only as a
 * path segment, `team_id` is both a path segment and a real column so files stay self-describing when copied out.
 * Rows carry no wall-clock time (exports are re-runnable and must produce identical files); the export run is named
 * by its deterministic `export_window_id`.
 *
 * The Parquet writer, README's schema reference and the tests all read this one definition.
 */
import type { ColumnSpec, ColumnType, TableSpec } from './lake-schema';

/**
 * Free text copied from recordings (console messages and traces, network bodies, URLs, levels, methods) is cut to this
 * many UTF-16 code units (64 Ki), never inside a surrogate pair: posthog-js already cuts console items to 2000 chars and
 * bodies to at most 1 MB, so the cap only bites on hostile or custom payloads and keeps one row from ballooning a file.
 */
export const TEXT_CAP_CHARS = 64 * 1024;

const CAP = `${TEXT_CAP_CHARS} UTF-16 code units`;

function required<const N extends string, const T extends ColumnType>(name: N, type: T, description: string) {
  return { name, type, nullable: false, description } as const satisfies ColumnSpec;
}

function optional<const N extends string, const T extends ColumnType>(name: N, type: T, description: string) {
  return { name, type, nullable: true, description } as const satisfies ColumnSpec;
}

function table<const N extends string, const C extends readonly ColumnSpec[]>(
  name: N,
  description: string,
  columns: C,
) {
  return { name, description, columns } as const satisfies TableSpec;
}

/** Columns most tables share, defined once. */
const SESSION_ID = required('session_id', 'string', "PostHog's session id.");
const TEAM_ID = required('team_id', 'int64', 'PostHog project (team) id; also a partition path segment.');
const WINDOW_ID = optional(
  'window_id',
  'string',
  'posthog-js window (tab) id; null when the source line carried none.',
);
const EVENT_TIMESTAMP = required(
  'timestamp',
  'timestamp_ms',
  "The event's client timestamp, fractional milliseconds floored.",
);
const seqOf = (what: string) => required('seq', 'int64', `seq of the ${what} in events.`);

export const TABLES = {
  sessions: table(
    'sessions',
    "One row per session the export listed, whether it exported completely, partially or not at all (status): PostHog's ClickHouse metadata (session_replay_events) plus what the export read, measured and wrote, and where it put the raw rrweb blob.",
    [
      required('session_id', 'string', "PostHog's session id ($session_id, a UUIDv7)."),
      TEAM_ID,
      optional('distinct_id', 'string', 'The person distinct_id PostHog attributes the session to.'),
      required(
        'start_time',
        'timestamp_ms',
        "PostHog's session start (min first_timestamp over the session's ClickHouse rows).",
      ),
      required(
        'end_time',
        'timestamp_ms',
        "PostHog's session end (max last_timestamp over the session's ClickHouse rows).",
      ),
      required('duration_ms', 'int64', 'end_time minus start_time in milliseconds.'),
      optional(
        'active_ms',
        'int64',
        "PostHog's active_milliseconds as stored in ClickHouse (summed per ingestion block, so it can exceed duration_ms); null where the source generation has none.",
      ),
      optional(
        'click_count',
        'int64',
        "PostHog's click_count from ClickHouse (MouseInteraction Click, ContextMenu, DblClick, TouchEnd).",
      ),
      optional(
        'keypress_count',
        'int64',
        "PostHog's keypress_count from ClickHouse (Input incremental events, not keystrokes).",
      ),
      optional(
        'mouse_activity_count',
        'int64',
        "PostHog's mouse_activity_count from ClickHouse (MouseInteraction, MouseMove and TouchMove events).",
      ),
      optional(
        'console_log_count',
        'int64',
        "PostHog's console_log_count from ClickHouse (0 when the team had console log ingestion off).",
      ),
      optional(
        'console_warn_count',
        'int64',
        "PostHog's console_warn_count from ClickHouse (levels warn and countReset).",
      ),
      optional(
        'console_error_count',
        'int64',
        "PostHog's console_error_count from ClickHouse (levels error and assert).",
      ),
      optional('first_url', 'string', "PostHog's first_url: the first href seen in the session's earliest block."),
      required(
        'urls',
        'string_list',
        "PostHog's all_urls: unique hrefs from Meta and custom events, at most 25 per ingestion block.",
      ),
      optional('snapshot_source', 'string', "PostHog's snapshot_source ('web' or 'mobile')."),
      optional('snapshot_library', 'string', "PostHog's snapshot_library, the SDK's $lib (e.g. 'web', 'posthog-ios')."),
      required('window_count', 'int32', 'Distinct window (tab) ids among the exported events.'),
      required(
        'event_count',
        'int64',
        'rrweb events exported after deduplication; equals the rows in events for this session.',
      ),
      required('rrweb_bytes', 'int64', 'UTF-8 bytes of the raw blob after decompression (its JSONL lines).'),
      optional(
        'source_bytes',
        'int64',
        "PostHog's size from ClickHouse (uncompressed JSONL bytes counted at ingestion, before deduplication).",
      ),
      required(
        'status',
        'string',
        "'complete' when every block the source lists was read; 'partial' when some source data was unreadable (export_errors says which); 'failed' when the session could not be exported at all (export_errors says why; none of its events are in the lake).",
      ),
      optional(
        'source_event_count',
        'int64',
        "PostHog's event_count from ClickHouse: rrweb events written to storage, before deduplication; null for legacy sessions.",
      ),
      optional(
        'source_blocks',
        'int64',
        "Distinct blob-v2 block URLs PostHog's metadata lists for the session; null when it lists none.",
      ),
      required('blocks_read', 'int64', 'Blocks, blob-v1 files and legacy chunk groups read and decoded.'),
      required(
        'blocks_unreadable',
        'int64',
        'Blocks, files and chunk groups that could not be read; each has an export_errors row.',
      ),
      required('events_read', 'int64', 'rrweb events decoded from storage, before deduplication.'),
      required(
        'duplicates_dropped',
        'int64',
        'Events dropped as exact duplicates (same window and JSON without delay at the same timestamp).',
      ),
      required(
        'bytes_read',
        'int64',
        'Bytes fetched from the blob store and ClickHouse for the session, as stored (compressed).',
      ),
      required(
        'generation',
        'string',
        "Storage generation the events were read from: 'blob_v2', 'blob_v1', 'legacy', or 'mixed' when more than one.",
      ),
      optional('retention_period_days', 'int64', "PostHog's retention period for the session in days, when recorded."),
      optional(
        'raw_blob_key',
        'string',
        "Lake object key of the session's raw rrweb JSONL blob; null when no blob was written.",
      ),
      optional('raw_blob_sha256', 'string', 'Lowercase hex SHA-256 of the raw blob object as stored.'),
      optional('raw_blob_bytes', 'int64', 'Size in bytes of the raw blob object as stored (after its compression).'),
      required('error_count', 'int32', 'Rows in export_errors for this session in this export window.'),
      required(
        'export_window_id',
        'string',
        'Deterministic id of the export window that wrote the row, e.g. "2026-10-31".',
      ),
    ],
  ),
  events: table(
    'events',
    'One row per deduplicated rrweb event, in timestamp order: the event vocabulary and pointer position only; DOM snapshots, mutations and input text stay in the raw blob.',
    [
      SESSION_ID,
      TEAM_ID,
      optional(
        'window_id',
        'string',
        'posthog-js window (tab) id of the event; null when the source line carried none.',
      ),
      required(
        'seq',
        'int64',
        "0-based position of the event in the session's timestamp order after deduplication; joins the other tables.",
      ),
      EVENT_TIMESTAMP,
      required(
        'type',
        'int32',
        "rrweb EventType number (2 FullSnapshot, 3 IncrementalSnapshot, 4 Meta, 5 Custom, 6 Plugin, …); -1 when the event's type is not an int32.",
      ),
      required('type_name', 'string', "rrweb EventType name, or 'Unknown(N)' for a number rrweb does not define."),
      optional(
        'source',
        'int32',
        'rrweb IncrementalSource number (data.source) for IncrementalSnapshot events; null otherwise.',
      ),
      optional('source_name', 'string', "rrweb IncrementalSource name, or 'Unknown(N)'; null when source is null."),
      optional(
        'interaction_type',
        'int32',
        'rrweb MouseInteractions number (data.type) for MouseInteraction events; null otherwise.',
      ),
      optional(
        'interaction_name',
        'string',
        "rrweb MouseInteractions name, or 'Unknown(N)'; null when interaction_type is null.",
      ),
      optional(
        'x',
        'double',
        'Viewport x in CSS px: data.x for MouseInteraction and Scroll, the last sampled position for MouseMove, TouchMove and Drag.',
      ),
      optional('y', 'double', 'Viewport y in CSS px, taken like x.'),
      optional(
        'node_id',
        'int64',
        "rrweb mirror node id the event targets (data.id, or the last sampled position's id for MouseMove, TouchMove and Drag).",
      ),
      optional(
        'tag',
        'string',
        `Custom event tag (type 5) or plugin name (type 6), cut to ${CAP}; null for other types.`,
      ),
      required('bytes', 'int64', "UTF-8 byte length of the event's line in the raw blob."),
    ],
  ),
  clicks: table(
    'clicks',
    "One row per click by PostHog's definition (MouseInteraction Click, ContextMenu, DblClick, TouchEnd), so per-session row counts match PostHog's click_count.",
    [
      SESSION_ID,
      TEAM_ID,
      WINDOW_ID,
      seqOf('MouseInteraction event'),
      EVENT_TIMESTAMP,
      required(
        'interaction_type',
        'int32',
        'rrweb MouseInteractions number: 2 Click, 3 ContextMenu, 4 DblClick or 9 TouchEnd.',
      ),
      required('interaction_name', 'string', 'rrweb MouseInteractions name.'),
      optional('x', 'double', "Viewport x in CSS px (data.x, the DOM event's clientX)."),
      optional('y', 'double', "Viewport y in CSS px (data.y, the DOM event's clientY)."),
      optional('node_id', 'int64', 'rrweb mirror node id of the clicked element (data.id).'),
      optional(
        'pointer_type',
        'string',
        "'mouse', 'pen' or 'touch' from data.pointerType (rrweb PointerTypes 0, 1, 2); null when absent or unknown.",
      ),
      optional(
        'url',
        'string',
        `The window's current href at the click: the latest Meta href or $pageview/$url_changed payload href before it, cut to ${CAP}.`,
      ),
      required(
        'is_rage_click',
        'boolean',
        "True for every Click in a burst posthog-js's rage-click rule fires on (3+ Clicks in one window, each under 1000 ms and under 30 px |dx|+|dy| from the previous); false otherwise, including all non-Click types.",
      ),
    ],
  ),
  pageviews: table(
    'pageviews',
    'One row per page seen in a window: every Meta event with an href and every $pageview/$url_changed custom event with a payload href, except that a Meta and such a custom event for the same href (ignoring any #fragment) in the same window at most 1000 ms apart, in either order, form one row describing the Meta.',
    [
      SESSION_ID,
      TEAM_ID,
      WINDOW_ID,
      required(
        'seq',
        'int64',
        'seq of the event the row describes (the Meta when one was collapsed with a custom event).',
      ),
      required('timestamp', 'timestamp_ms', "That event's client timestamp, fractional milliseconds floored."),
      required(
        'url',
        'string',
        `The href (Meta data.href or custom payload.href, trimmed), cut to ${CAP}; on mobile the screen name.`,
      ),
      required(
        'trigger',
        'string',
        "'meta' (an rrweb Meta, i.e. a page load or full-snapshot checkout, possibly with a collapsed custom event), '$pageview' or '$url_changed'.",
      ),
      required(
        'same_url_as_previous',
        'boolean',
        "True when the window's previous pageview row had the same url, as for reloads and for the Meta rrweb re-emits with every periodic full snapshot.",
      ),
      optional(
        'viewport_width',
        'int32',
        "Viewport width in CSS px: the Meta's width, else the window's latest Meta or ViewportResize width.",
      ),
      optional('viewport_height', 'int32', 'Viewport height in CSS px, taken like viewport_width.'),
      required(
        'time_on_page_ms',
        'int64',
        "Milliseconds until the window's next pageview row, or for its last one until the window's last event.",
      ),
    ],
  ),
  console_logs: table(
    'console_logs',
    "One row per rrweb/console@1 plugin event, so per-bucket row counts match PostHog's console_*_count when console log ingestion was on.",
    [
      SESSION_ID,
      TEAM_ID,
      WINDOW_ID,
      seqOf('plugin event'),
      EVENT_TIMESTAMP,
      optional(
        'level',
        'string',
        `The console method as recorded (payload.level: log, info, warn, error, assert, count, table, …), cut to ${CAP}; null when not a string.`,
      ),
      required(
        'level_bucket',
        'string',
        "PostHog's bucket: 'warn' for warn and countReset, 'error' for error and assert, 'log' for every other or missing level.",
      ),
      required(
        'message',
        'string',
        `payload.payload items joined with ' ' (strings as recorded, so rrweb's JSON quoting stays; other values as JSON), cut to ${CAP}; '' when absent.`,
      ),
      optional('trace', 'string', `payload.trace stack frames joined with '\\n', cut to ${CAP}; null when absent.`),
      required('truncated', 'boolean', 'True when message or trace was cut at the cap.'),
      optional(
        'url',
        'string',
        `The window's current href when the message was logged (latest Meta or $pageview/$url_changed href), cut to ${CAP}.`,
      ),
    ],
  ),
  network_requests: table(
    'network_requests',
    "One row per entry of payload.requests in rrweb/network@1 plugin events: PerformanceResourceTiming fields plus what posthog-js's fetch/XHR wrapper adds (method, status, headers, bodies).",
    [
      SESSION_ID,
      TEAM_ID,
      WINDOW_ID,
      seqOf('plugin event'),
      required(
        'request_index',
        'int32',
        'Index of the entry in payload.requests (gaps mark entries that were not objects).',
      ),
      required('timestamp', 'timestamp_ms', "The plugin event's client timestamp, fractional milliseconds floored."),
      optional(
        'request_timestamp',
        'timestamp_ms',
        "Epoch ms when the request started (posthog-js's floor(timeOrigin + startTime)).",
      ),
      optional(
        'url',
        'string',
        `Request URL (the entry's name; for entry_type 'serverTiming' the server-timing metric name), cut to ${CAP}.`,
      ),
      optional('method', 'string', 'HTTP method from the fetch/XHR wrapper; null for timing-only entries.'),
      optional(
        'status',
        'int32',
        "HTTP status: the wrapper's status, else the timing entry's responseStatus (0 when the browser hid it).",
      ),
      optional('initiator_type', 'string', 'initiatorType: fetch, xmlhttprequest, script, link, img, navigation, …'),
      optional(
        'entry_type',
        'string',
        "entryType: 'resource', 'navigation', or 'serverTiming' for server-timing metrics posthog-js splits out.",
      ),
      optional('start_time_ms', 'double', "startTime in ms since the page's timeOrigin (posthog-js rounds it)."),
      optional('end_time_ms', 'double', "posthog-js's endTime: responseEnd in ms since timeOrigin, rounded."),
      optional('duration_ms', 'double', 'duration in ms as the browser reported it.'),
      optional(
        'request_start_ms',
        'double',
        'requestStart in ms since timeOrigin (0 when the browser hid cross-origin timing).',
      ),
      optional(
        'response_start_ms',
        'double',
        'responseStart in ms since timeOrigin; minus request_start_ms it is the time to first byte.',
      ),
      optional('transfer_size', 'int64', 'transferSize in bytes (0 for cache hits and hidden cross-origin sizes).'),
      optional('encoded_body_size', 'int64', 'encodedBodySize in bytes.'),
      optional('decoded_body_size', 'int64', 'decodedBodySize in bytes.'),
      optional('next_hop_protocol', 'string', "nextHopProtocol (e.g. 'http/1.1', 'h2', 'h3')."),
      optional('content_type', 'string', "The timing entry's response contentType (newer Chromium only)."),
      optional(
        'is_initial',
        'boolean',
        'True for entries posthog-js read from the performance buffer before wrapping fetch/XHR (never with method or bodies); null when not stated.',
      ),
      optional('request_headers_json', 'json', 'requestHeaders as a JSON object when header capture was on.'),
      optional('response_headers_json', 'json', 'responseHeaders as a JSON object when header capture was on.'),
      optional(
        'request_body',
        'string',
        `requestBody as captured (posthog-js may have masked or cut it), cut to ${CAP}; null when not captured.`,
      ),
      optional('response_body', 'string', `responseBody as captured, cut to ${CAP}; null when not captured.`),
      required('body_truncated', 'boolean', 'True when request_body or response_body was cut at the cap.'),
    ],
  ),
  custom_events: table(
    'custom_events',
    'One row per rrweb Custom event (type 5): posthog-js markers such as $pageview, $url_changed, $recording_started, sessionIdle, and app-defined ones.',
    [
      SESSION_ID,
      TEAM_ID,
      WINDOW_ID,
      seqOf('custom event'),
      EVENT_TIMESTAMP,
      optional('tag', 'string', `data.tag, cut to ${CAP}; null when not a string.`),
      optional(
        'payload_json',
        'json',
        'data.payload re-serialised as JSON, uncut because a cut would not parse; null when absent.',
      ),
    ],
  ),
  export_errors: table(
    'export_errors',
    'One row per problem the export recorded and worked around (an unreadable block, a line that is not rrweb, a session it could not finish).',
    [
      optional('session_id', 'string', "PostHog's session id; null when the error concerns a whole batch file."),
      TEAM_ID,
      required('export_window_id', 'string', 'Deterministic id of the export window that hit the error.'),
      required(
        'location',
        'string',
        'Where: a block URL, an object key (with byte range or line number), or a ClickHouse row.',
      ),
      required('error_class', 'string', "The error's stable class name, e.g. 'BadSnapshotLineError', 'CvDecodeError'."),
      required('message', 'string', 'Human-readable detail.'),
      optional(
        'event_timestamp',
        'timestamp_ms',
        'Timestamp of the affected event when the error concerns one; never the time the export ran.',
      ),
    ],
  ),
};

export type TableName = keyof typeof TABLES;

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The column names of one table, so the normaliser's row literals are checked against the schema at compile time. */
export type ColumnName<T extends TableName> = (typeof TABLES)[T]['columns'][number]['name'];

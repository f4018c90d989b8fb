/**
 * The lake's tables, column by column. Every table is hive-partitioned by `dt` and `team_id`: `dt` exists only as a
 * path segment, `team_id` is both a path segment and a real column so files stay self-describing when copied out.
 * Rows carry no wall-clock time (exports are re-runnable and must produce identical files); the export run is named
 * by its deterministic `export_window_id`.
 */
import type { TableSpec } from './lake-schema';

export type TableName =
  | 'sessions'
  | 'events'
  | 'clicks'
  | 'pageviews'
  | 'console_logs'
  | 'network_requests'
  | 'custom_events'
  | 'export_errors';

/**
 * Free text copied from recordings (console messages and traces, network bodies, URLs, levels, methods) is cut to this
 * many UTF-16 code units (64 Ki), never inside a surrogate pair: posthog-js already cuts console items to 2000 chars and
 * bodies to at most 1 MB, so the cap only bites on hostile or custom payloads and keeps one row from ballooning a file.
 */
export const TEXT_CAP_CHARS = 64 * 1024;

const CAP = `${TEXT_CAP_CHARS} UTF-16 code units`;

export const TABLES = {
  sessions: {
    name: 'sessions',
    description:
      "One row per exported session: PostHog's ClickHouse metadata (session_replay_events) plus what the export measured and where it put the raw rrweb blob.",
    columns: [
      {
        name: 'session_id',
        type: 'string',
        nullable: false,
        description: "PostHog's session id ($session_id, a UUIDv7).",
      },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'distinct_id',
        type: 'string',
        nullable: true,
        description: 'The person distinct_id PostHog attributes the session to.',
      },
      {
        name: 'start_time',
        type: 'timestamp_ms',
        nullable: false,
        description: "PostHog's session start (min first_timestamp over the session's ClickHouse rows).",
      },
      {
        name: 'end_time',
        type: 'timestamp_ms',
        nullable: false,
        description: "PostHog's session end (max last_timestamp over the session's ClickHouse rows).",
      },
      {
        name: 'duration_ms',
        type: 'int64',
        nullable: false,
        description: 'end_time minus start_time in milliseconds.',
      },
      {
        name: 'active_ms',
        type: 'int64',
        nullable: true,
        description:
          "PostHog's active_milliseconds as stored in ClickHouse (summed per ingestion block, so it can exceed duration_ms); null where the source generation has none.",
      },
      {
        name: 'click_count',
        type: 'int64',
        nullable: true,
        description: "PostHog's click_count from ClickHouse (MouseInteraction Click, ContextMenu, DblClick, TouchEnd).",
      },
      {
        name: 'keypress_count',
        type: 'int64',
        nullable: true,
        description: "PostHog's keypress_count from ClickHouse (Input incremental events, not keystrokes).",
      },
      {
        name: 'mouse_activity_count',
        type: 'int64',
        nullable: true,
        description:
          "PostHog's mouse_activity_count from ClickHouse (MouseInteraction, MouseMove and TouchMove events).",
      },
      {
        name: 'console_log_count',
        type: 'int64',
        nullable: true,
        description: "PostHog's console_log_count from ClickHouse (0 when the team had console log ingestion off).",
      },
      {
        name: 'console_warn_count',
        type: 'int64',
        nullable: true,
        description: "PostHog's console_warn_count from ClickHouse (levels warn and countReset).",
      },
      {
        name: 'console_error_count',
        type: 'int64',
        nullable: true,
        description: "PostHog's console_error_count from ClickHouse (levels error and assert).",
      },
      {
        name: 'first_url',
        type: 'string',
        nullable: true,
        description: "PostHog's first_url: the first href seen in the session's earliest block.",
      },
      {
        name: 'urls',
        type: 'string_list',
        nullable: false,
        description: "PostHog's all_urls: unique hrefs from Meta and custom events, at most 25 per ingestion block.",
      },
      {
        name: 'snapshot_source',
        type: 'string',
        nullable: true,
        description: "PostHog's snapshot_source ('web' or 'mobile').",
      },
      {
        name: 'snapshot_library',
        type: 'string',
        nullable: true,
        description: "PostHog's snapshot_library, the SDK's $lib (e.g. 'web', 'posthog-ios').",
      },
      {
        name: 'window_count',
        type: 'int32',
        nullable: false,
        description: 'Distinct window (tab) ids among the exported events.',
      },
      {
        name: 'event_count',
        type: 'int64',
        nullable: false,
        description: 'rrweb events exported after deduplication; equals the rows in events for this session.',
      },
      {
        name: 'rrweb_bytes',
        type: 'int64',
        nullable: false,
        description: 'UTF-8 bytes of the raw blob after decompression (its JSONL lines).',
      },
      {
        name: 'source_bytes',
        type: 'int64',
        nullable: true,
        description:
          "PostHog's size from ClickHouse (uncompressed JSONL bytes counted at ingestion, before deduplication).",
      },
      {
        name: 'generation',
        type: 'string',
        nullable: false,
        description:
          "Storage generation the events were read from: 'blob_v2', 'blob_v1', 'legacy', or 'mixed' when more than one.",
      },
      {
        name: 'retention_period_days',
        type: 'int32',
        nullable: true,
        description: "PostHog's retention period for the session in days, when recorded.",
      },
      {
        name: 'raw_blob_key',
        type: 'string',
        nullable: true,
        description: "Lake object key of the session's raw rrweb JSONL blob; null when no blob was written.",
      },
      {
        name: 'raw_blob_sha256',
        type: 'string',
        nullable: true,
        description: 'Lowercase hex SHA-256 of the raw blob object as stored.',
      },
      {
        name: 'raw_blob_bytes',
        type: 'int64',
        nullable: true,
        description: 'Size in bytes of the raw blob object as stored (after its compression).',
      },
      {
        name: 'error_count',
        type: 'int32',
        nullable: false,
        description: 'Rows in export_errors for this session in this export window.',
      },
      {
        name: 'export_window_id',
        type: 'string',
        nullable: false,
        description: 'Deterministic id of the export window that wrote the row, e.g. "2026-10-31".',
      },
    ],
  },
  events: {
    name: 'events',
    description:
      'One row per deduplicated rrweb event, in timestamp order: the event vocabulary and pointer position only; DOM snapshots, mutations and input text stay in the raw blob.',
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id of the event; null when the source line carried none.',
      },
      {
        name: 'seq',
        type: 'int64',
        nullable: false,
        description:
          "0-based position of the event in the session's timestamp order after deduplication; joins the other tables.",
      },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "The event's client timestamp, fractional milliseconds floored.",
      },
      {
        name: 'type',
        type: 'int32',
        nullable: false,
        description:
          "rrweb EventType number (2 FullSnapshot, 3 IncrementalSnapshot, 4 Meta, 5 Custom, 6 Plugin, …); -1 when the event's type is not an int32.",
      },
      {
        name: 'type_name',
        type: 'string',
        nullable: false,
        description: "rrweb EventType name, or 'Unknown(N)' for a number rrweb does not define.",
      },
      {
        name: 'source',
        type: 'int32',
        nullable: true,
        description: 'rrweb IncrementalSource number (data.source) for IncrementalSnapshot events; null otherwise.',
      },
      {
        name: 'source_name',
        type: 'string',
        nullable: true,
        description: "rrweb IncrementalSource name, or 'Unknown(N)'; null when source is null.",
      },
      {
        name: 'interaction_type',
        type: 'int32',
        nullable: true,
        description: 'rrweb MouseInteractions number (data.type) for MouseInteraction events; null otherwise.',
      },
      {
        name: 'interaction_name',
        type: 'string',
        nullable: true,
        description: "rrweb MouseInteractions name, or 'Unknown(N)'; null when interaction_type is null.",
      },
      {
        name: 'x',
        type: 'double',
        nullable: true,
        description:
          'Viewport x in CSS px: data.x for MouseInteraction and Scroll, the last sampled position for MouseMove, TouchMove and Drag.',
      },
      { name: 'y', type: 'double', nullable: true, description: 'Viewport y in CSS px, taken like x.' },
      {
        name: 'node_id',
        type: 'int64',
        nullable: true,
        description:
          "rrweb mirror node id the event targets (data.id, or the last sampled position's id for MouseMove, TouchMove and Drag).",
      },
      {
        name: 'tag',
        type: 'string',
        nullable: true,
        description: `Custom event tag (type 5) or plugin name (type 6), cut to ${CAP}; null for other types.`,
      },
      {
        name: 'bytes',
        type: 'int64',
        nullable: false,
        description: "UTF-8 byte length of the event's line in the raw blob.",
      },
    ],
  },
  clicks: {
    name: 'clicks',
    description:
      "One row per click by PostHog's definition (MouseInteraction Click, ContextMenu, DblClick, TouchEnd), so per-session row counts match PostHog's click_count.",
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id; null when the source line carried none.',
      },
      { name: 'seq', type: 'int64', nullable: false, description: 'seq of the MouseInteraction event in events.' },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "The event's client timestamp, fractional milliseconds floored.",
      },
      {
        name: 'interaction_type',
        type: 'int32',
        nullable: false,
        description: 'rrweb MouseInteractions number: 2 Click, 3 ContextMenu, 4 DblClick or 9 TouchEnd.',
      },
      { name: 'interaction_name', type: 'string', nullable: false, description: 'rrweb MouseInteractions name.' },
      {
        name: 'x',
        type: 'double',
        nullable: true,
        description: "Viewport x in CSS px (data.x, the DOM event's clientX).",
      },
      {
        name: 'y',
        type: 'double',
        nullable: true,
        description: "Viewport y in CSS px (data.y, the DOM event's clientY).",
      },
      {
        name: 'node_id',
        type: 'int64',
        nullable: true,
        description: 'rrweb mirror node id of the clicked element (data.id).',
      },
      {
        name: 'pointer_type',
        type: 'string',
        nullable: true,
        description:
          "'mouse', 'pen' or 'touch' from data.pointerType (rrweb PointerTypes 0, 1, 2); null when absent or unknown.",
      },
      {
        name: 'url',
        type: 'string',
        nullable: true,
        description: `The window's current href at the click: the latest Meta href or $pageview/$url_changed payload href before it, cut to ${CAP}.`,
      },
      {
        name: 'is_rage_click',
        type: 'boolean',
        nullable: false,
        description:
          "True for every Click in a burst posthog-js's rage-click rule fires on (3+ Clicks in one window, each under 1000 ms and under 30 px |dx|+|dy| from the previous); false otherwise, including all non-Click types.",
      },
    ],
  },
  pageviews: {
    name: 'pageviews',
    description:
      'One row per page seen in a window: every Meta event with an href and every $pageview/$url_changed custom event with a payload href, except that a Meta and such a custom event for the same href (ignoring any #fragment) in the same window at most 1000 ms apart, in either order, form one row describing the Meta.',
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id; null when the source line carried none.',
      },
      {
        name: 'seq',
        type: 'int64',
        nullable: false,
        description: 'seq of the event the row describes (the Meta when one was collapsed with a custom event).',
      },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "That event's client timestamp, fractional milliseconds floored.",
      },
      {
        name: 'url',
        type: 'string',
        nullable: false,
        description: `The href (Meta data.href or custom payload.href, trimmed), cut to ${CAP}; on mobile the screen name.`,
      },
      {
        name: 'trigger',
        type: 'string',
        nullable: false,
        description:
          "'meta' (an rrweb Meta, i.e. a page load or full-snapshot checkout, possibly with a collapsed custom event), '$pageview' or '$url_changed'.",
      },
      {
        name: 'same_url_as_previous',
        type: 'boolean',
        nullable: false,
        description:
          "True when the window's previous pageview row had the same url, as for reloads and for the Meta rrweb re-emits with every periodic full snapshot.",
      },
      {
        name: 'viewport_width',
        type: 'int32',
        nullable: true,
        description:
          "Viewport width in CSS px: the Meta's width, else the window's latest Meta or ViewportResize width.",
      },
      {
        name: 'viewport_height',
        type: 'int32',
        nullable: true,
        description: 'Viewport height in CSS px, taken like viewport_width.',
      },
      {
        name: 'time_on_page_ms',
        type: 'int64',
        nullable: false,
        description:
          "Milliseconds until the window's next pageview row, or for its last one until the window's last event.",
      },
    ],
  },
  console_logs: {
    name: 'console_logs',
    description:
      "One row per rrweb/console@1 plugin event, so per-bucket row counts match PostHog's console_*_count when console log ingestion was on.",
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id; null when the source line carried none.',
      },
      { name: 'seq', type: 'int64', nullable: false, description: 'seq of the plugin event in events.' },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "The event's client timestamp, fractional milliseconds floored.",
      },
      {
        name: 'level',
        type: 'string',
        nullable: true,
        description: `The console method as recorded (payload.level: log, info, warn, error, assert, count, table, …), cut to ${CAP}; null when not a string.`,
      },
      {
        name: 'level_bucket',
        type: 'string',
        nullable: false,
        description:
          "PostHog's bucket: 'warn' for warn and countReset, 'error' for error and assert, 'log' for every other or missing level.",
      },
      {
        name: 'message',
        type: 'string',
        nullable: false,
        description: `payload.payload items joined with ' ' (strings as recorded, so rrweb's JSON quoting stays; other values as JSON), cut to ${CAP}; '' when absent.`,
      },
      {
        name: 'trace',
        type: 'string',
        nullable: true,
        description: `payload.trace stack frames joined with '\\n', cut to ${CAP}; null when absent.`,
      },
      {
        name: 'truncated',
        type: 'boolean',
        nullable: false,
        description: 'True when message or trace was cut at the cap.',
      },
      {
        name: 'url',
        type: 'string',
        nullable: true,
        description: `The window's current href when the message was logged (latest Meta or $pageview/$url_changed href), cut to ${CAP}.`,
      },
    ],
  },
  network_requests: {
    name: 'network_requests',
    description:
      "One row per entry of payload.requests in rrweb/network@1 plugin events: PerformanceResourceTiming fields plus what posthog-js's fetch/XHR wrapper adds (method, status, headers, bodies).",
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id; null when the source line carried none.',
      },
      { name: 'seq', type: 'int64', nullable: false, description: 'seq of the plugin event in events.' },
      {
        name: 'request_index',
        type: 'int32',
        nullable: false,
        description: 'Index of the entry in payload.requests (gaps mark entries that were not objects).',
      },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "The plugin event's client timestamp, fractional milliseconds floored.",
      },
      {
        name: 'request_timestamp',
        type: 'timestamp_ms',
        nullable: true,
        description: "Epoch ms when the request started (posthog-js's floor(timeOrigin + startTime)).",
      },
      {
        name: 'url',
        type: 'string',
        nullable: true,
        description: `Request URL (the entry's name; for entry_type 'serverTiming' the server-timing metric name), cut to ${CAP}.`,
      },
      {
        name: 'method',
        type: 'string',
        nullable: true,
        description: 'HTTP method from the fetch/XHR wrapper; null for timing-only entries.',
      },
      {
        name: 'status',
        type: 'int32',
        nullable: true,
        description:
          "HTTP status: the wrapper's status, else the timing entry's responseStatus (0 when the browser hid it).",
      },
      {
        name: 'initiator_type',
        type: 'string',
        nullable: true,
        description: 'initiatorType: fetch, xmlhttprequest, script, link, img, navigation, …',
      },
      {
        name: 'entry_type',
        type: 'string',
        nullable: true,
        description:
          "entryType: 'resource', 'navigation', or 'serverTiming' for server-timing metrics posthog-js splits out.",
      },
      {
        name: 'start_time_ms',
        type: 'double',
        nullable: true,
        description: "startTime in ms since the page's timeOrigin (posthog-js rounds it).",
      },
      {
        name: 'end_time_ms',
        type: 'double',
        nullable: true,
        description: "posthog-js's endTime: responseEnd in ms since timeOrigin, rounded.",
      },
      {
        name: 'duration_ms',
        type: 'double',
        nullable: true,
        description: 'duration in ms as the browser reported it.',
      },
      {
        name: 'request_start_ms',
        type: 'double',
        nullable: true,
        description: 'requestStart in ms since timeOrigin (0 when the browser hid cross-origin timing).',
      },
      {
        name: 'response_start_ms',
        type: 'double',
        nullable: true,
        description: 'responseStart in ms since timeOrigin; minus request_start_ms it is the time to first byte.',
      },
      {
        name: 'transfer_size',
        type: 'int64',
        nullable: true,
        description: 'transferSize in bytes (0 for cache hits and hidden cross-origin sizes).',
      },
      { name: 'encoded_body_size', type: 'int64', nullable: true, description: 'encodedBodySize in bytes.' },
      { name: 'decoded_body_size', type: 'int64', nullable: true, description: 'decodedBodySize in bytes.' },
      {
        name: 'next_hop_protocol',
        type: 'string',
        nullable: true,
        description: "nextHopProtocol (e.g. 'http/1.1', 'h2', 'h3').",
      },
      {
        name: 'content_type',
        type: 'string',
        nullable: true,
        description: "The timing entry's response contentType (newer Chromium only).",
      },
      {
        name: 'is_initial',
        type: 'boolean',
        nullable: true,
        description:
          'True for entries posthog-js read from the performance buffer before wrapping fetch/XHR (never with method or bodies); null when not stated.',
      },
      {
        name: 'request_headers_json',
        type: 'json',
        nullable: true,
        description: 'requestHeaders as a JSON object when header capture was on.',
      },
      {
        name: 'response_headers_json',
        type: 'json',
        nullable: true,
        description: 'responseHeaders as a JSON object when header capture was on.',
      },
      {
        name: 'request_body',
        type: 'string',
        nullable: true,
        description: `requestBody as captured (posthog-js may have masked or cut it), cut to ${CAP}; null when not captured.`,
      },
      {
        name: 'response_body',
        type: 'string',
        nullable: true,
        description: `responseBody as captured, cut to ${CAP}; null when not captured.`,
      },
      {
        name: 'body_truncated',
        type: 'boolean',
        nullable: false,
        description: 'True when request_body or response_body was cut at the cap.',
      },
    ],
  },
  custom_events: {
    name: 'custom_events',
    description:
      'One row per rrweb Custom event (type 5): posthog-js markers such as $pageview, $url_changed, $recording_started, sessionIdle, and app-defined ones.',
    columns: [
      { name: 'session_id', type: 'string', nullable: false, description: "PostHog's session id." },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'window_id',
        type: 'string',
        nullable: true,
        description: 'posthog-js window (tab) id; null when the source line carried none.',
      },
      { name: 'seq', type: 'int64', nullable: false, description: 'seq of the custom event in events.' },
      {
        name: 'timestamp',
        type: 'timestamp_ms',
        nullable: false,
        description: "The event's client timestamp, fractional milliseconds floored.",
      },
      { name: 'tag', type: 'string', nullable: true, description: `data.tag, cut to ${CAP}; null when not a string.` },
      {
        name: 'payload_json',
        type: 'json',
        nullable: true,
        description: 'data.payload re-serialised as JSON, uncut because a cut would not parse; null when absent.',
      },
    ],
  },
  export_errors: {
    name: 'export_errors',
    description:
      'One row per problem the export recorded and worked around (an unreadable block, a line that is not rrweb, a session it could not finish).',
    columns: [
      {
        name: 'session_id',
        type: 'string',
        nullable: true,
        description: "PostHog's session id; null when the error concerns a whole batch file.",
      },
      {
        name: 'team_id',
        type: 'int64',
        nullable: false,
        description: 'PostHog project (team) id; also a partition path segment.',
      },
      {
        name: 'export_window_id',
        type: 'string',
        nullable: false,
        description: 'Deterministic id of the export window that hit the error.',
      },
      {
        name: 'location',
        type: 'string',
        nullable: false,
        description: 'Where: a block URL, an object key (with byte range or line number), or a ClickHouse row.',
      },
      {
        name: 'error_class',
        type: 'string',
        nullable: false,
        description: "The error's stable class name, e.g. 'BadSnapshotLineError', 'CvDecodeError'.",
      },
      { name: 'message', type: 'string', nullable: false, description: 'Human-readable detail.' },
      {
        name: 'event_timestamp',
        type: 'timestamp_ms',
        nullable: true,
        description: 'Timestamp of the affected event when the error concerns one; never the time the export ran.',
      },
    ],
  },
} as const satisfies Record<TableName, TableSpec>;

/** The column names of one table, so the normaliser's row literals are checked against the schema at compile time. */
export type ColumnName<T extends TableName> = (typeof TABLES)[T]['columns'][number]['name'];

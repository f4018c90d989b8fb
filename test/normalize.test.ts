import { REAL_POSTHOG_JS } from './support/fixtures';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TABLES, TEXT_CAP_CHARS } from '../activities/lake-tables';
import type { TableName } from '../activities/lake-tables';
import type { ColumnSpec } from '../activities/lake-schema';
import { SessionNormalizer, emptyRows, normalizeSession } from '../activities/normalize';
import type { DerivedTable, NormalizedEvent, NormalizerState, Row, SessionRows } from '../activities/normalize';
import type { RrwebEvent } from '../activities/source/snapshot-events';

const FIXTURE = REAL_POSTHOG_JS;

interface SummarySession {
  session_id: string;
  window_ids: string[];
  rrweb_event_count: number;
  events_by_type: Record<string, number>;
  incremental_by_source: Record<string, number>;
  mouse_interactions_by_type: Record<string, number>;
  click_count: number;
  keypress_count: number;
  mouse_activity_count: number;
  console_by_level: Record<string, number>;
  console_by_bucket: Record<string, number>;
  network_requests: number;
  network_requests_by_status: Record<string, number>;
  custom_event_tags: Record<string, number>;
  meta_hrefs: { timestamp: number; window_id: string; href: string; width: number; height: number }[];
  min_timestamp: number;
  max_timestamp: number;
}

interface SnapshotLine {
  properties: { $session_id: string; $window_id: string; $snapshot_data: RrwebEvent[] };
}

/** The fixture's $snapshot events as the readers would hand them over: blob-v2 lines, undecoded, in time order. */
function fixtureSessions(): Map<string, NormalizedEvent[]> {
  const bySession = new Map<string, NormalizedEvent[]>();
  for (const line of readFileSync(`${FIXTURE}/snapshots.jsonl`, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const { properties: p } = JSON.parse(line) as SnapshotLine;
    const events = bySession.get(p.$session_id) ?? [];
    for (const event of p.$snapshot_data) {
      events.push({ windowId: p.$window_id, event, bytes: Buffer.byteLength(JSON.stringify([p.$window_id, event])) });
    }
    bySession.set(p.$session_id, events);
  }
  for (const events of bySession.values()) events.sort((a, b) => a.event.timestamp - b.event.timestamp);
  return bySession;
}

function countBy(rows: readonly Row[], key: (row: Row) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) out[key(row)] = (out[key(row)] ?? 0) + 1;
  return out;
}

function valueMatches(column: ColumnSpec, value: unknown): boolean {
  if (value === null) return column.nullable;
  switch (column.type) {
    case 'string':
      return typeof value === 'string';
    case 'int32':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'int64':
    case 'timestamp_ms':
      return Number.isSafeInteger(value);
    case 'double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string_list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'json':
      if (typeof value !== 'string') return false;
      try {
        JSON.parse(value);
        return true;
      } catch {
        return false;
      }
  }
}

const ROW_TABLES = ['events', 'clicks', 'pageviews', 'console_logs', 'network_requests', 'custom_events'] as const;

/** Every row has exactly its table's columns, each value of the declared type and nullability. */
function expectRowsMatchSchema(rows: SessionRows): void {
  for (const table of ROW_TABLES) {
    const spec = TABLES[table];
    const names = spec.columns.map((c) => c.name).sort();
    for (const row of rows[table]) {
      expect(Object.keys(row).sort(), table).toEqual(names);
      const bad = spec.columns.filter((c) => !valueMatches(c, row[c.name]));
      expect(
        bad.map((c) => `${table}.${c.name}=${JSON.stringify(row[c.name])}`),
        JSON.stringify(row),
      ).toEqual([]);
    }
  }
}

describe('table specs', () => {
  it('name their table, and every table has session_id and team_id but no dt', () => {
    for (const [name, spec] of Object.entries(TABLES) as [TableName, (typeof TABLES)[TableName]][]) {
      const columns: readonly ColumnSpec[] = spec.columns;
      expect(spec.name).toBe(name);
      const names = columns.map((c) => c.name);
      expect(new Set(names).size, name).toBe(names.length);
      expect(names).toContain('session_id');
      expect(names).toContain('team_id');
      expect(names).not.toContain('dt');
      for (const c of columns) {
        expect(c.name, name).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(c.description.length, `${name}.${c.name}`).toBeGreaterThan(10);
      }
    }
  });
});

describe('normalizeSession on real posthog-js recordings', () => {
  const summary = JSON.parse(readFileSync(`${FIXTURE}/summary.json`, 'utf8')) as { sessions: SummarySession[] };
  const sessions = fixtureSessions();

  it.each(summary.sessions.map((s) => [s.session_id, s] as const))('%s matches summary.json', (sessionId, expected) => {
    const events = sessions.get(sessionId);
    if (events === undefined) throw new Error(`fixture has no session ${sessionId}`);
    const rows = normalizeSession({ sessionId, teamId: 7 }, events);
    expectRowsMatchSchema(rows);

    expect(rows.eventCount).toBe(expected.rrweb_event_count);
    expect(rows.events).toHaveLength(expected.rrweb_event_count);
    expect(rows.windowCount).toBe(expected.window_ids.length);
    expect(rows.startMs).toBe(expected.min_timestamp);
    expect(rows.endMs).toBe(expected.max_timestamp);
    expect(rows.rrwebBytes).toBe(events.reduce((n, e) => n + e.bytes, 0));
    expect(rows.events.map((r) => r.seq)).toEqual(events.map((_, i) => i));

    expect(countBy(rows.events, (r) => `${String(r.type)} ${String(r.type_name)}`)).toEqual(expected.events_by_type);
    const incremental = rows.events.filter((r) => r.type === 3);
    expect(countBy(incremental, (r) => `${String(r.source)} ${String(r.source_name)}`)).toEqual(
      expected.incremental_by_source,
    );
    const interactions = incremental.filter((r) => r.source === 2);
    expect(countBy(interactions, (r) => `${String(r.interaction_type)} ${String(r.interaction_name)}`)).toEqual(
      expected.mouse_interactions_by_type,
    );
    expect(incremental.filter((r) => r.source === 5)).toHaveLength(expected.keypress_count);
    expect(incremental.filter((r) => r.source === 1 || r.source === 2 || r.source === 6)).toHaveLength(
      expected.mouse_activity_count,
    );
    // Every pointer event of the real SDK carries a position.
    for (const r of incremental.filter((r) => r.source === 1 || r.source === 3)) {
      expect(typeof r.x).toBe('number');
      expect(typeof r.y).toBe('number');
    }

    expect(rows.clicks).toHaveLength(expected.click_count);
    expect(rows.clicks.filter((c) => c.is_rage_click)).toEqual([]);
    for (const click of rows.clicks) {
      expect(click.url).toBe(
        expected.meta_hrefs.filter((m) => m.timestamp <= (click.timestamp as number)).at(-1)?.href ?? null,
      );
      expect(click.pointer_type).toBe(click.interaction_type === 2 ? 'mouse' : null);
    }

    expect(countBy(rows.console_logs, (r) => String(r.level))).toEqual(expected.console_by_level);
    const buckets = { log: 0, warn: 0, error: 0, ...countBy(rows.console_logs, (r) => String(r.level_bucket)) };
    expect(buckets).toEqual(expected.console_by_bucket);

    expect(rows.network_requests).toHaveLength(expected.network_requests);
    expect(countBy(rows.network_requests, (r) => String(r.status))).toEqual(expected.network_requests_by_status);

    expect(countBy(rows.custom_events, (r) => String(r.tag))).toEqual(expected.custom_event_tags);

    expect(
      rows.pageviews.map((p) => ({
        timestamp: p.timestamp,
        window_id: p.window_id,
        href: p.url,
        width: p.viewport_width,
        height: p.viewport_height,
      })),
    ).toEqual(expected.meta_hrefs);
    expect(rows.pageviews.every((p) => p.trigger === 'meta')).toBe(true);
    const ends = [...expected.meta_hrefs.slice(1).map((m) => m.timestamp), expected.max_timestamp];
    expect(rows.pageviews.map((p) => p.time_on_page_ms)).toEqual(
      expected.meta_hrefs.map((m, i) => (ends[i] ?? 0) - m.timestamp),
    );
  });

  it('continues from a checkpoint of its state exactly as if it had never stopped', () => {
    // A batch checkpoints a long session mid-stream and a retry continues from the stored state: every split point
    // (here with clicks, bursts and pageviews waiting at the time) must give the same rows as one pass.
    for (const [sessionId, events] of sessions) {
      const whole = normalizeSession({ sessionId, teamId: 7 }, events);
      for (const split of [1, 37, Math.floor(events.length / 2), events.length - 3]) {
        const rows = emptyRows();
        const sink = (table: DerivedTable, row: Row) => rows[table].push(structuredClone(row));
        const first = new SessionNormalizer({ sessionId, teamId: 7 }, sink);
        events.slice(0, split).forEach((e, i) => first.push(e.windowId, e.event, i, e.bytes));
        const stored = JSON.parse(JSON.stringify(first.state())) as NormalizerState;
        const second = new SessionNormalizer({ sessionId, teamId: 7 }, sink, stored);
        events.slice(split).forEach((e, i) => second.push(e.windowId, e.event, split + i, e.bytes));
        const summary = second.finish();
        expect({ ...rows, ...summary }, `${sessionId} split at ${split}`).toEqual(whole);
      }
    }
  });

  it('keeps console text as recorded and network fields from the wrapper', () => {
    const rows = normalizeSession(
      { sessionId: '01a21a55-0ab3-769c-a488-583d265786e1', teamId: 7 },
      sessions.get('01a21a55-0ab3-769c-a488-583d265786e1') ?? [],
    );
    expect(rows.console_logs[0]).toMatchObject({
      level: 'log',
      level_bucket: 'log',
      message: '"user clicked log" 42 {"nested":{"a":[1,2,3]}}',
      trace: 'document.getElementById.onclick (http://shop.realrec.test:8010/console.html:77:62)',
      truncated: false,
      url: 'http://shop.realrec.test:8010/console.html',
    });
    const post = rows.network_requests.find((r) => r.method === 'POST');
    expect(post).toMatchObject({
      url: 'http://shop.realrec.test:8010/api/echo',
      status: 200,
      initiator_type: 'fetch',
      entry_type: 'resource',
      request_timestamp: 1795738117848,
      request_body: '{"hello":"world","n":3}',
      response_body: '{"ok":true,"received":{"hello":"world","n":3}}',
      body_truncated: false,
      is_initial: null,
      next_hop_protocol: 'http/1.1',
      content_type: 'application/json',
    });
    expect(JSON.parse(String(post?.request_headers_json))).toEqual({
      'content-type': 'application/json',
      'x-request-source': 'realrec',
    });
    const initial = rows.network_requests.filter((r) => r.is_initial === true);
    expect(initial).toHaveLength(4);
    expect(initial.every((r) => r.method === null && r.status === 200)).toBe(true);
  });
});

const W = 'window-a';
const session = { sessionId: 'session-1', teamId: 2 };

function ev(timestamp: number, type: number, data: unknown, windowId = W): NormalizedEvent {
  const event: RrwebEvent = { type, timestamp, data };
  return { windowId, event, bytes: Buffer.byteLength(JSON.stringify([windowId, event])) };
}

const click = (t: number, x: number, y: number, windowId = W): NormalizedEvent =>
  ev(t, 3, { source: 2, type: 2, id: 9, x, y, pointerType: 0 }, windowId);

describe('rage clicks (posthog-js rageclick.ts: 3 clicks, each < 30 px and < 1000 ms from the previous)', () => {
  it('marks every click of a burst and nothing else', () => {
    const rows = normalizeSession(session, [
      click(1000, 100, 100), // alone: the next click is too far away
      click(1100, 200, 200), // burst start
      click(1300, 210, 210), // |dx|+|dy| = 20
      click(1500, 205, 205), // third: posthog-js fires here
      click(2400, 205, 206), // 900 ms later: still the burst
      click(3500, 205, 206), // 1100 ms later: a new chain
      click(3600, 205, 206), // two quick clicks are not a rage click
      click(5000, 0, 0),
      click(5100, 29, 0), // 29 px: chains
      click(5200, 59, 0), // 30 px from the previous: breaks the chain
    ]);
    expect(rows.clicks.map((c) => c.is_rage_click)).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expectRowsMatchSchema(rows);
  });

  it('keeps bursts per window and ignores non-Click interactions', () => {
    const rows = normalizeSession(session, [
      click(1000, 10, 10, 'a'),
      click(1100, 10, 10, 'b'),
      click(1200, 10, 10, 'a'),
      ev(1250, 3, { source: 2, type: 4, id: 9, x: 10, y: 10 }, 'a'), // DblClick: a click row, not part of a burst
      click(1300, 10, 10, 'b'),
      click(1400, 10, 10, 'a'),
    ]);
    expect(rows.clicks.map((c) => [c.window_id, c.interaction_name, c.is_rage_click])).toEqual([
      ['a', 'Click', true],
      ['b', 'Click', false],
      ['a', 'Click', true],
      ['a', 'DblClick', false],
      ['b', 'Click', false],
      ['a', 'Click', true],
    ]);
  });
});

describe('pageviews', () => {
  const meta = (t: number, href: string, windowId = W): NormalizedEvent =>
    ev(t, 4, { href, width: 1024, height: 768 }, windowId);
  const custom = (t: number, tag: string, href: string, windowId = W): NormalizedEvent =>
    ev(t, 5, { tag, payload: { href } }, windowId);

  it('collapses a Meta and a same-href custom event ≤ 1 s apart, in either order, into the Meta', () => {
    const rows = normalizeSession(session, [
      meta(1000, 'https://a.test/x#top'),
      custom(1400, '$pageview', 'https://a.test/x'), // same page load, posthog-js's hashless href
      ev(4800, 3, { source: 4, width: 800, height: 600 }), // ViewportResize
      custom(5000, '$url_changed', 'https://a.test/y'), // SPA navigation
      custom(9000, '$pageview', 'https://a.test/z'),
      meta(9600, 'https://a.test/z'), // Meta after its custom event: the row becomes the Meta's
      meta(12000, 'https://a.test/z'), // periodic full snapshot: a new row flagged as a repeat
      custom(14000, '$pageview', 'https://a.test/q'),
      meta(15500, 'https://a.test/q'), // 1.5 s later: not the same load
      ev(16000, 3, { source: 2, type: 2, id: 1, x: 1, y: 1 }),
    ]);
    expect(rows.pageviews.map((p) => [p.seq, p.timestamp, p.url, p.trigger, p.same_url_as_previous])).toEqual([
      [0, 1000, 'https://a.test/x#top', 'meta', false],
      [3, 5000, 'https://a.test/y', '$url_changed', false],
      [5, 9600, 'https://a.test/z', 'meta', false],
      [6, 12000, 'https://a.test/z', 'meta', true],
      [7, 14000, 'https://a.test/q', '$pageview', false],
      [8, 15500, 'https://a.test/q', 'meta', true],
    ]);
    expect(rows.pageviews.map((p) => [p.viewport_width, p.viewport_height, p.time_on_page_ms])).toEqual([
      [1024, 768, 4000],
      [800, 600, 4600],
      [1024, 768, 2400],
      [1024, 768, 2000],
      [1024, 768, 1500],
      [1024, 768, 500],
    ]);
    expect(rows.clicks[0]?.url).toBe('https://a.test/q');
    expectRowsMatchSchema(rows);
  });

  it('keeps windows apart', () => {
    const rows = normalizeSession(session, [
      meta(1000, 'https://a.test/', 'a'),
      custom(1100, '$pageview', 'https://a.test/', 'b'),
      meta(3000, 'https://a.test/next', 'a'),
      ev(4000, 3, { source: 1, positions: [{ x: 1, y: 2, id: 3, timeOffset: -10 }] }, 'b'),
    ]);
    expect(rows.pageviews.map((p) => [p.window_id, p.trigger, p.time_on_page_ms])).toEqual([
      ['a', 'meta', 2000],
      ['b', '$pageview', 2900],
      ['a', 'meta', 0],
    ]);
    expect(rows.windowCount).toBe(2);
    expect(rows.events[3]).toMatchObject({ source_name: 'MouseMove', x: 1, y: 2, node_id: 3 });
  });
});

describe('malformed and unknown events', () => {
  it('become rows without throwing', () => {
    const huge = 'x'.repeat(TEXT_CAP_CHARS + 10);
    const events: NormalizedEvent[] = [
      ev(1000.7, 99, { anything: true }),
      ev(1001, 3, null),
      ev(1002, 3, 'not an object'),
      ev(1003, 3, { source: 42, id: 5 }),
      ev(1004, 3, { source: 2, type: 77, id: 'x' }),
      ev(1005, 3, { source: 2, type: 2 }), // a click without coordinates
      ev(1006, 3, { source: 1, positions: 'nope' }),
      ev(1007, 3, { source: 1, positions: [] }),
      ev(1008, 4, { href: 42, width: '1024' }),
      ev(1009, 5, { payload: { href: 'https://a.test/' } }), // no tag
      ev(1010, 5, { tag: '$pageview' }), // no payload
      ev(1011, 6, { plugin: 'rrweb/console@1' }), // plugin payload missing
      ev(1012, 6, { plugin: 'rrweb/console@1', payload: { level: 5, payload: [null, 1, { a: 1 }], trace: 'x' } }),
      ev(1013, 6, { plugin: 'rrweb/console@1', payload: { level: 'warn', payload: [huge] } }),
      ev(1014, 6, { plugin: 'rrweb/network@1' }), // plugin payload missing
      ev(1015, 6, { plugin: 'rrweb/network@1', payload: { requests: 'nope' } }),
      ev(1016, 6, { plugin: 'rrweb/network@1', payload: { requests: [null, 7, { status: 'x', responseBody: huge }] } }),
      ev(1017, 6, { plugin: 'rrweb/network@1', payload: { isInitial: true, requests: [{ name: 'https://a.test/' }] } }),
      ev(1017, 6, { plugin: 'someone/else@1', payload: [1, 2] }),
      ev(1018, 6, null),
      { windowId: '', event: { type: 2.5, timestamp: 1019 }, bytes: 10 },
    ];
    const rows = normalizeSession(session, events);
    expectRowsMatchSchema(rows);

    expect(rows.events).toHaveLength(events.length);
    expect(rows.events[0]).toMatchObject({ type: 99, type_name: 'Unknown(99)', timestamp: 1000, source: null });
    expect(rows.events[3]).toMatchObject({ source: 42, source_name: 'Unknown(42)', node_id: 5 });
    expect(rows.events[4]).toMatchObject({ interaction_type: 77, interaction_name: 'Unknown(77)', node_id: null });
    expect(rows.events[20]).toMatchObject({ type: -1, type_name: 'Unknown(2.5)', window_id: null });
    expect(rows.windowCount).toBe(2);

    expect(rows.clicks).toEqual([expect.objectContaining({ seq: 5, x: null, y: null, is_rage_click: false })]);
    expect(rows.pageviews).toEqual([]);
    expect(rows.custom_events.map((r) => [r.tag, r.payload_json])).toEqual([
      [null, '{"href":"https://a.test/"}'],
      ['$pageview', null],
    ]);

    expect(rows.console_logs.map((r) => [r.level, r.level_bucket, r.message, r.trace, r.truncated])).toEqual([
      [null, 'log', '', null, false],
      [null, 'log', 'null 1 {"a":1}', null, false],
      ['warn', 'warn', huge.slice(0, TEXT_CAP_CHARS), null, true],
    ]);

    expect(rows.network_requests).toHaveLength(2);
    expect(rows.network_requests[0]).toMatchObject({
      request_index: 2,
      status: null,
      url: null,
      response_body: huge.slice(0, TEXT_CAP_CHARS),
      body_truncated: true,
    });
    // The batch-level isInitial covers entries that do not state it themselves.
    expect(rows.network_requests[1]).toMatchObject({ url: 'https://a.test/', is_initial: true, body_truncated: false });
  });

  it('never cuts inside a surrogate pair', () => {
    const message = 'a'.repeat(TEXT_CAP_CHARS - 1) + '😀';
    const rows = normalizeSession(session, [
      ev(1, 6, { plugin: 'rrweb/console@1', payload: { level: 'log', payload: [message] } }),
    ]);
    expect(rows.console_logs[0]?.message).toBe('a'.repeat(TEXT_CAP_CHARS - 1));
    expect(rows.console_logs[0]?.truncated).toBe(true);
  });

  it('returns zeros for a session without events', () => {
    const rows = normalizeSession(session, []);
    expect(rows).toMatchObject({ eventCount: 0, windowCount: 0, rrwebBytes: 0, startMs: 0, endMs: 0, events: [] });
  });
});

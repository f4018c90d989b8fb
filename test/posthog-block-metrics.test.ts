import { REAL_POSTHOG_JS } from './support/fixtures';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  activeMilliseconds,
  batchFileKey,
  blockUrl,
  clickHouseTimestamp,
  computeBlockMetrics,
  computeV1MessageMetrics,
  retentionDays,
  serializeBlockLine,
  toIngestedEvent,
  type BlockEvent,
} from '../infra/sample/posthog-block-metrics';

type Ev = BlockEvent['event'];
const W = 'window-1';
const on = { consoleLogIngestionEnabled: true, messageCount: 1 };
const block = (events: Ev[], windowId = W): BlockEvent[] => events.map((event) => ({ windowId, event }));
const metrics = (events: Ev[], opts = on) => computeBlockMetrics(block(events), opts);

const inc = (timestamp: number, source: number, extra: Record<string, unknown> = {}): Ev => ({
  type: 3,
  timestamp,
  data: { source, ...extra },
});
const mouse = (timestamp: number, interaction: number): Ev => inc(timestamp, 2, { type: interaction, id: 1 });
const meta = (timestamp: number, href: unknown): Ev => ({ type: 4, timestamp, data: { href, width: 1, height: 1 } });
const custom = (timestamp: number, tag: string, payload: unknown): Ev => ({
  type: 5,
  timestamp,
  data: { tag, payload },
});
const consoleEvent = (timestamp: number, level: unknown): Ev => ({
  type: 6,
  timestamp,
  data: { plugin: 'rrweb/console@1', payload: { level, payload: ['x'], trace: [] } },
});

describe('counters', () => {
  it('counts MouseInteraction types 2, 3, 4, 9 as clicks and no others', () => {
    const clicks = [2, 3, 4, 9].map((t, i) => mouse(1000 + i, t));
    const notClicks = [0, 1, 5, 6, 7, 8, 10].map((t, i) => mouse(2000 + i, t));
    // A Click-typed payload outside source 2 or outside IncrementalSnapshot is not a click.
    const lookalikes: Ev[] = [inc(3000, 5, { type: 2 }), { type: 2, timestamp: 3001, data: { source: 2, type: 2 } }];
    expect(metrics([...clicks, ...notClicks, ...lookalikes]).clickCount).toBe(4);
  });

  it('counts keypresses as Input (source 5) events only', () => {
    const m = metrics([inc(1, 5, { id: 1, text: 'a' }), inc(2, 5, { id: 1, text: 'ab' }), inc(3, 2, { type: 2 })]);
    expect(m.keypressCount).toBe(2);
    expect(metrics([{ type: 5, timestamp: 1, data: { source: 5 } }]).keypressCount).toBe(0);
  });

  it('counts mouse activity for sources 1, 2 and 6, one per event', () => {
    const events = [0, 1, 2, 3, 4, 5, 6, 7, 12].map((source, i) => inc(1000 + i, source, { positions: [{}, {}] }));
    expect(metrics(events).mouseActivityCount).toBe(3);
  });

  it('ignores events whose data is not an object (cv-compressed FullSnapshot)', () => {
    const m = metrics([
      { type: 2, timestamp: 5, data: '\u001f\u008b...' },
      { type: 3, timestamp: 6 },
    ]);
    expect(m).toMatchObject({ clickCount: 0, keypressCount: 0, mouseActivityCount: 0, firstUrl: null, eventCount: 2 });
  });
});

describe('active milliseconds', () => {
  it('splits active segments on a gap over 5000 ms and sums max(1, duration)', () => {
    const events = [inc(1000, 1), inc(2000, 1), inc(7001, 1), inc(8001, 1)];
    expect(metrics(events).activeMilliseconds).toBe(1000 + 1000);
    // A gap of exactly 5000 ms stays in the segment.
    expect(metrics([inc(1000, 1), inc(6000, 1)]).activeMilliseconds).toBe(5000);
    // A lone active event counts 1 ms.
    expect(metrics([inc(1000, 1)]).activeMilliseconds).toBe(1);
  });

  it('lets inactive events within the threshold stretch an active segment', () => {
    const events = [meta(500, 'u'), inc(1000, 2, { type: 2 }), meta(3000, 'u'), meta(6000, 'u'), meta(6001, 'u')];
    expect(metrics(events).activeMilliseconds).toBe(5000);
  });

  it('sorts events by timestamp first, across windows', () => {
    const ordered = [inc(1000, 1), inc(2000, 1), inc(3000, 1)];
    const shuffled: BlockEvent[] = [
      { windowId: 'b', event: inc(3000, 1) },
      { windowId: 'a', event: inc(1000, 1) },
      { windowId: 'b', event: inc(2000, 1) },
    ];
    expect(metrics(ordered).activeMilliseconds).toBe(2000);
    expect(computeBlockMetrics(shuffled, on).activeMilliseconds).toBe(2000);
    expect(computeBlockMetrics(shuffled, on)).toMatchObject({ firstTimestamp: 1000, lastTimestamp: 3000 });
    // v1 segmented in arrival order: 3000 opens, 1000 and 2000 pull the end backwards, so max(1, -1000) = 1.
    expect(computeV1MessageMetrics(shuffled.map((e) => e.event)).activeMilliseconds).toBe(1);
  });

  it('floors fractional totals in v2 and rounds them in v1', () => {
    const events = [inc(1000.25, 1), inc(2000.9, 1)];
    expect(activeMilliseconds(events)).toBeCloseTo(1000.65);
    expect(metrics(events).activeMilliseconds).toBe(1000);
    expect(computeV1MessageMetrics(events).activeMilliseconds).toBe(1001);
  });
});

describe('urls', () => {
  it('trims hrefs, reads Meta data.href or custom data.payload.href, and keeps the first as first_url', () => {
    const m = metrics([
      inc(1, 1),
      meta(2, '  https://a.test/x  '),
      custom(3, '$pageview', { href: 'https://a.test/y' }),
      custom(4, '$url_changed', { href: '   ' }),
      meta(5, 42),
      { type: 5, timestamp: 6, data: { tag: 'x', payload: 'not an object' } },
      // An empty Meta href falls through to payload.href on the same event.
      { type: 4, timestamp: 7, data: { href: ' ', payload: { href: 'https://a.test/z' } } },
      meta(8, 'https://a.test/x'),
    ]);
    expect(m.firstUrl).toBe('https://a.test/x');
    expect(m.urls).toEqual(['https://a.test/x', 'https://a.test/y', 'https://a.test/z']);
  });

  it('keeps at most 25 distinct URLs per block and truncates each to 4096 UTF-16 units', () => {
    const many = Array.from({ length: 30 }, (_, i) => meta(i + 1, `https://a.test/${i}`));
    const m = metrics([...many, meta(100, 'https://a.test/0')]);
    expect(m.urls).toHaveLength(25);
    expect(m.urls[24]).toBe('https://a.test/24');
    expect(m.firstUrl).toBe('https://a.test/0');

    const long = `https://a.test/${'é'.repeat(5000)}`;
    const t = metrics([meta(1, long)]);
    expect(t.firstUrl).toHaveLength(4096);
    expect(t.urls).toEqual([long.slice(0, 4096)]);
    // v1 had neither cap nor truncation.
    const v1 = computeV1MessageMetrics([...many, meta(100, long)]);
    expect(v1.urls).toHaveLength(31);
    expect(v1.urls[30]).toBe(long);
  });
});

describe('console buckets', () => {
  const levels = [
    ['log', 'info', 'debug', 'trace', 'dir', 'dirxml', 'group', 'groupCollapsed', 'count', 'timeEnd', 'timeLog'],
    ['warn', 'countReset'],
    ['error', 'assert'],
  ];

  it('maps rrweb/console@1 levels to log/warn/error, unknown and non-string levels to log', () => {
    const unknown = ['table', 'clear', 'time', 'groupEnd', 'nonsense', 7, null, undefined];
    const events = [...levels.flat(), ...unknown].map((level, i) => consoleEvent(i + 1, level));
    const m = metrics(events);
    expect([m.consoleLogCount, m.consoleWarnCount, m.consoleErrorCount]).toEqual([11 + unknown.length, 2, 2]);
  });

  it('counts an Object.prototype member name in no bucket, as the plain-object lookup does', () => {
    const m = metrics([consoleEvent(1, 'toString'), consoleEvent(2, 'constructor'), consoleEvent(3, 'log')]);
    expect([m.consoleLogCount, m.consoleWarnCount, m.consoleErrorCount]).toEqual([1, 0, 0]);
  });

  it('ignores other plugins and is all zero when the team has console log ingestion off', () => {
    const events = [consoleEvent(1, 'error'), { type: 6, timestamp: 2, data: { plugin: 'rrweb/network@1' } }];
    expect(metrics(events).consoleErrorCount).toBe(1);
    const off = metrics(events, { consoleLogIngestionEnabled: false, messageCount: 1 });
    expect([off.consoleLogCount, off.consoleWarnCount, off.consoleErrorCount]).toEqual([0, 0, 0]);
    // v1 counted regardless of the opt-in.
    expect(computeV1MessageMetrics(events).consoleErrorCount).toBe(1);
  });
});

describe('size, counts and timestamps', () => {
  it('sums UTF-8 bytes of every JSONL line including each trailing newline', () => {
    const events = [custom(1, 'a', { text: '€ 😀 é' }), inc(2, 1)];
    const lines = [
      '["wïn",{"type":5,"timestamp":1,"data":{"tag":"a","payload":{"text":"€ 😀 é"}}}]\n',
      '["wïn",{"type":3,"timestamp":2,"data":{"source":1}}]\n',
    ];
    expect(block(events, 'wïn').map((e) => serializeBlockLine(e.windowId, e.event))).toEqual(lines);
    // € is 3 bytes, 😀 is 4 (2 UTF-16 units), é and ï are 2 each: 80 + 53 characters become 86 + 54 bytes.
    expect(lines.map((l) => l.length)).toEqual([80, 53]);
    const m = computeBlockMetrics(block(events, 'wïn'), { ...on, messageCount: 2 });
    expect(m.size).toBe(86 + 54);
    expect(m).toMatchObject({ eventCount: 2, messageCount: 2, firstTimestamp: 1, lastTimestamp: 2 });
  });

  it('takes sizes from serializedLines when the caller wrote the lines itself', () => {
    const events = block([inc(1, 1), inc(2, 1)]);
    const m = computeBlockMetrics(events, { ...on, serializedLines: ['é\n', new Uint8Array(10)] });
    expect(m.size).toBe(3 + 10);
    expect(() => computeBlockMetrics(events, { ...on, serializedLines: ['x'] })).toThrow(RangeError);
  });

  it('v1 sizes JSON.stringify(events) with no window ids or newlines and reports one message', () => {
    const events = [custom(1, 'a', { text: '€' }), inc(2, 1)];
    const m = computeV1MessageMetrics(events);
    expect(m.size).toBe(Buffer.byteLength(JSON.stringify(events)));
    expect(m).toMatchObject({ messageCount: 1, eventCount: 2 });
    expect(() => computeV1MessageMetrics([meta(1, 0)])).toThrow(TypeError);
  });

  it('rejects empty blocks and bad message counts', () => {
    expect(() => metrics([])).toThrow(RangeError);
    expect(() => metrics([inc(1, 1)], { ...on, messageCount: 0 })).toThrow(RangeError);
  });
});

describe('parser, keys and row helpers', () => {
  it('keeps events as the v2 parser does: valid timestamp only, timestamp key first', () => {
    const raw = { type: 4, data: { href: 'u' }, cv: '2024-10', delay: undefined, timestamp: 5 };
    const parsed = toIngestedEvent(raw);
    expect(JSON.stringify(parsed)).toBe('{"timestamp":5,"type":4,"data":{"href":"u"},"cv":"2024-10"}');
    expect(JSON.stringify(parsed).length).toBe(JSON.stringify(raw).length);
    for (const bad of [null, [], 'x', { type: 3 }, { timestamp: 0 }, { timestamp: -1 }, { timestamp: '5' }]) {
      expect(toIngestedEvent(bad)).toBeNull();
    }
    expect(toIngestedEvent({ timestamp: NaN })).toBeNull();
    expect(toIngestedEvent({ timestamp: 9e15 })).toBeNull();
  });

  it('builds batch keys, block URLs and retention days like the v2 writer', () => {
    expect(batchFileKey('session_recordings', '90d', 1735689600000, '9f2c1a7b3d4e5f60')).toBe(
      'session_recordings/90d/1735689600000-9f2c1a7b3d4e5f60',
    );
    expect(() => batchFileKey('p', '30d', 1, '9F2C1A7B3D4E5F60')).toThrow(RangeError);
    expect(blockUrl('posthog', 'session_recordings/30d/1-0000000000000000', 0, 99)).toBe(
      's3://posthog/session_recordings/30d/1-0000000000000000?range=bytes=0-99',
    );
    expect(() => blockUrl('b', 'k', 5, 4)).toThrow(RangeError);
    expect((['30d', '90d', '1y', '5y'] as const).map(retentionDays)).toEqual([30, 90, 365, 1825]);
  });

  it('formats ClickHouse timestamps in UTC with milliseconds truncated', () => {
    expect(clickHouseTimestamp(1795738057324)).toBe('2026-11-27 00:07:37.324');
    expect(clickHouseTimestamp(1795738057324.9)).toBe('2026-11-27 00:07:37.324');
  });
});

describe('real posthog-js fixture', () => {
  const dir = REAL_POSTHOG_JS;
  interface SnapshotLine {
    event: string;
    properties: { $session_id: string; $window_id: string; $snapshot_data: unknown[] };
  }
  interface SessionSummary {
    session_id: string;
    snapshot_messages: number;
    rrweb_event_count: number;
    click_count: number;
    keypress_count: number;
    mouse_activity_count: number;
    console_by_bucket: { log: number; warn: number; error: number };
    first_meta_href: string;
    min_timestamp: number;
    max_timestamp: number;
  }
  const lines = readFileSync(`${dir}/snapshots.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SnapshotLine);
  const summary = JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8')) as { sessions: SessionSummary[] };

  it.each(summary.sessions.map((s) => [s.session_id, s] as const))('matches summary.json for %s', (id, expected) => {
    const messages = lines.filter((l) => l.event === '$snapshot' && l.properties.$session_id === id);
    const events: BlockEvent[] = messages.flatMap((m) =>
      m.properties.$snapshot_data.map(toIngestedEvent).flatMap((event) => {
        return event ? [{ windowId: m.properties.$window_id, event }] : [];
      }),
    );
    const m = computeBlockMetrics(events, { consoleLogIngestionEnabled: true, messageCount: messages.length });
    expect(m).toMatchObject({
      clickCount: expected.click_count,
      keypressCount: expected.keypress_count,
      mouseActivityCount: expected.mouse_activity_count,
      consoleLogCount: expected.console_by_bucket.log,
      consoleWarnCount: expected.console_by_bucket.warn,
      consoleErrorCount: expected.console_by_bucket.error,
      eventCount: expected.rrweb_event_count,
      messageCount: expected.snapshot_messages,
      firstUrl: expected.first_meta_href,
      firstTimestamp: expected.min_timestamp,
      lastTimestamp: expected.max_timestamp,
    });
    // Re-keying the events (timestamp first) must not change the byte count PostHog reports.
    const rawSize = messages
      .flatMap((msg) => msg.properties.$snapshot_data.map((e) => serializeBlockLine(msg.properties.$window_id, e)))
      .reduce((sum, line) => sum + Buffer.byteLength(line), 0);
    expect(m.size).toBe(rawSize);
  });
});

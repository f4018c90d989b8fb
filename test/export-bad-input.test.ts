/**
 * Bad input costs nothing else: corrupt and truncated blocks, wrong byte ranges, missing objects, lines that are not
 * rrweb, unknown event types and a huge event each become an export_errors row (or export as-is), and every other
 * event of the session and of the window still exports.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { compressSync } from 'snappy';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime } from '../infra/sample/generate';
import type { SessionTruth } from '../infra/sample/ground-truth';
import { exportWindow } from '../workflows/export-window';
import type { ExportWindowResult } from '../workflows/export-window';
import type { ExportFixture } from './support/export-fixture';
import { SAMPLE_DAY, exportFixture, testWindow } from './support/export-fixture';
import { duckdb, table } from './support/lake';
import { kafkaReplayRow } from './support/replay-rows';

const DAY = SAMPLE_DAY;

describe('bad input in PostHog storage', () => {
  let fx: ExportFixture;
  let lakeDir: string;
  let truths: SessionTruth[];
  let target: SessionTruth;
  let v1Target: SessionTruth;
  let result: ExportWindowResult;
  const base = Date.parse('2026-10-31T12:00:00Z');

  beforeAll(async () => {
    fx = await exportFixture('bad', { sessions: 12, seed: 'bad-input', generations: ['v2', 'v1'] });
    ({ truths, lakeDir } = fx);
    const { s3, bucket } = fx;
    const clickhouse = fx.ch.client;
    target = truths.find(
      (t) => t.generation === 'v2' && !t.deleted && !t.live && t.window_ids.length === 1 && t.start_ms >= DAY,
    )!;
    v1Target = truths.find((t) => t.generation === 'v1' && !t.deleted)!;

    // Extra blocks for one session, each broken in its own way, plus two good events that must still export.
    const good = { type: 5, data: { tag: 'after-the-damage', payload: { ok: true } }, timestamp: base };
    const unknown = { type: 99, data: { whatever: [1, 2, 3] }, timestamp: base + 1 };
    const huge = {
      type: 5,
      data: { tag: 'huge', payload: { blob: 'x'.repeat(6 * 1024 * 1024) } },
      timestamp: base + 2,
    };
    const w = target.window_ids[0]!;
    const impossible = { type: 3, data: { source: 1, positions: [] }, timestamp: 1e300 };
    const mixedLines = Buffer.from(
      `${JSON.stringify([w, good])}\nthis is not json\n${JSON.stringify([w, { no: 'rrweb' }])}\n${JSON.stringify([w, unknown])}\n${JSON.stringify([w, impossible])}\n`,
    );
    const hugeBlock = compressSync(Buffer.from(`${JSON.stringify([w, huge])}\n`));
    const mixedBlock = compressSync(mixedLines);
    const key = 'session_recordings/30d/1793448000000-00000000deadbeef';
    const body = Buffer.concat([mixedBlock, hugeBlock, Buffer.from('garbage that is not snappy at all')]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const a = mixedBlock.length;
    const b = a + hugeBlock.length;
    const urls = [
      `s3://${bucket}/${key}?range=bytes=0-${a - 1}`, // readable, with bad lines inside
      `s3://${bucket}/${key}?range=bytes=${a}-${b - 1}`, // a 6 MB event
      `s3://${bucket}/${key}?range=bytes=${b}-${body.length - 1}`, // not snappy
      `s3://${bucket}/${key}?range=bytes=${body.length - 5}-${body.length + 500}`, // runs past the object's end
      `s3://${bucket}/session_recordings/30d/1793448000000-0000000000000000?range=bytes=0-99`, // no such object
      'not a url at all',
    ];
    const rows = urls.map((url, i) =>
      kafkaReplayRow({
        session_id: target.session_id,
        team_id: target.team_id,
        distinct_id: target.distinct_id,
        first_timestamp: chTime(base + i),
        last_timestamp: chTime(base + i),
        block_url: url,
        event_count: 1,
        _timestamp: chTime(base).slice(0, 19),
      }),
    );
    await clickhouse.insert({ table: 'kafka_session_replay_events', values: rows, format: 'JSONEachRow' });

    // A truncated v1 file beside the session's good ones.
    const prefix = `session_recordings/team_id/${v1Target.team_id}/session_id/${v1Target.session_id}/data/`;
    const gz = gzipSync(Buffer.from(`${JSON.stringify({ window_id: v1Target.window_ids[0], data: [good] })}\n`));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}${base}-${base + 5}`,
        Body: gz.subarray(0, gz.length - 9),
      }),
    );

    result = await fx.ex.env.client.workflow.execute(exportWindow, {
      taskQueue: 'bad',
      workflowId: 'bad-export',
      args: [testWindow({ batchSize: 4, parallelism: 2 })],
    });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('records each problem where a user will see it, with a clear class and message', async () => {
    const db = await duckdb();
    try {
      const errors = await db.rows<{ session_id: string; location: string; error_class: string; message: string }>(
        `SELECT session_id, location, error_class, message FROM ${table(lakeDir, 'export_errors')} ORDER BY location`,
      );
      const classes = errors.map((e) => e.error_class).sort();
      expect(classes).toEqual(
        [
          'BadBlockUrlError',
          'BadSnapshotLineError',
          'BadSnapshotLineError',
          'BadSnapshotLineError',
          'BlockLengthError',
          'CorruptBlockError',
          'CorruptBlockError',
          'NoSuchKey',
        ].sort(),
      );
      const byClass = (c: string) => errors.filter((e) => e.error_class === c);
      expect(byClass('BadBlockUrlError')[0]!.message).toMatch(/block URL is not a URL/);
      expect(
        byClass('CorruptBlockError')
          .map((e) => e.message)
          .join('\n'),
      ).toMatch(/not a raw-snappy block/);
      expect(
        byClass('CorruptBlockError')
          .map((e) => e.message)
          .join('\n'),
      ).toMatch(/not a gzip file/);
      expect(byClass('BlockLengthError')[0]!.message).toMatch(/expected 506 bytes/);
      expect(byClass('BadSnapshotLineError').map((e) => e.location)).toEqual([
        expect.stringMatching(/#line=2$/),
        expect.stringMatching(/#line=3$/),
        expect.stringMatching(/#line=5$/),
      ]);
      expect(result.errors).toBe(errors.length);
    } finally {
      db.close();
    }
  });

  it('still exports every other event of the damaged sessions and every other session', async () => {
    const db = await duckdb();
    try {
      const sessions = await db.rows<{ session_id: string; event_count: string; error_count: string }>(
        `SELECT session_id, event_count, error_count FROM ${table(lakeDir, 'sessions')}`,
      );
      const expected = truths.filter(
        (t) => !t.deleted && !t.live && t.start_ms >= DAY && t.start_ms < DAY + 86_400_000,
      );
      expect(sessions.map((s) => s.session_id).sort()).toEqual(expected.map((t) => t.session_id).sort());
      const get = (id: string) => sessions.find((s) => s.session_id === id)!;
      // good + unknown type + huge event on top of the session's own events.
      expect(Number(get(target.session_id).event_count)).toBe(target.events.total + 3);
      expect(Number(get(target.session_id).error_count)).toBe(7);
      expect(Number(get(v1Target.session_id).event_count)).toBe(v1Target.events.total);
      expect(Number(get(v1Target.session_id).error_count)).toBe(1);
      for (const t of expected.filter((x) => x !== target && x !== v1Target)) {
        expect(Number(get(t.session_id).event_count)).toBe(t.events.total);
        expect(Number(get(t.session_id).error_count)).toBe(0);
      }
      const unknown = await db.rows<{ type_name: string }>(
        `SELECT type_name FROM ${table(lakeDir, 'events')} WHERE type = 99`,
      );
      expect(unknown).toEqual([{ type_name: 'Unknown(99)' }]);
      const huge = await db.rows<{ bytes: string }>(
        `SELECT bytes FROM ${table(lakeDir, 'events')} e JOIN ${table(lakeDir, 'custom_events')} c USING (session_id, seq) WHERE c.tag = 'huge'`,
      );
      expect(Number(huge[0]!.bytes)).toBeGreaterThan(6 * 1024 * 1024);
    } finally {
      db.close();
    }
  });
});

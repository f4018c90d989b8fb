/**
 * One long session built from real posthog-js output (test/fixtures/real-posthog-js): the fixture's events repeated
 * with shifted timestamps in one window until the session holds the requested decompressed size, written the way
 * the v2 ingester writes — one raw-snappy block per 10 s flush, each in its own batch file, each with its metadata
 * row through the Kafka table. An admin tab left recording for hours, a kiosk, a support agent's shift.
 *
 * Streams: one flush is in memory at a time, so a gigabyte session costs what one block costs. The expected
 * contents (counts per table, a digest of the events) are computed from the fixture and the repetition count, not by
 * reading anything back.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { compressSync } from 'snappy';
import { metadataRow } from './generate';
import { batchFileKey, blockUrl, computeBlockMetrics, retentionDays, toIngestedEvent } from './posthog-block-metrics';
import type { BlockEvent } from './posthog-block-metrics';

export const REAL_FIXTURE_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'real-posthog-js');

export interface LongSessionSpec {
  sessionId: string;
  teamId: number;
  distinctId: string;
  windowId: string;
  startMs: number;
  /** Decompressed JSONL bytes to write at least (PostHog's `size`). */
  targetBytes: number;
  /** Time one repetition takes (default: the fixture's own span); shorter squeezes its gaps so more fit in a day. */
  repetitionMs?: number;
}

export interface LongSessionTruth {
  repetitions: number;
  /** rrweb events written, before deduplication. */
  eventsWritten: number;
  blocks: number;
  bytes: number;
  /** SHA-256 over the written lines, in write order. */
  linesDigest: string;
}

interface SnapshotMessage {
  timestamp: string;
  properties: { $snapshot_data: unknown[] };
}

const FLUSH_MS = 10_000;

/** The fixture's events, in capture order, with timestamps relative to the first. */
export function fixtureEvents(dir = REAL_FIXTURE_DIR): Array<BlockEvent['event']> {
  const events = readFileSync(join(dir, 'snapshots.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SnapshotMessage)
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))
    .flatMap((m) => m.properties.$snapshot_data.flatMap((e) => toIngestedEvent(e) ?? []));
  const first = Math.min(...events.map((e) => e.timestamp));
  return events.map((e) => ({ ...e, timestamp: e.timestamp - first }));
}

/** Writes the session; returns what was written. */
export async function writeLongSession(
  targets: { s3: S3Client; bucket: string; clickhouse: ClickHouseClient },
  spec: LongSessionSpec,
): Promise<LongSessionTruth> {
  const base = fixtureEvents();
  const span = Math.max(...base.map((e) => e.timestamp)) + 1;
  const repetitionMs = spec.repetitionMs ?? span;
  const lines = base.map((e) => JSON.stringify([spec.windowId, e]));
  const repBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const repetitions = Math.max(1, Math.ceil(spec.targetBytes / repBytes));
  const digest = createHash('sha256');
  const truth: LongSessionTruth = { repetitions, eventsWritten: 0, blocks: 0, bytes: 0, linesDigest: '' };

  let flush: Array<BlockEvent> = [];
  let flushIndex: number | undefined;
  let rows: ReturnType<typeof metadataRow>[] = [];
  const writeFlush = async () => {
    if (flush.length === 0 || flushIndex === undefined) return;
    const text = flush.map((e) => `${JSON.stringify([e.windowId, e.event])}\n`).join('');
    digest.update(text);
    const block = compressSync(Buffer.from(text, 'utf8'));
    const flushAt = spec.startMs + (flushIndex + 1) * FLUSH_MS;
    const key = batchFileKey('session_recordings', '30d', flushAt, flushIndex.toString(16).padStart(16, '0'));
    await targets.s3.send(new PutObjectCommand({ Bucket: targets.bucket, Key: key, Body: block }));
    const metrics = computeBlockMetrics(flush, { consoleLogIngestionEnabled: true, messageCount: 1 });
    rows.push(
      metadataRow(
        {
          sessionId: spec.sessionId,
          teamId: spec.teamId,
          distinctId: spec.distinctId,
          snapshotSource: 'web',
          snapshotLibrary: 'web',
          retentionPeriodDays: retentionDays('30d'),
        },
        metrics,
        blockUrl(targets.bucket, key, 0, block.length - 1),
        flushAt + 2_000,
      ),
    );
    truth.blocks++;
    truth.eventsWritten += flush.length;
    truth.bytes += Buffer.byteLength(text);
    flush = [];
    if (rows.length >= 200) {
      await targets.clickhouse.insert({ table: 'kafka_session_replay_events', values: rows, format: 'JSONEachRow' });
      rows = [];
    }
  };

  for (let r = 0; r < repetitions; r++) {
    for (const e of base) {
      const timestamp = spec.startMs + r * repetitionMs + Math.floor((e.timestamp * repetitionMs) / span);
      const f = Math.floor((timestamp - spec.startMs) / FLUSH_MS);
      if (f !== flushIndex) {
        await writeFlush();
        flushIndex = f;
      }
      flush.push({ windowId: spec.windowId, event: { ...e, timestamp } });
    }
  }
  await writeFlush();
  if (rows.length > 0)
    await targets.clickhouse.insert({ table: 'kafka_session_replay_events', values: rows, format: 'JSONEachRow' });
  truth.linesDigest = digest.digest('hex');
  return truth;
}

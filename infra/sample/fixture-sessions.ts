/**
 * Sessions built from real posthog-js output (test/fixtures/real-posthog-js), written the way the v2 ingester writes
 * them: raw-snappy blocks in batch files, each block with its metadata row through the Kafka table.
 *
 * - A long session: the fixture's events repeated with shifted timestamps in one window until the session holds the
 *   requested decompressed size, one block per 10 s flush, each in its own batch file. An admin tab left recording
 *   for hours, a kiosk, a support agent's shift.
 * - Many short sessions: the start of the fixture (a full snapshot and what follows) as one block per session, many
 *   blocks per batch file, addressed by byte range as PostHog does. A busy day of a large install.
 *
 * Both stream: one flush or one batch file is in memory at a time, so a gigabyte session costs what one block costs.
 * What was written (counts, bytes, a digest of the lines) is computed from the fixture and the repetition count, not
 * by reading anything back.
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
  /** Decompressed JSONL bytes to write at least (PostHog's `size`)... */
  targetBytes?: number;
  /** ...or exactly this many repetitions of the fixture. */
  repetitions?: number;
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

/** One 10 s flush of the ingester: the block's events and its JSONL text. */
export interface Flush {
  index: number;
  /** When the ingester flushed the block (end of its 10 s). */
  flushAt: number;
  events: BlockEvent[];
  text: string;
}

interface SnapshotMessage {
  timestamp: string;
  properties: { $snapshot_data: unknown[] };
}

const FLUSH_MS = 10_000;
const KAFKA_TABLE = 'kafka_session_replay_events';
/** Metadata rows per insert. */
const ROWS_PER_INSERT = 1000;

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

function blockText(events: readonly BlockEvent[]): string {
  return events.map((e) => `${JSON.stringify([e.windowId, e.event])}\n`).join('');
}

/** How many repetitions of the fixture a long session holds. */
export function repetitionsFor(
  spec: Pick<LongSessionSpec, 'windowId' | 'targetBytes' | 'repetitions'>,
  base = fixtureEvents(),
): number {
  if (spec.repetitions !== undefined) return spec.repetitions;
  if (spec.targetBytes === undefined) throw new RangeError('a long session needs targetBytes or repetitions');
  const repBytes = base.reduce((n, e) => n + Buffer.byteLength(JSON.stringify([spec.windowId, e])) + 1, 0);
  return Math.max(1, Math.ceil(spec.targetBytes / repBytes));
}

/** The long session's flushes in time order, built one at a time (the benchmark keeps them in memory instead). */
export function* longSessionFlushes(spec: LongSessionSpec, base = fixtureEvents()): Generator<Flush> {
  const span = Math.max(...base.map((e) => e.timestamp)) + 1;
  const repetitionMs = spec.repetitionMs ?? span;
  const repetitions = repetitionsFor(spec, base);
  let events: BlockEvent[] = [];
  let index: number | undefined;
  const flush = (): Flush => ({
    index: index!,
    flushAt: spec.startMs + (index! + 1) * FLUSH_MS,
    events,
    text: blockText(events),
  });
  for (let r = 0; r < repetitions; r++) {
    for (const e of base) {
      const timestamp = spec.startMs + r * repetitionMs + Math.floor((e.timestamp * repetitionMs) / span);
      const f = Math.floor((timestamp - spec.startMs) / FLUSH_MS);
      if (f !== index) {
        if (events.length > 0) yield flush();
        events = [];
        index = f;
      }
      events.push({ windowId: spec.windowId, event: { ...e, timestamp } });
    }
  }
  if (events.length > 0) yield flush();
}

/** Writes the long session; returns what was written. */
export async function writeLongSession(
  targets: { s3: S3Client; bucket: string; clickhouse: ClickHouseClient },
  spec: LongSessionSpec,
): Promise<LongSessionTruth> {
  const base = fixtureEvents();
  const digest = createHash('sha256');
  const truth: LongSessionTruth = {
    repetitions: repetitionsFor(spec, base),
    eventsWritten: 0,
    blocks: 0,
    bytes: 0,
    linesDigest: '',
  };
  const rows = new RowSink(targets.clickhouse);
  for (const flush of longSessionFlushes(spec, base)) {
    digest.update(flush.text);
    const block = compressSync(Buffer.from(flush.text, 'utf8'));
    const key = batchFileKey('session_recordings', '30d', flush.flushAt, fileId(spec.sessionId, flush.index));
    await targets.s3.send(new PutObjectCommand({ Bucket: targets.bucket, Key: key, Body: block }));
    const metrics = computeBlockMetrics(flush.events, { consoleLogIngestionEnabled: true, messageCount: 1 });
    await rows.add(
      metadataRow(
        sessionColumns(spec.sessionId, spec.teamId, spec.distinctId),
        metrics,
        blockUrl(targets.bucket, key, 0, block.length - 1),
        flush.flushAt + 2_000,
      ),
    );
    truth.blocks++;
    truth.eventsWritten += flush.events.length;
    truth.bytes += Buffer.byteLength(flush.text);
  }
  await rows.close();
  truth.linesDigest = digest.digest('hex');
  return truth;
}

export interface ManySessionsSpec {
  count: number;
  teamId: number;
  /** Session starts are spread evenly over [startMs, startMs + spreadMs). */
  startMs: number;
  spreadMs: number;
  /** Events per session: the fixture's first ones (its first full snapshot comes early). */
  eventsPerSession: number;
  /** Blocks per batch file. */
  sessionsPerFile: number;
  /** Distinguishes the session ids of several calls on one table. */
  idPrefix: string;
}

export interface ManySessionsTruth {
  sessions: number;
  eventsWritten: number;
  bytes: number;
  batchFiles: number;
}

/** The 16 hex digits of a batch file's name: distinct for every writer and file, so loads never overwrite each other. */
function fileId(writer: string, index: number): string {
  return createHash('sha256').update(`${writer}/${index}`).digest('hex').slice(0, 16);
}

/** A deterministic UUID-shaped id: PostHog's session ids are UUIDv7 strings. */
function sessionIdOf(prefix: string, i: number): string {
  const hex = createHash('sha256').update(`${prefix}/${i}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Writes `count` short sessions, `sessionsPerFile` blocks to a batch file; returns what was written. */
export async function writeManySessions(
  targets: { s3: S3Client; bucket: string; clickhouse: ClickHouseClient },
  spec: ManySessionsSpec,
): Promise<ManySessionsTruth> {
  const base = fixtureEvents().slice(0, spec.eventsPerSession);
  const truth: ManySessionsTruth = { sessions: 0, eventsWritten: 0, bytes: 0, batchFiles: 0 };
  const rows = new RowSink(targets.clickhouse);
  let file: Array<{ sessionId: string; events: BlockEvent[]; block: Buffer; startMs: number }> = [];
  const writeFile = async () => {
    if (file.length === 0) return;
    const flushAt = file[file.length - 1]!.startMs + FLUSH_MS;
    const key = batchFileKey('session_recordings', '30d', flushAt, fileId(spec.idPrefix, truth.batchFiles));
    await targets.s3.send(
      new PutObjectCommand({ Bucket: targets.bucket, Key: key, Body: Buffer.concat(file.map((s) => s.block)) }),
    );
    let offset = 0;
    for (const s of file) {
      const metrics = computeBlockMetrics(s.events, { consoleLogIngestionEnabled: true, messageCount: 1 });
      await rows.add(
        metadataRow(
          sessionColumns(s.sessionId, spec.teamId, `user-${s.sessionId.slice(0, 8)}`),
          metrics,
          blockUrl(targets.bucket, key, offset, offset + s.block.length - 1),
          flushAt + 2_000,
        ),
      );
      offset += s.block.length;
    }
    truth.batchFiles++;
    file = [];
  };
  for (let i = 0; i < spec.count; i++) {
    const sessionId = sessionIdOf(spec.idPrefix, i);
    const startMs = spec.startMs + Math.floor((i * spec.spreadMs) / spec.count);
    const windowId = `${sessionId.slice(0, 8)}-window`;
    const events = base.map((e) => ({ windowId, event: { ...e, timestamp: startMs + e.timestamp } }));
    const text = blockText(events);
    file.push({ sessionId, events, block: compressSync(Buffer.from(text, 'utf8')), startMs });
    truth.sessions++;
    truth.eventsWritten += events.length;
    truth.bytes += Buffer.byteLength(text);
    if (file.length >= spec.sessionsPerFile) await writeFile();
  }
  await writeFile();
  await rows.close();
  return truth;
}

function sessionColumns(sessionId: string, teamId: number, distinctId: string) {
  return {
    sessionId,
    teamId,
    distinctId,
    snapshotSource: 'web',
    snapshotLibrary: 'web',
    retentionPeriodDays: retentionDays('30d'),
  };
}

/** Metadata rows, inserted a thousand at a time. */
class RowSink {
  private rows: Array<ReturnType<typeof metadataRow>> = [];

  constructor(private readonly clickhouse: ClickHouseClient) {}

  async add(row: ReturnType<typeof metadataRow>): Promise<void> {
    this.rows.push(row);
    if (this.rows.length >= ROWS_PER_INSERT) await this.close();
  }

  async close(): Promise<void> {
    if (this.rows.length === 0) return;
    const values = this.rows;
    this.rows = [];
    await this.clickhouse.insert({ table: KAFKA_TABLE, values, format: 'JSONEachRow' });
  }
}

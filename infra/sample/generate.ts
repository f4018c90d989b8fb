/**
 * Writes a sample into PostHog-shaped storage the way PostHog's ingestion would have, streaming: sessions are
 * processed in small time-local chunks, so memory stays flat for 100k sessions and several GB.
 *
 *   blob v2   many sessions' raw-snappy blocks concatenated per flush into one batch file per retention period:
 *             {prefix}/{30d|90d|1y|5y}/{flushEpochMs}-{16 hex}, one session_replay_events row per block
 *   blob v1   gzip JSONL per session per buffer flush: {prefix}/team_id/{t}/session_id/{s}/data/{firstMs}-{lastMs},
 *             lines {"window_id": …, "data": [...]}, one session_replay_events row per message, no block URL
 *   legacy    session_recording_events rows holding gzip-base64 UTF-16 chunks of each message's events
 *
 * Metadata rows go through PostHog's Kafka-table → materialized-view path, one INSERT per simulated Kafka poll, so
 * the table holds partial aggregates exactly like a real install.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { compressSync } from 'snappy';
import type { PostHogListing, SessionTruth } from './ground-truth';
import { truthOfEvents } from './ground-truth';
import type { SampleOptions } from './options';
import { SampleOptionsError } from './options';
import type { SessionPlan } from './plan';
import { planContent, planSessions, sampleRange } from './plan';
import type { BlockMetrics } from './posthog-block-metrics';
import {
  batchFileKey,
  blockUrl,
  computeBlockMetrics,
  computeV1MessageMetrics,
  retentionDays,
  toIngestedEvent,
} from './posthog-block-metrics';
import type { GeneratedEvent } from './session-content';
import { createRng } from './session-content';

export interface SampleTargets {
  s3: S3Client;
  bucket: string;
  clickhouse: ClickHouseClient;
  /** Folder that receives manifest.jsonl and summary.json. */
  outDir: string;
  /** ClickHouse database holding PostHog's tables. */
  database?: string;
  /** Key prefix of both blob generations; PostHog's default. */
  prefix?: string;
}

export interface SampleSummary {
  seed: string;
  options: SampleOptions;
  now: number;
  sessions: number;
  by_generation: Record<string, number>;
  events: number;
  batch_files: number;
  v1_files: number;
  metadata_rows: number;
  legacy_rows: number;
  bytes_written: number;
  manifest: string;
}

/** posthog-js flushes its buffer every 2 s; the v2 ingester flushes batches every 10 s. */
const SDK_FLUSH_MS = 2_000;
const INGEST_FLUSH_MS = 10_000;
/** The ClickHouse Kafka engine inserts what it polled in one block; the MV aggregates within it. */
const FLUSHES_PER_KAFKA_POLL = 6;
/** v1 buffered a session's messages per file for up to 10 min (SESSION_RECORDING_MAX_BUFFER_AGE_SECONDS). */
const V1_FILE_AGE_MS = 600_000;
/** Python capture split gzip-base64 payloads into 512×1024-character chunks. */
const LEGACY_CHUNK_CHARS = 512 * 1024;
const CHUNK_SESSIONS = 200;
const PARALLEL_UPLOADS = 8;

interface Message {
  windowId: string;
  events: GeneratedEvent[];
  arrivalMs: number;
}

interface KafkaRow {
  session_id: string;
  team_id: number;
  distinct_id: string;
  first_timestamp: string;
  last_timestamp: string;
  block_url: string | null;
  first_url: string | null;
  urls: string[];
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
  snapshot_source: string | null;
  snapshot_library: string | null;
  retention_period_days: number | null;
  is_deleted: number;
  _timestamp: string;
}

/** ClickHouse's DateTime64 text form, as PostHog's producers write it. */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
function chSeconds(ms: number): string {
  return chTime(ms).slice(0, 19);
}

/** SDK batching: per window, events of each 2 s buffer become one message. */
function toMessages(events: readonly GeneratedEvent[], startMs: number): Message[] {
  const byKey = new Map<string, Message>();
  for (const ge of events) {
    const bucket = Math.floor((ge.event.timestamp - startMs) / SDK_FLUSH_MS);
    const key = `${ge.windowId}/${bucket}`;
    let m = byKey.get(key);
    if (!m) {
      m = { windowId: ge.windowId, events: [], arrivalMs: startMs + (bucket + 1) * SDK_FLUSH_MS + 250 };
      byKey.set(key, m);
    }
    m.events.push(ge);
  }
  return [...byKey.values()].sort((a, b) => a.arrivalMs - b.arrivalMs);
}

function lineOf(ge: { windowId: string; event: unknown }): string {
  return `${JSON.stringify([ge.windowId, ge.event])}\n`;
}

class ListingAccumulator {
  private rows: Array<KafkaRow & { firstMs: number; lastMs: number }> = [];
  add(row: KafkaRow, firstMs: number, lastMs: number) {
    this.rows.push({ ...row, firstMs, lastMs });
  }
  get count() {
    return this.rows.length;
  }
  result(): PostHogListing | null {
    if (this.rows.length === 0) return null;
    const sum = (f: (r: KafkaRow) => number) => this.rows.reduce((s, r) => s + f(r), 0);
    const withUrl = this.rows.filter((r) => r.first_url !== null).sort((a, b) => a.firstMs - b.firstMs);
    return {
      start_time: chTime(Math.min(...this.rows.map((r) => r.firstMs))),
      end_time: chTime(Math.max(...this.rows.map((r) => r.lastMs))),
      first_url: withUrl[0]?.first_url ?? null,
      click_count: sum((r) => r.click_count),
      keypress_count: sum((r) => r.keypress_count),
      mouse_activity_count: sum((r) => r.mouse_activity_count),
      active_milliseconds: sum((r) => r.active_milliseconds),
      console_log_count: sum((r) => r.console_log_count),
      console_warn_count: sum((r) => r.console_warn_count),
      console_error_count: sum((r) => r.console_error_count),
      size: sum((r) => r.size),
      event_count: sum((r) => r.event_count),
      message_count: sum((r) => r.message_count),
      block_count: this.rows.filter((r) => r.block_url !== null).length,
      is_deleted: Math.max(...this.rows.map((r) => r.is_deleted)),
      retention_period_days: Math.max(...this.rows.map((r) => r.retention_period_days ?? 0)),
    };
  }
}

export async function generateSample(
  targets: SampleTargets,
  options: SampleOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<SampleSummary> {
  const now = options.now ?? Date.now();
  const { endMs } = sampleRange(options);
  if (endMs + 3_600_000 > now) {
    throw new SampleOptionsError(
      `--start: the sample days must end at least an hour before now (${new Date(now).toISOString()})`,
    );
  }
  const prefix = targets.prefix ?? 'session_recordings';
  mkdirSync(targets.outDir, { recursive: true });
  const manifestPath = join(targets.outDir, 'manifest.jsonl');
  const manifest = createWriteStream(manifestPath);
  const rng = createRng(`${options.seed}/storage`);
  const summary: SampleSummary = {
    seed: options.seed,
    options,
    now,
    sessions: 0,
    by_generation: {},
    events: 0,
    batch_files: 0,
    v1_files: 0,
    metadata_rows: 0,
    legacy_rows: 0,
    bytes_written: 0,
    manifest: manifestPath,
  };

  const db = targets.database ?? 'default';
  // Uploads overlap (a few at a time) with generating the next batch: small objects are latency-bound.
  const uploads = new Set<Promise<void>>();
  let uploadError: Error | undefined;
  const put = async (key: string, body: Buffer, extra: { ContentEncoding?: string; ContentType: string }) => {
    while (uploads.size >= PARALLEL_UPLOADS) await Promise.race(uploads);
    if (uploadError) throw uploadError;
    const upload: Promise<void> = targets.s3
      .send(new PutObjectCommand({ Bucket: targets.bucket, Key: key, Body: body, ...extra }))
      .then(
        () => {
          summary.bytes_written += body.length;
        },
        (err: unknown) => {
          uploadError ??= err instanceof Error ? err : new Error(String(err));
        },
      )
      .finally(() => uploads.delete(upload));
    uploads.add(upload);
  };
  // Inserts run one after another, in ingestion order, while the next flush is generated (chDB works on its own
  // threads); a chunk waits for them before the next one starts.
  let inserts: Promise<void> = Promise.resolve();
  let insertError: Error | undefined;
  const insertRows = (table: string, rows: readonly object[], count: (n: number) => void): void => {
    if (rows.length === 0) return;
    inserts = inserts.then(() =>
      targets.clickhouse.insert({ table: `${db}.${table}`, values: rows, format: 'JSONEachRow' }).then(
        () => count(rows.length),
        (err: unknown) => {
          insertError ??= err instanceof Error ? err : new Error(String(err));
        },
      ),
    );
  };
  const insertKafkaRows = (rows: KafkaRow[]) =>
    insertRows('kafka_session_replay_events', rows, (n) => (summary.metadata_rows += n));

  let chunk: SessionPlan[] = [];
  const flushChunk = async () => {
    const work = chunk.map((plan) => {
      const events = planContent(options.seed, plan);
      if (plan.hugeEvent) events.push(hugeEvent(plan));
      return {
        plan,
        events,
        messages: toMessages(events, plan.startMs),
        listing: new ListingAccumulator(),
        storage: { blocks: 0, duplicate_blocks: 0, files: 0, rows: 0 },
      };
    });

    // ---- blob v2 (and the v2 half of mixed sessions): replay the ingester's 10 s flushes in time order.
    type Pending = { w: (typeof work)[number]; messages: Message[] };
    const flushes = new Map<number, Pending[]>();
    for (const w of work) {
      if (w.plan.generation !== 'v2' && w.plan.generation !== 'mixed') continue;
      const cutover = w.plan.generation === 'mixed' ? w.plan.startMs + w.plan.durationMs / 2 : -Infinity;
      for (const m of w.messages) {
        if (m.arrivalMs < cutover) continue;
        const f = Math.floor(m.arrivalMs / INGEST_FLUSH_MS);
        const list = flushes.get(f) ?? [];
        let entry = list.find((p) => p.w === w);
        if (!entry) {
          entry = { w, messages: [] };
          list.push(entry);
        }
        entry.messages.push(m);
        flushes.set(f, list);
      }
    }
    const repeats = new Map<number, Pending[]>();
    let pollRows: KafkaRow[] = [];
    const flushKeys = [...flushes.keys()].sort((a, b) => a - b);
    for (const [i, f] of flushKeys.entries()) {
      const flushAt = (f + 1) * INGEST_FLUSH_MS + rng.int(0, 900);
      const batch = [...(flushes.get(f) ?? []), ...(repeats.get(f) ?? [])];
      const files = new Map<string, { key: string; parts: Buffer[]; offset: number }>();
      for (const { w, messages } of batch) {
        const { plan } = w;
        let file = files.get(plan.team.retention);
        if (!file) {
          file = { key: batchFileKey(prefix, plan.team.retention, flushAt, rng.hex(16)), parts: [], offset: 0 };
          files.set(plan.team.retention, file);
        }
        // Within a block, events keep arrival order grouped by message (and so by window): not sorted by time.
        // The v2 parser re-emits each event with `timestamp` first; blocks hold that form, not the SDK's.
        const events = messages.flatMap((m) =>
          m.events.map((ge) => ({ windowId: ge.windowId, event: toIngestedEvent(ge.event) ?? ge.event })),
        );
        const raw = Buffer.from(events.map(lineOf).join(''), 'utf8');
        const block = compressSync(raw);
        const start = file.offset;
        file.parts.push(block);
        file.offset += block.length;
        const metrics = computeBlockMetrics(events, {
          consoleLogIngestionEnabled: plan.team.consoleLogIngestionEnabled,
          messageCount: messages.length,
        });
        const row = kafkaRow(plan, metrics, blockUrl(targets.bucket, file.key, start, file.offset - 1), flushAt);
        pollRows.push(row);
        w.listing.add(row, metrics.firstTimestamp, metrics.lastTimestamp);
        w.storage.blocks++;
        // A crash after upload but before the offset commit re-processes the messages into the next batch file.
        if (plan.duplicateBlocks && w.storage.blocks === 2 && !repeats.has(f + 1)) {
          w.storage.duplicate_blocks++;
          repeats.set(f + 1, [{ w, messages }]);
          if (!flushes.has(f + 1)) flushKeys.splice(i + 1, 0, f + 1);
        }
      }
      for (const file of files.values()) {
        await put(file.key, Buffer.concat(file.parts), { ContentType: 'application/octet-stream' });
        summary.batch_files++;
      }
      if ((i + 1) % FLUSHES_PER_KAFKA_POLL === 0) {
        insertKafkaRows(pollRows);
        pollRows = [];
      }
    }
    insertKafkaRows(pollRows);

    // ---- blob v1 (and the v1 half of mixed sessions): per-session files, one metadata row per message.
    const v1Rows: KafkaRow[] = [];
    for (const w of work) {
      if (w.plan.generation !== 'v1' && w.plan.generation !== 'mixed') continue;
      const cutover = w.plan.generation === 'mixed' ? w.plan.startMs + w.plan.durationMs / 2 : Infinity;
      const messages = w.messages.filter((m) => m.arrivalMs < cutover);
      const rows: KafkaRow[] = [];
      let fileMessages: Message[] = [];
      const writeFile = async () => {
        if (fileMessages.length === 0) return;
        // The v1 key takes each message's first and last event by position, not the true min and max.
        const first = Math.min(...fileMessages.map((m) => m.events[0]?.event.timestamp ?? Infinity));
        const last = Math.max(...fileMessages.map((m) => m.events[m.events.length - 1]?.event.timestamp ?? -Infinity));
        const key = `${prefix}/team_id/${w.plan.team.teamId}/session_id/${w.plan.sessionId}/data/${Math.floor(first)}-${Math.floor(last)}`;
        const jsonl = fileMessages
          .map((m) => `${JSON.stringify({ window_id: m.windowId, data: m.events.map((ge) => ge.event) })}\n`)
          .join('');
        await put(key, gzipSync(Buffer.from(jsonl, 'utf8'), { level: 6 }), {
          ContentType: 'application/json',
          ContentEncoding: 'gzip',
        });
        summary.v1_files++;
        w.storage.files++;
        fileMessages = [];
      };
      for (const m of messages) {
        if (fileMessages.length > 0 && m.arrivalMs - (fileMessages[0]?.arrivalMs ?? 0) > V1_FILE_AGE_MS)
          await writeFile();
        fileMessages.push(m);
        const metrics = computeV1MessageMetrics(m.events.map((ge) => ge.event));
        const row = kafkaRow(w.plan, metrics, null, m.arrivalMs + 400);
        rows.push(row);
        w.listing.add(row, metrics.firstTimestamp, metrics.lastTimestamp);
      }
      await writeFile();
      v1Rows.push(...rows);
    }
    insertKafkaRows(v1Rows);

    // ---- legacy: chunked rows in session_recording_events.
    const legacyRows: Record<string, unknown>[] = [];
    for (const w of work) {
      if (w.plan.generation !== 'legacy') continue;
      for (const m of w.messages) {
        for (const row of legacyChunkRows(w.plan, m, rng)) legacyRows.push(row);
      }
      w.storage.rows = w.messages.length;
    }
    insertRows('kafka_session_recording_events', legacyRows, (n) => (summary.legacy_rows += n));

    // ---- deletions arrive later as tombstone rows.
    const tombstones: KafkaRow[] = [];
    for (const w of work) {
      const at = w.plan.deletedAtMs;
      if (at === undefined || w.plan.generation === 'legacy') continue;
      const row = tombstoneRow(w.plan, at);
      tombstones.push(row);
      w.listing.add(row, at, at);
    }
    insertKafkaRows(tombstones);

    for (const w of work) {
      const { counts, digest } = truthOfEvents(w.events);
      const times = w.events.map((e) => e.event.timestamp);
      const truth: SessionTruth = {
        session_id: w.plan.sessionId,
        team_id: w.plan.team.teamId,
        distinct_id: w.plan.distinctId,
        generation: w.plan.generation,
        platform: w.plan.platform,
        note: w.plan.note,
        window_ids: [...w.plan.windowIds],
        start_ms: Math.min(...times),
        end_ms: Math.max(...times),
        deleted: w.plan.deletedAtMs !== undefined,
        live: w.plan.live,
        retention_period_days: retentionDays(w.plan.team.retention),
        events: counts,
        events_digest: digest,
        storage: { ...w.storage, rows: w.storage.rows + w.listing.count, raw_events_written: w.events.length },
        posthog: w.listing.result(),
      };
      manifest.write(`${JSON.stringify(truth)}\n`);
      summary.sessions++;
      summary.events += counts.total;
      summary.by_generation[w.plan.generation] = (summary.by_generation[w.plan.generation] ?? 0) + 1;
    }
    // Metadata never points at an object that is not there yet: a chunk's uploads finish before the next chunk.
    await Promise.all([...uploads, inserts]);
    if (uploadError) throw uploadError;
    if (insertError) throw insertError;
    onProgress?.(summary.sessions, options.sessions);
    chunk = [];
  };

  for (const plan of planSessions(options, now)) {
    chunk.push(plan);
    if (chunk.length >= CHUNK_SESSIONS) await flushChunk();
  }
  await flushChunk();
  await new Promise<void>((resolve, reject) => manifest.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return summary;
}

/** Who a metadata row is about, as the v2 ingester knows it when it flushes a block. */
export interface RowSession {
  sessionId: string;
  teamId: number;
  distinctId: string;
  snapshotSource: string;
  snapshotLibrary: string;
  retentionPeriodDays: number;
}

/** The Kafka row the v2 ingester emits for one block (SessionMetadataStore.storeSessionBlocks). */
export function metadataRow(s: RowSession, m: BlockMetrics, url: string | null, ingestedAtMs: number): KafkaRow {
  return {
    session_id: s.sessionId,
    team_id: s.teamId,
    distinct_id: s.distinctId,
    first_timestamp: chTime(m.firstTimestamp),
    last_timestamp: chTime(m.lastTimestamp),
    block_url: url,
    first_url: m.firstUrl,
    urls: m.urls,
    click_count: m.clickCount,
    keypress_count: m.keypressCount,
    mouse_activity_count: m.mouseActivityCount,
    active_milliseconds: m.activeMilliseconds,
    console_log_count: m.consoleLogCount,
    console_warn_count: m.consoleWarnCount,
    console_error_count: m.consoleErrorCount,
    size: m.size,
    event_count: m.eventCount,
    message_count: m.messageCount,
    snapshot_source: s.snapshotSource,
    snapshot_library: s.snapshotLibrary,
    retention_period_days: s.retentionPeriodDays,
    is_deleted: 0,
    _timestamp: chSeconds(ingestedAtMs),
  };
}

function kafkaRow(plan: SessionPlan, m: BlockMetrics, url: string | null, ingestedAtMs: number): KafkaRow {
  const mobile = plan.platform === 'mobile';
  return metadataRow(
    {
      sessionId: plan.sessionId,
      teamId: plan.team.teamId,
      distinctId: plan.distinctId,
      snapshotSource: mobile ? 'mobile' : 'web',
      snapshotLibrary: mobile ? 'posthog-android' : 'web',
      retentionPeriodDays: retentionDays(plan.team.retention),
    },
    m,
    url,
    ingestedAtMs,
  );
}

/**
 * PostHog's deletion marker (createDeletionBlockMetadata): no block, no distinct id, source, library or retention,
 * zero counters, both timestamps at the time of deletion.
 */
function tombstoneRow(plan: SessionPlan, atMs: number): KafkaRow {
  return {
    ...kafkaRow(
      plan,
      {
        firstTimestamp: atMs,
        lastTimestamp: atMs,
        firstUrl: null,
        urls: [],
        clickCount: 0,
        keypressCount: 0,
        mouseActivityCount: 0,
        activeMilliseconds: 0,
        consoleLogCount: 0,
        consoleWarnCount: 0,
        consoleErrorCount: 0,
        size: 0,
        eventCount: 0,
        messageCount: 0,
      },
      null,
      atMs,
    ),
    distinct_id: '',
    snapshot_source: null,
    snapshot_library: null,
    retention_period_days: null,
    is_deleted: 1,
  };
}

/**
 * Python capture's compress_and_chunk_snapshots: json.dumps(events) → UTF-16 with BOM → gzip → base64, split into
 * 512K-character chunks that share a chunk id.
 */
function legacyChunkRows(plan: SessionPlan, m: Message, rng: ReturnType<typeof createRng>): Record<string, unknown>[] {
  const events = m.events.map((ge) => ge.event);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pythonJsonDumps(events), 'utf16le')]);
  const b64 = gzipSync(utf16).toString('base64');
  const chunkCount = Math.max(1, Math.ceil(b64.length / LEGACY_CHUNK_CHARS));
  const chunkId = uuidLike(rng);
  const hasFullSnapshot = events.some((e) => Number(e.type) === 2);
  const firstMs = Math.min(...events.map((e) => e.timestamp));
  return Array.from({ length: chunkCount }, (_, i) => ({
    uuid: uuidLike(rng),
    timestamp: chTime(firstMs),
    team_id: plan.team.teamId,
    distinct_id: plan.distinctId,
    session_id: plan.sessionId,
    window_id: m.windowId,
    snapshot_data: JSON.stringify({
      chunk_id: chunkId,
      chunk_index: i,
      chunk_count: chunkCount,
      data: b64.slice(i * LEGACY_CHUNK_CHARS, (i + 1) * LEGACY_CHUNK_CHARS),
      compression: 'gzip-base64',
      has_full_snapshot: hasFullSnapshot,
      events_summary: i === 0 ? eventsSummary(events) : null,
    }),
    created_at: chTime(m.arrivalMs),
    _timestamp: chSeconds(m.arrivalMs + 500),
    _offset: 0,
  }));
}

const SUMMARY_KEYS = ['type', 'source', 'tag', 'plugin', 'href', 'width', 'height'];

/** get_events_summary_from_snapshot_data: per event, only the small str/int fields of `data`, sorted by time. */
function eventsSummary(events: readonly { type: number; timestamp: number; data?: unknown }[]): unknown[] {
  const keep = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  return events
    .map((e) => {
      const data = (e.data !== null && typeof e.data === 'object' ? e.data : {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of SUMMARY_KEYS) if (keep(data[k])) out[k] = data[k];
      const payload = data['payload'];
      if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
        const p = payload as Record<string, unknown>;
        out['payload'] = Object.fromEntries(['href', 'level'].filter((k) => keep(p[k])).map((k) => [k, p[k]]));
      }
      return { timestamp: e.timestamp, type: e.type, data: out };
    })
    .sort((a, b) => a.timestamp - b.timestamp);
}

/** Python's json.dumps defaults: ", " and ": " separators, non-ASCII escaped as \uXXXX. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

function uuidLike(rng: ReturnType<typeof createRng>): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A FullSnapshot-sized custom event of incompressible data: the legacy payload then spans several chunks. */
function hugeEvent(plan: SessionPlan): GeneratedEvent {
  const rng = createRng(`${plan.sessionId}/huge`);
  const image = Buffer.from(Array.from({ length: 700_000 }, () => rng.int(0, 255))).toString('base64');
  return {
    windowId: plan.windowIds[0] ?? '',
    event: {
      type: 5,
      data: { tag: 'screenshot-attachment', payload: { image: `data:image/png;base64,${image}` } },
      timestamp: plan.startMs + 5_000,
    },
  };
}

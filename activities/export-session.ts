/**
 * One session, as a stream from PostHog's storage into the lake: the session reader (session-reader.ts) yields its
 * distinct events in timestamp order with their raw-blob lines; each line goes into the raw blob (raw-blob.ts) and
 * each event through the normaliser (normalize.ts) into the batch's table buffers. Nothing holds the session whole.
 * When the batch's buffers fill, the session is checkpointed between two timestamps and can be continued from there
 * by a retried batch.
 */
import type { Generation, Segment } from './fetch';
import type { Partition } from './lake-layout';
import { fingerprint, rawBlobKey } from './lake-layout';
import type { RawBlobRecord, SessionCounters, SessionProgress } from './lake-records';
import type { LakeStore } from './lake-store';
import type { TableName } from './lake-tables';
import type { SessionRef } from './listing';
import type { SessionMetadata } from './metadata';
import type { Row } from './normalize';
import { SessionNormalizer } from './normalize';
import type { Redactor } from './privacy';
import { RawBlobBuilder } from './raw-blob';
import type { ReadLimits, ReaderOptions, SessionReader } from './session-reader';
import { emptyCounters } from './session-reader';
import type { SourceError } from './source/errors';
import { toSourceError } from './source/errors';

/** What a session needs from its batch. */
export interface SessionContext {
  /** Opens the session's reader (the batch: from PostHog's storage; the benchmark: from memory). */
  openReader(meta: SessionMetadata, opts: ReaderOptions): Promise<SessionReader>;
  lake: LakeStore;
  partition: Partition;
  /** The partition's privacy policy, applied to events and to the metadata columns. */
  redactor: Redactor;
  windowId: string;
  /** Digest of the export settings that shape the output bytes. */
  configDigest: string;
  limits: ReadLimits;
  signal?: AbortSignal;
  /** Appends a row to the batch's buffer for `table`. */
  emit(table: TableName, row: Row): void;
  /** True when the batch's buffers, with the session's `pendingRaw` bytes of raw lines, are full. */
  wantsFlush(pendingRaw: number): boolean;
  /** Flushes the batch with this session in progress; `progress` writes the session's pending raw frame first. */
  checkpoint(progress: () => Promise<SessionProgress>): Promise<void>;
  /** Where this session's raw-blob frames go in staging. */
  rawChunkKey(sessionId: string, chunk: number): string;
  /** Progress for heartbeats: the events this session has kept so far. */
  report(events: number): void;
}

export class EventOrderError extends Error {
  override readonly name = 'EventOrderError';
}

export interface SessionOutcome {
  counters: SessionCounters;
  blob: RawBlobRecord | null;
}

export async function exportSession(
  ctx: SessionContext,
  ref: SessionRef,
  meta: SessionMetadata,
  resume?: SessionProgress,
): Promise<SessionOutcome> {
  const { lake } = ctx;
  const counters = resume?.counters ?? emptyCounters();
  const errorRow = (e: SourceError) => {
    counters.errors++;
    ctx.emit('export_errors', {
      session_id: ref.sessionId,
      team_id: ref.teamId,
      export_window_id: ctx.windowId,
      location: e.location,
      error_class: e.errorClass,
      message: e.message,
      event_timestamp: e.eventTimestamp === undefined ? null : Math.floor(e.eventTimestamp),
    });
  };
  const reader = await ctx.openReader(meta, {
    limits: ctx.limits,
    redactor: ctx.redactor,
    counters,
    onError: errorRow,
    signal: ctx.signal,
    ...(resume ? { resume: { schedule: resume.schedule, merge: resume.merge } } : {}),
  });
  const normalizer = new SessionNormalizer(
    { sessionId: ref.sessionId, teamId: ref.teamId },
    (table, row) => ctx.emit(table, row),
    resume?.normalizer,
  );
  const raw = new RawBlobBuilder(resume?.rawChunks ?? []);

  const progress = async (): Promise<SessionProgress> => {
    await raw.checkpoint(lake, ctx.rawChunkKey(ref.sessionId, raw.chunks.length));
    return {
      sessionId: ref.sessionId,
      schedule: reader.scheduleDigest,
      merge: reader.position(),
      normalizer: normalizer.state(),
      counters: { ...counters },
      rawChunks: [...raw.chunks],
    };
  };

  for (;;) {
    if (ctx.wantsFlush(raw.pendingBytes) && (await reader.atTimestampBoundary())) await ctx.checkpoint(progress);
    const e = await reader.next();
    if (e === undefined) break;
    raw.append(e.raw);
    counters.rrwebBytes += e.raw.length + 1;
    normalizer.push(e.windowId, e.event, counters.eventsKept, e.raw.length + 1);
    counters.eventsKept++;
    if ((counters.eventsKept & 1023) === 0) ctx.report(counters.eventsKept);
  }
  ctx.report(counters.eventsKept);

  if (reader.outOfOrder > 0)
    errorRow(
      toSourceError(
        `session ${ref.sessionId}`,
        new EventOrderError(
          `${reader.outOfOrder} events are earlier than the first time their block's metadata declares; they follow later events in the raw blob`,
        ),
      ),
    );
  const summary = normalizer.finish();
  const fp = fingerprint([meta.digest, reader.scheduleDigest, ctx.configDigest], 12);
  const written = await raw.finish(lake, rawBlobKey(ctx.partition, ref.sessionId, fp));
  const blob: RawBlobRecord | null = written
    ? {
        session_id: ref.sessionId,
        key: written.key,
        bytes: written.bytes,
        sha256: written.sha256,
        events: counters.eventsKept,
      }
    : null;
  try {
    ctx.emit('sessions', sessionRow(ctx, ref, meta, counters, reader.schedule, summary.windowCount, blob));
  } catch (err) {
    // The session fails after all (a metadata value no column can hold): its blob must not stay behind.
    if (blob) await lake.delete([blob.key]);
    throw err;
  }
  return { counters, blob };
}

function generationOf(meta: SessionMetadata, schedule: readonly Segment[]): string {
  const kinds = [...new Set<Generation>(schedule.map((s) => s.generation))];
  if (kinds.length > 1) return 'mixed';
  if (kinds.length === 1) return kinds[0]!;
  if (meta.generation === 'legacy') return 'legacy';
  return meta.blocks.length > 0 ? 'blob_v2' : 'blob_v1';
}

function sessionRow(
  ctx: SessionContext,
  ref: SessionRef,
  meta: SessionMetadata,
  counters: SessionCounters,
  schedule: readonly Segment[],
  windowCount: number,
  blob: RawBlobRecord | null,
): Row {
  return {
    ...metadataColumns(ref, meta, ctx.redactor),
    status: counters.errors > 0 || counters.blocksUnreadable > 0 ? 'partial' : 'complete',
    source_blocks: meta.blocks.length > 0 ? meta.blocks.length : null,
    blocks_read: counters.blocksRead,
    blocks_unreadable: counters.blocksUnreadable,
    events_read: counters.eventsRead,
    duplicates_dropped: counters.duplicates,
    bytes_read: counters.bytesRead,
    window_count: windowCount,
    event_count: counters.eventsKept,
    rrweb_bytes: counters.rrwebBytes,
    generation: generationOf(meta, schedule),
    raw_blob_key: blob?.key ?? null,
    raw_blob_sha256: blob?.sha256 ?? null,
    raw_blob_bytes: blob?.bytes ?? null,
    error_count: counters.errors,
    export_window_id: ctx.windowId,
  };
}

/** The `sessions` columns that come from PostHog's metadata alone, as the privacy policy lets them leave. */
export function metadataColumns(ref: SessionRef, meta: SessionMetadata | undefined, redactor: Redactor): Row {
  const startMs = meta?.startMs ?? ref.startMs;
  const endMs = meta?.endMs ?? ref.startMs;
  return {
    session_id: ref.sessionId,
    team_id: ref.teamId,
    distinct_id: meta?.distinctId == null ? null : redactor.distinctId(meta.distinctId),
    start_time: startMs,
    end_time: endMs,
    duration_ms: Math.max(0, endMs - startMs),
    active_ms: meta?.activeMs ?? null,
    click_count: meta?.clickCount ?? null,
    keypress_count: meta?.keypressCount ?? null,
    mouse_activity_count: meta?.mouseActivityCount ?? null,
    console_log_count: meta?.consoleLogCount ?? null,
    console_warn_count: meta?.consoleWarnCount ?? null,
    console_error_count: meta?.consoleErrorCount ?? null,
    first_url: meta?.firstUrl == null ? null : redactor.url(meta.firstUrl),
    // Stripping can make two URLs one.
    urls: [...new Set((meta?.urls ?? []).map((u) => redactor.url(u)))],
    snapshot_source: meta?.snapshotSource ?? null,
    snapshot_library: meta?.snapshotLibrary ?? null,
    source_bytes: meta?.size ?? null,
    source_event_count: meta?.eventCount ?? null,
    retention_period_days: meta?.retentionPeriodDays ?? null,
  };
}

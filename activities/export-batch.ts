/**
 * The unit of work: one batch of sessions from one (day, team) partition of an export window. Sessions stream one
 * after another (export-session.ts) into one buffer per table; when the buffers fill, they are flushed as one
 * row-group Parquet file per table and a checkpoint records everything written so far and where the session in
 * progress stood. A retried batch — after a crash, a store outage, a cancelled worker — finds its last checkpoint
 * in storage and continues from it, inside a long session if need be, writing exactly the bytes an uninterrupted run
 * would. The batch ends with a record of what it wrote, which the commit merges into the partition's manifest.
 *
 * A session that fails in a way no retry can fix (a value that fits no column, a session over the size limit, a
 * bug) does not fail the batch: its rows are rolled back, it gets a `failed` row in `sessions` and a row in
 * `export_errors`, and the rest of the batch goes on. Store failures are thrown, classified (failures.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FetchDeps } from './fetch';
import { Lookahead } from './fetch';
import { StoreError, isCancellation } from './failures';
import type { Partition } from './lake-layout';
import {
  batchDoneKey,
  batchStagingPrefix,
  checkpointKey,
  checkpointOf,
  fingerprint,
  intentKey,
  partitionId,
  partitionOf,
  rawChunkKey,
  stagingPrefix,
  tableFileKey,
} from './lake-layout';
import { BATCH_FORMAT, CHECKPOINT_FORMAT, parseRecord } from './lake-records';
import type {
  BatchCheckpoint,
  BatchRecord,
  BatchTotals,
  FileRecord,
  PoisonedSession,
  RawBlobRecord,
  SessionProgress,
} from './lake-records';
import type { LakeStore } from './lake-store';
import { sha256 } from './lake-store';
import type { TableName } from './lake-tables';
import { TABLES, TABLE_NAMES } from './lake-tables';
import type { SessionRef } from './listing';
import { batchMetadata } from './metadata';
import type { SessionMetadata } from './metadata';
import type { Row } from './normalize';
import { TableBuffer } from './parquet-writer';
import { emit } from './telemetry';
import type { PrivacySettings } from './privacy';
import { Redactor } from './privacy';
import { MissingStagingError } from './raw-blob';
import type { SessionContext } from './export-session';
import { exportSession, metadataColumns } from './export-session';
import type { ReadLimits } from './session-reader';
import { ScheduleChangedError, SessionReader } from './session-reader';
import type { SourceSchema } from './source-schema';
import type { FAILURE_TYPES } from '../common/failures';
import { emptyExportCounters } from '../common/totals';
import { dayStart } from '../common/windows';

export interface ExportWindowSpec {
  windowId: string;
  teams: number[];
  startMs: number;
  endMs: number;
  settledBeforeMs: number;
}

export interface ExportBatchInput {
  window: ExportWindowSpec;
  batchIndex: number;
  /** Sessions of one (day, team) partition, in listing order. */
  sessions: SessionRef[];
  /** The workflow chain running the batch (a workflow id and its first run id): whose staging area to use. */
  run: RunIdentity;
}

export interface RunIdentity {
  workflowId: string;
  /** The first run of the chain: stable across continue-as-new and retries, new for each start of the id. */
  chainId: string;
}

export interface ExportBatchResult {
  batchIndex: number;
  partition: Partition;
  batchKey: string;
  totals: BatchTotals;
  files: number;
  rawBytes: number;
}

/** Settings that shape what a batch writes or how much memory it may use. */
export interface BatchSettings extends ReadLimits {
  /** Flush when the table buffers and the session's pending raw lines hold this many bytes. */
  bufferBytes: number;
  privacy: PrivacySettings;
  /** The batch thread's V8 heap limit (worker.threadHeapMB), for the message when a session exceeds it. */
  threadHeapMB: number;
}

export interface BatchDeps {
  fetch: FetchDeps;
  clickhouse: ClickHouseClient;
  lake: LakeStore;
  schema(): Promise<SourceSchema>;
  settings: BatchSettings;
  /** Digest of the settings and formats that shape the output bytes; part of every data file name. */
  configDigest: string;
}

export interface BatchProgress {
  batchIndex: number;
  sessionsDone: number;
  sessions: number;
  events: number;
  checkpoint: number;
  /** The session being exported, if one is: the one to blame when the thread runs out of memory. */
  current?: string;
}

export interface BatchContext {
  signal?: AbortSignal;
  progress?(p: BatchProgress): void;
  /** Sessions an earlier attempt ran out of memory in: marked failed this time instead of exported. */
  outOfMemory?: readonly string[];
}

/** A batch thread reached its heap limit inside a session; the retry marks that session failed. */
export class SessionOutOfMemoryError extends Error {
  override readonly name = 'SessionOutOfMemoryError' satisfies keyof typeof FAILURE_TYPES;

  constructor(
    readonly sessionId: string,
    heapMB: number,
  ) {
    super(
      `session ${sessionId} needed more than a batch thread's ${heapMB} MB heap; raise worker.threadHeapMB to export it, or set export.maxSessionMB to refuse such sessions up front`,
    );
  }
}

function emptyTotals(): BatchTotals {
  return { ...emptyExportCounters(), watermarkMs: 0 };
}

/** A flush that failed while a session was in progress: the batch's failure, not the session's. */
class FlushFailure extends Error {
  constructor(readonly failure: unknown) {
    super('flush failed');
  }
}

/** Errors a retry of the batch can or must handle: never a reason to mark a session failed. */
function isBatchLevel(err: unknown): boolean {
  return (
    isCancellation(err) ||
    err instanceof StoreError ||
    err instanceof MissingStagingError ||
    err instanceof ScheduleChangedError ||
    err instanceof FlushFailure
  );
}

export async function exportBatch(
  deps: BatchDeps,
  input: ExportBatchInput,
  ctx: BatchContext = {},
): Promise<ExportBatchResult> {
  const { sessions } = input;
  const first = sessions[0];
  if (first === undefined) throw new RangeError(`batch ${input.batchIndex} has no sessions`);
  const partition = partitionOf(first.startMs, first.teamId);
  for (const s of sessions) {
    if (s.teamId !== partition.teamId || partitionOf(s.startMs, s.teamId).dt !== partition.dt)
      throw new RangeError(`batch ${input.batchIndex} mixes partitions: ${s.sessionId} is not in ${partition.dt}`);
  }
  const schema = await deps.schema();
  const metas = await batchMetadata(
    deps.clickhouse,
    schema,
    partition.teamId,
    dayStart(partition.dt),
    sessions,
    ctx.signal,
  );
  const batchKey = fingerprint(
    [
      BATCH_FORMAT,
      input.window.windowId,
      deps.configDigest,
      sessions.map((s) => [s.teamId, s.sessionId, metas.get(s.sessionId)?.digest ?? null]),
    ],
    16,
  );
  const prefix = batchStagingPrefix(stagingPrefix(input.run.workflowId, input.run.chainId), input.batchIndex);
  const done = await deps.lake.get(batchDoneKey(prefix));
  if (done) {
    const record = parseRecord<BatchRecord>(done, BATCH_FORMAT, batchDoneKey(prefix));
    if (record.batchKey === batchKey) return resultOf(record);
  }
  // Before any data file: another export's commit must not delete a file of this name while this one is in flight.
  await deps.lake.put(intentKey(partition, batchKey, input.run.workflowId, input.run.chainId), Buffer.alloc(0));
  const run = new BatchRun(deps, input, partition, metas, batchKey, prefix, schema.legacy, ctx);
  return run.run(await run.latestCheckpoint());
}

function resultOf(record: BatchRecord): ExportBatchResult {
  return {
    batchIndex: record.batchIndex,
    partition: record.partition,
    batchKey: record.batchKey,
    totals: record.totals,
    files: Object.values(record.tables).reduce((n, f) => n + (f?.length ?? 0), 0) + record.raw.length,
    rawBytes: record.raw.reduce((n, b) => n + b.bytes, 0),
  };
}

function describeError(err: unknown): { errorClass: string; message: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { errorClass: e.name || 'Error', message: e.message };
}

class BatchRun {
  private readonly buffers: Record<TableName, TableBuffer>;
  private readonly lookahead: Lookahead;
  private readonly redactor: Redactor;
  private state: BatchCheckpoint;

  constructor(
    private readonly deps: BatchDeps,
    private readonly input: ExportBatchInput,
    private readonly partition: Partition,
    private readonly metas: Map<string, SessionMetadata>,
    private readonly batchKey: string,
    private readonly prefix: string,
    private readonly legacyTable: boolean,
    private readonly ctx: BatchContext,
  ) {
    this.buffers = Object.fromEntries(TABLE_NAMES.map((t) => [t, new TableBuffer(TABLES[t])])) as Record<
      TableName,
      TableBuffer
    >;
    this.state = this.fresh();
    const { settings } = deps;
    this.redactor = Redactor.for(settings.privacy, partition.teamId, settings.maxLineBytes);
    // A quarter of the prefetch budget and half its requests: enough for the next short session whole, or the
    // first blocks of a long one.
    this.lookahead = new Lookahead(
      deps.fetch,
      legacyTable,
      settings.prefetchBytes / 4,
      Math.max(1, Math.floor(settings.fetchConcurrency / 2)),
      ctx.signal,
    );
  }

  private fresh(poisoned: PoisonedSession[] = []): BatchCheckpoint {
    return {
      format: CHECKPOINT_FORMAT,
      batchKey: this.batchKey,
      checkpoint: 0,
      nextSession: 0,
      poisoned,
      session: null,
      totals: emptyTotals(),
      tables: {},
      raw: [],
    };
  }

  private async checkpoints(): Promise<Array<{ key: string; n: number }>> {
    return (await this.deps.lake.list(this.prefix))
      .map((o) => ({ key: o.key, n: checkpointOf(o.key) }))
      .filter((c): c is { key: string; n: number } => c.n !== undefined)
      .sort((a, b) => b.n - a.n);
  }

  /** The newest checkpoint this batch (same inputs) left; one from other inputs is removed and ignored. */
  async latestCheckpoint(): Promise<BatchCheckpoint | undefined> {
    const found = await this.checkpoints();
    const newest = found[0];
    if (!newest) return undefined;
    const body = await this.deps.lake.get(newest.key);
    const cp = body ? parseRecord<BatchCheckpoint>(body, CHECKPOINT_FORMAT, newest.key) : undefined;
    if (cp?.batchKey === this.batchKey) return cp;
    await this.deps.lake.delete(found.map((c) => c.key));
    return undefined;
  }

  async run(from: BatchCheckpoint | undefined): Promise<ExportBatchResult> {
    this.state = from ?? this.fresh();
    const outOfMemory = (this.ctx.outOfMemory ?? []).filter(
      (id) =>
        this.input.sessions.some((s) => s.sessionId === id) && !this.state.poisoned.some((p) => p.sessionId === id),
    );
    // Where such a session began is not known (the thread died), so the batch starts over without it: rare, and
    // cheaper than guessing.
    if (outOfMemory.length > 0)
      await this.rewind(
        0,
        this.fresh([
          ...this.state.poisoned,
          ...outOfMemory.map((sessionId) => ({
            sessionId,
            errorClass: 'SessionOutOfMemoryError',
            message: new SessionOutOfMemoryError(sessionId, this.deps.settings.threadHeapMB).message,
          })),
        ]),
      );
    emit('batch_started', {
      batch: this.input.batchIndex,
      partition: partitionId(this.partition),
      sessions: this.input.sessions.length,
      resumed_from: from?.checkpoint ?? null,
    });
    try {
      await this.loop();
    } catch (err) {
      if (!(err instanceof ScheduleChangedError)) throw err;
      // A session's segments changed under a resumed batch (new v1 files, say): start the batch over.
      await this.rewind(0, this.fresh());
      await this.loop();
    }
    await this.flush(null);
    const record: BatchRecord = {
      format: BATCH_FORMAT,
      batchIndex: this.input.batchIndex,
      batchKey: this.batchKey,
      partition: this.partition,
      totals: this.state.totals,
      tables: this.state.tables,
      raw: this.state.raw,
    };
    await this.deps.lake.put(batchDoneKey(this.prefix), Buffer.from(JSON.stringify(record)));
    emit('batch_finished', { batch: this.input.batchIndex, ...record.totals });
    return resultOf(record);
  }

  private async loop(): Promise<void> {
    const { sessions } = this.input;
    while (this.state.nextSession < sessions.length || this.state.session !== null) {
      const resume = this.state.session;
      const index = resume === null ? this.state.nextSession : this.state.nextSession - 1;
      const ref = sessions[index]!;
      if (resume === null) this.state.nextSession++;
      this.state.session = null;
      const meta = this.metas.get(ref.sessionId);
      const poisoned = this.state.poisoned.find((p) => p.sessionId === ref.sessionId);
      if (poisoned) this.failSession(ref, meta, poisoned);
      else {
        const startCheckpoint = this.state.checkpoint;
        const marks = TABLE_NAMES.map((t) => this.buffers[t].rows);
        try {
          if (!meta) throw new Error(`PostHog's metadata for session ${ref.sessionId} disappeared during the export`);
          this.progress(index, ref.sessionId);
          this.primeNext(index + 1);
          const outcome = await exportSession(this.sessionContext(), ref, meta, resume ?? undefined);
          this.addTotals(outcome.counters.eventsKept, outcome.counters, meta, outcome.blob);
          emit('session_exported', {
            batch: this.input.batchIndex,
            session: ref.sessionId,
            events: outcome.counters.eventsKept,
            duplicates: outcome.counters.duplicates,
            errors: outcome.counters.errors,
            bytes_read: outcome.counters.bytesRead,
          });
        } catch (err) {
          if (err instanceof FlushFailure) throw err.failure;
          if (isBatchLevel(err)) throw err;
          const reason = { sessionId: ref.sessionId, ...describeError(err) };
          if (this.state.checkpoint === startCheckpoint) {
            TABLE_NAMES.forEach((t, i) => this.buffers[t].truncate(marks[i]!));
            this.failSession(ref, meta, reason);
          } else {
            // The session spanned checkpoints: go back to where it began and redo what followed, without it.
            const restored = await this.loadCheckpoint(startCheckpoint);
            await this.rewind(startCheckpoint, { ...restored, poisoned: [...this.state.poisoned, reason] });
            continue;
          }
        }
      }
      this.progress(this.state.nextSession);
      if (this.bufferedBytes(0) >= this.deps.settings.bufferBytes) await this.flush(null);
    }
  }

  private progress(sessionsDone: number, current?: string, currentEvents = 0): void {
    this.ctx.progress?.({
      batchIndex: this.input.batchIndex,
      sessionsDone,
      sessions: this.input.sessions.length,
      events: this.state.totals.events + currentEvents,
      checkpoint: this.state.checkpoint,
      ...(current === undefined ? {} : { current }),
    });
  }

  /** Starts fetching the session after this one, unless it is marked failed already. */
  private primeNext(index: number): void {
    const ref = this.input.sessions[index];
    if (ref === undefined || this.state.poisoned.some((p) => p.sessionId === ref.sessionId)) return;
    const meta = this.metas.get(ref.sessionId);
    if (meta) this.lookahead.prime(meta);
  }

  private async loadCheckpoint(n: number): Promise<BatchCheckpoint> {
    if (n === 0) return this.fresh();
    const key = checkpointKey(this.prefix, n);
    const body = await this.deps.lake.get(key);
    if (!body) throw new MissingStagingError(`checkpoint ${key} vanished from staging`);
    return parseRecord<BatchCheckpoint>(body, CHECKPOINT_FORMAT, key);
  }

  /**
   * Continues from an earlier state: later checkpoints are removed, and data files that only the abandoned flushes
   * wrote are deleted (a redo rewrites the others under the same names).
   */
  private async rewind(to: number, state: BatchCheckpoint): Promise<void> {
    const kept = new Set(Object.values(state.tables).flatMap((f) => f?.map((r) => r.key) ?? []));
    const abandoned = Object.values(this.state.tables)
      .flatMap((f) => f?.map((r) => r.key) ?? [])
      .filter((k) => !kept.has(k));
    await this.deps.lake.delete([
      ...(await this.checkpoints()).filter((c) => c.n > to).map((c) => c.key),
      ...abandoned,
    ]);
    this.state = state;
    for (const t of TABLE_NAMES) this.buffers[t].truncate(0);
  }

  private bufferedBytes(pendingRaw: number): number {
    let n = pendingRaw;
    for (const t of TABLE_NAMES) n += this.buffers[t].bytes;
    return n;
  }

  private sessionContext(): SessionContext {
    return {
      openReader: (meta, opts) =>
        SessionReader.open(this.deps.fetch, meta, {
          ...opts,
          legacyTable: this.legacyTable,
          // A resumed session continues mid-stream; what was primed is its start, which it does not need.
          primed: opts.resume ? undefined : this.lookahead.take(meta.sessionId),
        }),
      lake: this.deps.lake,
      partition: this.partition,
      redactor: this.redactor,
      windowId: this.input.window.windowId,
      configDigest: this.deps.configDigest,
      limits: this.deps.settings,
      signal: this.ctx.signal,
      emit: (table, row) => this.buffers[table].append(row),
      wantsFlush: (pendingRaw) => this.bufferedBytes(pendingRaw) >= this.deps.settings.bufferBytes,
      checkpoint: (progress) =>
        this.flush(progress).catch((err: unknown) => {
          throw new FlushFailure(err);
        }),
      rawChunkKey: (sessionId, chunk) => rawChunkKey(this.prefix, sessionId, chunk),
      report: (events) =>
        this.progress(this.state.nextSession - 1, this.input.sessions[this.state.nextSession - 1]?.sessionId, events),
    };
  }

  private addTotals(
    events: number,
    counters: { duplicates: number; bytesRead: number; errors: number },
    meta: SessionMetadata,
    blob: RawBlobRecord | null,
  ): void {
    const t = this.state.totals;
    t.sessions++;
    t.events += events;
    t.duplicates += counters.duplicates;
    t.bytesRead += counters.bytesRead;
    t.errors += counters.errors;
    t.watermarkMs = Math.max(t.watermarkMs, meta.lastIngestedMs);
    if (blob) this.state.raw.push(blob);
  }

  /** The `sessions` row and the `export_errors` row of a session that could not be exported. */
  private failSession(ref: SessionRef, meta: SessionMetadata | undefined, reason: PoisonedSession): void {
    const t = this.state.totals;
    t.sessions++;
    t.sessionsFailed++;
    t.errors++;
    t.errorsByClass[reason.errorClass] = (t.errorsByClass[reason.errorClass] ?? 0) + 1;
    if (meta) t.watermarkMs = Math.max(t.watermarkMs, meta.lastIngestedMs);
    const row: Row = {
      ...metadataColumns(ref, meta, this.redactor),
      status: 'failed',
      source_blocks: meta && meta.blocks.length > 0 ? meta.blocks.length : null,
      blocks_read: 0,
      blocks_unreadable: 0,
      events_read: 0,
      duplicates_dropped: 0,
      bytes_read: 0,
      window_count: 0,
      event_count: 0,
      rrweb_bytes: 0,
      generation: meta?.generation === 'legacy' ? 'legacy' : meta && meta.blocks.length === 0 ? 'blob_v1' : 'blob_v2',
      raw_blob_key: null,
      raw_blob_sha256: null,
      raw_blob_bytes: null,
      error_count: 1,
      export_window_id: this.input.window.windowId,
    };
    emit('session_failed', {
      batch: this.input.batchIndex,
      session: ref.sessionId,
      error_class: reason.errorClass,
      message: reason.message,
    });
    this.buffers.sessions.append(row);
    this.buffers.export_errors.append({
      session_id: ref.sessionId,
      team_id: ref.teamId,
      export_window_id: this.input.window.windowId,
      location: `session ${ref.sessionId}`,
      error_class: reason.errorClass,
      message: reason.message,
      event_timestamp: null,
    });
  }

  /**
   * Writes every buffered row as one file per table, then the checkpoint that names them (and, mid-session, where
   * the session stands). A crash between the two leaves files the retry rewrites byte for byte.
   */
  private async flush(session: (() => Promise<SessionProgress>) | null): Promise<void> {
    const progress = session ? await session() : null;
    const flushIndex = this.state.checkpoint;
    for (const table of TABLE_NAMES) {
      const buffer = this.buffers[table];
      if (buffer.rows === 0) continue;
      const rows = buffer.rows;
      const body = await buffer.drain();
      const key = tableFileKey(table, this.partition, this.batchKey, flushIndex);
      await this.deps.lake.put(key, body);
      const record: FileRecord = { key, rows, bytes: body.byteLength, sha256: sha256(body) };
      (this.state.tables[table] ??= []).push(record);
    }
    if (progress === null && this.state.nextSession >= this.input.sessions.length) {
      // The batch's last flush: the done record, written next, takes the place of a checkpoint.
      this.state.checkpoint++;
      return;
    }
    this.state.checkpoint++;
    this.state.session = progress;
    await this.deps.lake.put(
      checkpointKey(this.prefix, this.state.checkpoint),
      Buffer.from(JSON.stringify(this.state)),
    );
    this.state.session = null;
    emit('batch_checkpoint', {
      batch: this.input.batchIndex,
      checkpoint: this.state.checkpoint,
      in_session: progress?.sessionId ?? null,
    });
  }
}

/**
 * The unit of work: one batch of sessions from one export window. Fetches each session's recording (I/O here),
 * decodes and normalises it on the decode pool, writes its raw blob, then writes one Parquet file per table and
 * partition under a name fixed by the batch index, and a staging record of everything it wrote for the commit.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DecodePool } from './decode-pool';
import type { TableName } from './lake-tables';
import { TABLES } from './lake-tables';
import type { LakeStore } from './lake-store';
import { sha256 } from './lake-store';
import type { Partition } from './lake-layout';
import { partitionId, rawBlobKey, sessionStagingKey, stagingKey, tableFileKey } from './lake-layout';
import { utcDay } from '../workflows/window';
import type { SessionRef } from './list-sessions';
import type { Row } from './normalize';
import { encodeParquet } from './parquet-writer';
import type { ProcessResult } from './process-session';
import { emptyMaterials, fetchLegacyRows, fetchV1Files, fetchV2Blocks } from './source/materials';
import type { SessionMetadata } from './session-metadata';
import { legacyMetadata, replayMetadata } from './session-metadata';
import { v1SessionPrefix } from './source/v1-files';

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
  sessions: SessionRef[];
}

export interface FileRecord {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface RawBlobRecord {
  session_id: string;
  key: string;
  bytes: number;
  sha256: string;
  events: number;
}

/** What one batch wrote into one partition; the commit merges these into the partition's manifest. */
export interface StagedPartition {
  partition: Partition;
  sessions: number;
  events: number;
  errors: number;
  watermarkMs: number;
  tables: Partial<Record<TableName, FileRecord>>;
  raw: RawBlobRecord[];
}

export interface StagingRecord {
  windowId: string;
  batchIndex: number;
  partitions: StagedPartition[];
}

export interface ExportBatchResult {
  batchIndex: number;
  stagingKey: string;
  sessions: number;
  events: number;
  errors: number;
  rawBytes: number;
  files: number;
}

export interface ExportDeps {
  clickhouse: ClickHouseClient;
  sourceS3: S3Client;
  v1S3: S3Client;
  v1Bucket: string;
  v1Prefix: string;
  lake: LakeStore;
  pool: Pick<DecodePool, 'run'>;
  withLegacy: () => Promise<boolean>;
}

export interface BatchContext {
  heartbeat(details: unknown): void;
  signal?: AbortSignal;
  /** Sessions a previous attempt of this activity finished (from its last heartbeat): their output is staged. */
  resumeDone?: readonly string[];
}

/** What a batch heartbeats: enough for a retry to pick up where the last attempt stopped. */
export interface BatchHeartbeat {
  batchIndex: number;
  done: string[];
}

/** Everything one session contributes to a batch; staged per session so a retried batch need not redo it. */
interface SessionOutput {
  partition: Partition;
  rows: Record<TableName, Row[]>;
  blob: RawBlobRecord | null;
  events: number;
  errors: number;
  watermarkMs: number;
}

type Generation = 'blob_v2' | 'blob_v1' | 'legacy' | 'mixed';

function generationOf(parts: Generation[]): Generation {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? (unique[0] ?? 'blob_v2') : 'mixed';
}

/** Runs `fn` over items with at most `limit` in flight, keeping results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function exportBatch(
  deps: ExportDeps,
  input: ExportBatchInput,
  ctx: BatchContext,
  concurrency: number,
): Promise<ExportBatchResult> {
  const { window } = input;
  const ids = input.sessions.map((s) => s.sessionId);
  const teams = [...new Set(input.sessions.map((s) => s.teamId))];
  const replay = await replayMetadata(deps.clickhouse, teams, ids, ctx.signal);
  const legacyIds = input.sessions.filter((s) => !replay.has(`${s.teamId}/${s.sessionId}`)).map((s) => s.sessionId);
  const legacy: Awaited<ReturnType<typeof legacyMetadata>> =
    legacyIds.length > 0 && (await deps.withLegacy())
      ? await legacyMetadata(deps.clickhouse, teams, legacyIds, ctx.signal)
      : new Map<string, { distinctId: string | null; startMs: number; endMs: number }>();

  const perPartition = new Map<
    string,
    { partition: Partition; rows: Record<TableName, Row[]>; staged: StagedPartition }
  >();
  const partitionFor = (p: Partition) => {
    const id = partitionId(p);
    let entry = perPartition.get(id);
    if (!entry) {
      const rows = Object.fromEntries(Object.keys(TABLES).map((t) => [t, [] as Row[]])) as Record<TableName, Row[]>;
      entry = {
        partition: p,
        rows,
        staged: { partition: p, sessions: 0, events: 0, errors: 0, watermarkMs: 0, tables: {}, raw: [] },
      };
      perPartition.set(id, entry);
    }
    return entry;
  };

  const done = new Set(ctx.resumeDone ?? []);
  let rawBytes = 0;
  await mapLimited(input.sessions, concurrency, async (ref) => {
    const stagedKey = sessionStagingKey(window.windowId, input.batchIndex, ref.sessionId);
    let output = done.has(ref.sessionId) ? await loadSessionOutput(deps.lake, stagedKey) : undefined;
    if (!output) {
      output = await exportSession(
        deps,
        window,
        ref,
        replay.get(`${ref.teamId}/${ref.sessionId}`),
        legacy.get(`${ref.teamId}/${ref.sessionId}`),
        ctx.signal,
      );
      await deps.lake.put(stagedKey, gzipSync(JSON.stringify(output)));
    }
    const entry = partitionFor(output.partition);
    for (const [table, rows] of Object.entries(output.rows)) entry.rows[table as TableName].push(...rows);
    if (output.blob) {
      entry.staged.raw.push(output.blob);
      rawBytes += output.blob.bytes;
    }
    entry.staged.sessions++;
    entry.staged.events += output.events;
    entry.staged.errors += output.errors;
    entry.staged.watermarkMs = Math.max(entry.staged.watermarkMs, output.watermarkMs);
    done.add(ref.sessionId);
    const beat: BatchHeartbeat = { batchIndex: input.batchIndex, done: [...done] };
    ctx.heartbeat(beat);
  });

  let files = 0;
  const staged: StagedPartition[] = [];
  for (const { partition, rows, staged: s } of [...perPartition.values()].sort((a, b) =>
    partitionId(a.partition).localeCompare(partitionId(b.partition)),
  )) {
    for (const table of Object.keys(TABLES) as TableName[]) {
      const tableRows = rows[table];
      if (tableRows.length === 0) continue;
      // Rows in a stable order, so the same sessions always encode to the same bytes whatever the fetch order.
      tableRows.sort(compareRows);
      const body = await encodeParquet(TABLES[table].columns, tableRows);
      const key = tableFileKey(table, partition, input.batchIndex);
      await deps.lake.put(key, body);
      s.tables[table] = { key, rows: tableRows.length, bytes: body.byteLength, sha256: sha256(body) };
      files++;
    }
    s.raw.sort((a, b) => a.session_id.localeCompare(b.session_id));
    staged.push(s);
  }
  const record: StagingRecord = { windowId: window.windowId, batchIndex: input.batchIndex, partitions: staged };
  const recordKey = stagingKey(window.windowId, input.batchIndex);
  await deps.lake.put(recordKey, Buffer.from(JSON.stringify(record)));
  return {
    batchIndex: input.batchIndex,
    stagingKey: recordKey,
    sessions: input.sessions.length,
    events: staged.reduce((n, p) => n + p.events, 0),
    errors: staged.reduce((n, p) => n + p.errors, 0),
    rawBytes,
    files,
  };
}

/** Reads, decodes and normalises one session; writes its raw blob. */
async function exportSession(
  deps: ExportDeps,
  window: ExportWindowSpec,
  ref: SessionRef,
  meta: SessionMetadata | undefined,
  legacyMeta: { distinctId: string | null; startMs: number; endMs: number } | undefined,
  signal: AbortSignal | undefined,
): Promise<SessionOutput> {
  const materials = emptyMaterials();
  const generations: Generation[] = [];
  if (meta && meta.blockUrls.length > 0) {
    generations.push('blob_v2');
    await fetchV2Blocks(deps.sourceS3, meta.blockUrls, materials, signal);
  }
  if (meta?.startedBeforeBlocks) {
    const before = materials.v1Files.length;
    await fetchV1Files(
      deps.v1S3,
      deps.v1Bucket,
      v1SessionPrefix(deps.v1Prefix, ref.teamId, ref.sessionId),
      materials,
      signal,
    );
    if (materials.v1Files.length > before || meta.blockUrls.length === 0) generations.push('blob_v1');
  }
  if (legacyMeta) {
    generations.push('legacy');
    await fetchLegacyRows(deps.clickhouse, ref.teamId, ref.sessionId, materials, signal);
  }
  const result: ProcessResult = await deps.pool.run(
    { teamId: ref.teamId, sessionId: ref.sessionId, materials },
    signal,
  );

  const startMs = meta?.startMs ?? legacyMeta?.startMs ?? ref.startMs;
  const partition: Partition = { dt: utcDay(startMs), teamId: ref.teamId };
  const rows = Object.fromEntries(Object.keys(TABLES).map((t) => [t, [] as Row[]])) as Record<TableName, Row[]>;
  let blob: RawBlobRecord | null = null;
  if (result.eventCount > 0) {
    const blobKey = rawBlobKey(partition, ref.sessionId);
    await deps.lake.put(blobKey, result.rawBlob);
    blob = {
      session_id: ref.sessionId,
      key: blobKey,
      bytes: result.rawBlob.byteLength,
      sha256: result.rawSha256,
      events: result.eventCount,
    };
  }
  for (const [table, tableRows] of Object.entries(result.rows)) rows[table as TableName].push(...tableRows);
  const endMs = meta?.endMs ?? legacyMeta?.endMs ?? result.endMs;
  rows.sessions.push({
    session_id: ref.sessionId,
    team_id: ref.teamId,
    distinct_id: meta?.distinctId ?? legacyMeta?.distinctId ?? null,
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
    first_url: meta?.firstUrl ?? null,
    urls: meta?.urls ?? [],
    snapshot_source: meta?.snapshotSource ?? null,
    snapshot_library: meta?.snapshotLibrary ?? null,
    window_count: result.windowCount,
    event_count: result.eventCount,
    rrweb_bytes: result.rrwebBytes,
    source_bytes: meta?.size ?? null,
    generation: generationOf(generations.length > 0 ? generations : ['blob_v2']),
    retention_period_days: meta?.retentionPeriodDays ?? null,
    raw_blob_key: blob?.key ?? null,
    raw_blob_sha256: blob?.sha256 ?? null,
    raw_blob_bytes: blob?.bytes ?? null,
    error_count: result.errors.length,
    export_window_id: window.windowId,
  });
  for (const e of result.errors) {
    rows.export_errors.push({
      session_id: ref.sessionId,
      team_id: ref.teamId,
      export_window_id: window.windowId,
      location: e.location,
      error_class: e.errorClass,
      message: e.message,
      event_timestamp: null,
    });
  }
  return {
    partition,
    rows,
    blob,
    events: result.eventCount,
    errors: result.errors.length,
    watermarkMs: ref.lastIngestedMs ?? 0,
  };
}

async function loadSessionOutput(lake: LakeStore, key: string): Promise<SessionOutput | undefined> {
  const body = await lake.get(key);
  if (!body) return undefined;
  try {
    return JSON.parse(gunzipSync(body).toString('utf8')) as SessionOutput;
  } catch {
    // A staged record cut short by the crash is simply redone.
    return undefined;
  }
}

function compareRows(a: Row, b: Row): number {
  const sa = String(a['session_id'] ?? '');
  const sb = String(b['session_id'] ?? '');
  if (sa !== sb) return sa < sb ? -1 : 1;
  const qa = Number(a['seq'] ?? 0);
  const qb = Number(b['seq'] ?? 0);
  if (qa !== qb) return qa - qb;
  const ia = Number(a['request_index'] ?? 0);
  const ib = Number(b['request_index'] ?? 0);
  if (ia !== ib) return ia - ib;
  return String(a['location'] ?? '').localeCompare(String(b['location'] ?? ''));
}

/**
 * Commits an export window: per (day, team) partition, merges what the batches staged into `_manifest.json`, writes
 * it last, then removes whatever the partition holds that the manifest does not list (parts of an earlier run that
 * had more batches, blobs of sessions since deleted upstream). A committed partition is exactly its manifest.
 */
import type { ExportWindowSpec, FileRecord, RawBlobRecord, StagingRecord } from './export-batch';
import type { TableName } from './lake-tables';
import { TABLES } from './lake-tables';
import type { LakeStore } from './lake-store';
import { sha256 } from './lake-store';
import { encodeParquet } from './parquet-writer';
import type { Partition } from './lake-layout';
import {
  emptyTableFileKey,
  manifestKey,
  partitionId,
  rawPrefix,
  stagingKey,
  stagingPrefix,
  tablePrefix,
  windowPartitions,
} from './lake-layout';

export const MANIFEST_FORMAT = 'replaylake.manifest/v1';

export interface PartitionManifest {
  format: typeof MANIFEST_FORMAT;
  partition: { dt: string; team_id: number };
  export_window_id: string;
  sessions: number;
  events: number;
  errors: number;
  tables: Record<TableName, { rows: number; files: FileRecord[] }>;
  raw: { files: number; bytes: number; blobs: RawBlobRecord[] };
  source: {
    window_start: string;
    window_end: string;
    settled_before: string;
    /** The latest PostHog ingestion time among the exported sessions. */
    watermark: string | null;
    skipped_deleted: number;
    skipped_unsettled: number;
  };
  /** The only wall-clock values in the lake: when and by which run this partition was committed. */
  run: { workflow_id: string; run_id: string; committed_at: string };
}

export interface CommitInput {
  window: ExportWindowSpec;
  batches: number;
  skipped: { deleted: number; unsettled: number };
  run: { workflowId: string; runId: string };
}

export interface CommitResult {
  partitions: number;
  sessions: number;
  events: number;
  errors: number;
  files: number;
  staleDeleted: number;
}

export class MissingStagingError extends Error {
  override readonly name = 'MissingStagingError';
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function commitWindow(
  lake: LakeStore,
  input: CommitInput,
  now: () => number = Date.now,
): Promise<CommitResult> {
  const { window } = input;
  const records: StagingRecord[] = [];
  for (let i = 0; i < input.batches; i++) {
    const body = await lake.get(stagingKey(window.windowId, i));
    if (!body)
      throw new MissingStagingError(
        `batch ${i} of window ${window.windowId} left no staging record; re-run the export`,
      );
    records.push(JSON.parse(body.toString('utf8')) as StagingRecord);
  }
  const result: CommitResult = { partitions: 0, sessions: 0, events: 0, errors: 0, files: 0, staleDeleted: 0 };
  for (const partition of windowPartitions(window.startMs, window.endMs, window.teams)) {
    const manifest = buildManifest(partition, records, input, now);
    await fillEmptyTables(lake, partition, manifest);
    await lake.put(manifestKey(partition), Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
    const keep = new Set<string>([
      ...Object.values(manifest.tables).flatMap((t) => t.files.map((f) => f.key)),
      ...manifest.raw.blobs.map((b) => b.key),
    ]);
    const stale: string[] = [];
    for (const prefix of [
      ...(Object.keys(TABLES) as TableName[]).map((t) => tablePrefix(t, partition)),
      rawPrefix(partition),
    ]) {
      for (const o of await lake.list(prefix)) if (!keep.has(o.key)) stale.push(o.key);
    }
    await lake.delete(stale);
    result.partitions++;
    result.sessions += manifest.sessions;
    result.events += manifest.events;
    result.errors += manifest.errors;
    result.files += keep.size;
    result.staleDeleted += stale.length;
  }
  await lake.delete((await lake.list(stagingPrefix(window.windowId))).map((o) => o.key));
  return result;
}

/**
 * A table with no rows in a partition still gets one zero-row file, so that a glob over any table always finds a
 * file with its schema (DuckDB and Athena fail on a pattern that matches nothing).
 */
async function fillEmptyTables(lake: LakeStore, partition: Partition, manifest: PartitionManifest): Promise<void> {
  for (const table of Object.keys(TABLES) as TableName[]) {
    if (manifest.tables[table].files.length > 0) continue;
    const body = await encodeParquet(TABLES[table].columns, []);
    const key = emptyTableFileKey(table, partition);
    await lake.put(key, body);
    manifest.tables[table].files.push({ key, rows: 0, bytes: body.byteLength, sha256: sha256(body) });
  }
}

function buildManifest(
  partition: Partition,
  records: readonly StagingRecord[],
  input: CommitInput,
  now: () => number,
): PartitionManifest {
  const id = partitionId(partition);
  const tables = Object.fromEntries(
    (Object.keys(TABLES) as TableName[]).map((t) => [t, { rows: 0, files: [] as FileRecord[] }]),
  ) as PartitionManifest['tables'];
  const blobs: RawBlobRecord[] = [];
  let sessions = 0;
  let events = 0;
  let errors = 0;
  let watermark = 0;
  for (const record of records) {
    for (const staged of record.partitions) {
      if (partitionId(staged.partition) !== id) continue;
      sessions += staged.sessions;
      events += staged.events;
      errors += staged.errors;
      watermark = Math.max(watermark, staged.watermarkMs);
      blobs.push(...staged.raw);
      for (const [table, file] of Object.entries(staged.tables) as Array<[TableName, FileRecord]>) {
        tables[table].files.push(file);
        tables[table].rows += file.rows;
      }
    }
  }
  for (const t of Object.values(tables)) t.files.sort((a, b) => a.key.localeCompare(b.key));
  blobs.sort((a, b) => a.key.localeCompare(b.key));
  const { window } = input;
  return {
    format: MANIFEST_FORMAT,
    partition: { dt: partition.dt, team_id: partition.teamId },
    export_window_id: window.windowId,
    sessions,
    events,
    errors,
    tables,
    raw: { files: blobs.length, bytes: blobs.reduce((n, b) => n + b.bytes, 0), blobs },
    source: {
      window_start: iso(window.startMs),
      window_end: iso(window.endMs),
      settled_before: iso(window.settledBeforeMs),
      watermark: watermark > 0 ? iso(watermark) : null,
      skipped_deleted: input.skipped.deleted,
      skipped_unsettled: input.skipped.unsettled,
    },
    run: { workflow_id: input.run.workflowId, run_id: input.run.runId, committed_at: iso(now()) },
  };
}

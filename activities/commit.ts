/**
 * Commits an export window, one (day, team) partition at a time. Each partition's commit is atomic and last: the
 * data files are already in place under names no other input can produce, and the commit creates the next
 * `versions/NNNNNNNN.json` with a conditional write (S3 `If-None-Match: *`, a hard link locally). Whoever creates a
 * version number first owns it; a concurrent commit of the same partition (an overlapping window, a backfill and a
 * manual export of one day) takes the next number, so every version is one export's complete snapshot and the
 * newest wins whole — never a mix. `_manifest.json`, the fixed name readers open, is then set to the newest version
 * (each committer re-checks after writing it, so it cannot be left behind on an older one).
 *
 * Afterwards the files the previous version listed and this one does not are deleted, as are files neither of the
 * two lists that are older than the orphan grace period (debris of exports that never committed, and files only
 * older versions listed), half-written uploads, and the window's staging. A retried commit finds its version already there and changes nothing.
 */
import type { PrivacyRecord, PrivacySettings } from './privacy';
import { privacyRecord } from './privacy';
import type { ExportWindowSpec, RunIdentity } from './export-batch';
import {
  emptyTableFileKey,
  manifestKey,
  manifestVersionKey,
  manifestVersionOf,
  manifestVersionsPrefix,
  intentBatchKey,
  intentKey,
  intentsPrefix,
  partitionDataPrefixes,
  partitionId,
  stagingPrefix,
  stagingWorkflowPrefix,
  tableFileBatchKey,
  windowPartitions,
} from './lake-layout';
import type { Partition } from './lake-layout';
import { BATCH_FORMAT, MANIFEST_FORMAT, manifestFiles, parseRecord, readManifest } from './lake-records';
import type { BatchRecord, FileRecord, PartitionManifest, RawBlobRecord } from './lake-records';
import type { LakeObject, LakeStore } from './lake-store';
import { sha256 } from './lake-store';
import { TABLES, TABLE_NAMES } from './lake-tables';
import type { PartitionSkips } from './listing';
import { encodeParquet } from './parquet-writer';
import { MissingStagingError } from './raw-blob';
import { emit } from './telemetry';

export interface CommitInput {
  window: ExportWindowSpec;
  batches: number;
  skipped: PartitionSkips[];
  /** The workflow chain whose batches left their records in staging, and the run that commits. */
  run: RunIdentity & { runId: string };
}

export interface CommitResult {
  partitions: number;
  /** Partitions whose newest version already held exactly this snapshot (a retried or repeated commit). */
  unchanged: number;
  sessions: number;
  sessionsFailed: number;
  events: number;
  errors: number;
  files: number;
  staleDeleted: number;
}

export interface CommitOptions {
  /** Digest of the export settings, recorded in each manifest. */
  configDigest: string;
  /** The privacy policies the batches applied; each manifest records its team's. */
  privacy: PrivacySettings;
  /** Files neither the new version nor the one it replaces lists are deleted once older than this. */
  orphanGraceMs: number;
  /** Versions kept under versions/ besides the newest. */
  keepVersions: number;
  now?: () => number;
  /** Called after each partition, for heartbeats. */
  progress?: (done: number, total: number) => void;
}

/** Concurrent commits of one partition race for a version number; this many rounds is far more than they need. */
const MAX_VERSION_RACES = 20;

const iso = (ms: number) => new Date(ms).toISOString();

async function batchRecords(
  lake: LakeStore,
  input: CommitInput,
  staging: string,
  staged: readonly LakeObject[],
): Promise<BatchRecord[]> {
  const records = new Map<number, BatchRecord>();
  for (const o of staged) {
    if (!o.key.endsWith('/done.json')) continue;
    const body = await lake.get(o.key);
    if (!body) continue;
    const record = parseRecord<BatchRecord>(body, BATCH_FORMAT, o.key);
    records.set(record.batchIndex, record);
  }
  const missing = Array.from({ length: input.batches }, (_, i) => i).filter((i) => !records.has(i));
  if (missing.length > 0)
    throw new MissingStagingError(
      `batches ${missing.slice(0, 10).join(', ')} of window ${input.window.windowId} left no record in ${staging}; re-run the export`,
    );
  return [...records.values()].sort((a, b) => a.batchIndex - b.batchIndex);
}

function emptyResult(): CommitResult {
  return {
    partitions: 0,
    unchanged: 0,
    sessions: 0,
    sessionsFailed: 0,
    events: 0,
    errors: 0,
    files: 0,
    staleDeleted: 0,
  };
}

/** Counts one committed partition's snapshot into the window's result. */
function addPartition(result: CommitResult, snapshot: Snapshot): void {
  result.partitions++;
  result.sessions += snapshot.sessions;
  result.sessionsFailed += snapshot.sessions_failed;
  result.events += snapshot.events;
  result.errors += snapshot.errors;
  result.files += TABLE_NAMES.reduce((n, t) => n + snapshot.tables[t].files.length, 0) + snapshot.raw.files;
}

export async function commitWindow(lake: LakeStore, input: CommitInput, opts: CommitOptions): Promise<CommitResult> {
  const now = opts.now ?? Date.now;
  const staging = stagingPrefix(input.run.workflowId, input.run.chainId);
  const staged = await lake.list(staging);
  if (staged.length === 0) {
    const done = await alreadyCommitted(lake, input);
    if (done) return done;
  }
  const records = await batchRecords(lake, input, staging, staged);
  const result = emptyResult();
  const partitions = windowPartitions(input.window.startMs, input.window.endMs, input.window.teams);
  for (const partition of partitions) {
    const snapshot = buildManifest(
      partition,
      records,
      input,
      opts.configDigest,
      privacyRecord(opts.privacy, partition.teamId),
    );
    await fillEmptyTables(lake, partition, snapshot);
    const committed = await commitPartition(lake, partition, snapshot, input, now);
    // Its files are listed by a version now, so this export's intents for the partition have done their work.
    await lake.delete(
      records
        .filter((r) => partitionId(r.partition) === partitionId(partition))
        .map((r) => intentKey(partition, r.batchKey, input.run.workflowId, input.run.chainId)),
    );
    if (!committed.changed) result.unchanged++;
    const stale = await collectGarbage(lake, partition, committed, opts, now);
    result.staleDeleted += stale;
    emit('partition_committed', {
      partition: partitionId(partition),
      version: committed.manifest.version,
      changed: committed.changed,
      stale_deleted: stale,
    });
    addPartition(result, snapshot);
    opts.progress?.(result.partitions, partitions.length);
  }
  // Staging of this chain, and of earlier chains of the same workflow id that crashed before committing.
  const workflowStaging = stagingWorkflowPrefix(input.run.workflowId);
  await lake.delete((await lake.list(workflowStaging)).map((o) => o.key));
  await lake.sweep([workflowStaging], 0);
  emit('window_committed', {
    window: input.window.windowId,
    partitions: result.partitions,
    unchanged: result.unchanged,
  });
  return result;
}

/**
 * A retry of a commit that finished (its worker died before reporting): staging is gone and every partition's
 * committed snapshot is this chain's. The result is read back from the manifests.
 */
async function alreadyCommitted(lake: LakeStore, input: CommitInput): Promise<CommitResult | undefined> {
  const result = emptyResult();
  for (const partition of windowPartitions(input.window.startMs, input.window.endMs, input.window.teams)) {
    const m = await committedBy(lake, partition, input.run);
    if (!m) return undefined;
    result.unchanged++;
    addPartition(result, m);
  }
  return result;
}

/** This chain's commit of the partition: the current one, or a version a later export has since replaced. */
async function committedBy(
  lake: LakeStore,
  partition: Partition,
  run: RunIdentity,
): Promise<PartitionManifest | undefined> {
  const ours = (m: PartitionManifest | undefined) =>
    m !== undefined && m.run.workflow_id === run.workflowId && m.run.chain_id === run.chainId;
  const current = await readManifest(lake, manifestKey(partition));
  if (ours(current)) return current;
  for (const v of (await versions(lake, partition)).reverse()) {
    const m = await readManifest(lake, manifestVersionKey(partition, v));
    if (ours(m)) return m;
  }
  return undefined;
}

type Snapshot = Omit<PartitionManifest, 'version' | 'run'>;

function buildManifest(
  partition: Partition,
  records: readonly BatchRecord[],
  input: CommitInput,
  configDigest: string,
  privacy: PrivacyRecord,
): Snapshot {
  const id = partitionId(partition);
  const tables = Object.fromEntries(
    TABLE_NAMES.map((t) => [t, { rows: 0, files: [] as FileRecord[] }]),
  ) as Snapshot['tables'];
  const blobs: RawBlobRecord[] = [];
  let sessions = 0;
  let failed = 0;
  let events = 0;
  let errors = 0;
  let watermark = 0;
  for (const record of records) {
    if (partitionId(record.partition) !== id) continue;
    sessions += record.totals.sessions;
    failed += record.totals.sessionsFailed;
    events += record.totals.events;
    errors += record.totals.errors;
    watermark = Math.max(watermark, record.totals.watermarkMs);
    blobs.push(...record.raw);
    for (const t of TABLE_NAMES) {
      for (const file of record.tables[t] ?? []) {
        tables[t].files.push(file);
        tables[t].rows += file.rows;
      }
    }
  }
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  for (const t of Object.values(tables)) t.files.sort(byKey);
  blobs.sort(byKey);
  const skips = input.skipped.filter((s) => s.dt === partition.dt && s.teamId === partition.teamId);
  const { window } = input;
  return {
    format: MANIFEST_FORMAT,
    partition: { dt: partition.dt, team_id: partition.teamId },
    export_window_id: window.windowId,
    sessions,
    sessions_failed: failed,
    events,
    errors,
    tables,
    raw: { files: blobs.length, bytes: blobs.reduce((n, b) => n + b.bytes, 0), blobs },
    source: {
      window_start: iso(window.startMs),
      window_end: iso(window.endMs),
      settled_before: iso(window.settledBeforeMs),
      watermark: watermark > 0 ? iso(watermark) : null,
      skipped_deleted: skips.reduce((n, s) => n + s.deleted, 0),
      skipped_unsettled: skips.reduce((n, s) => n + s.unsettled, 0),
    },
    export: { config: configDigest, privacy },
  };
}

/**
 * A table with no rows in a partition still gets one zero-row file, so that a glob over any table always finds a
 * file with its schema (DuckDB and Athena fail on a pattern that matches nothing).
 */
async function fillEmptyTables(lake: LakeStore, partition: Partition, snapshot: Snapshot): Promise<void> {
  for (const table of TABLE_NAMES) {
    if (snapshot.tables[table].files.length > 0) continue;
    const body = await encodeParquet(TABLES[table].columns, []);
    const digest = sha256(body);
    const key = emptyTableFileKey(table, partition, digest.slice(0, 12));
    await lake.put(key, body);
    snapshot.tables[table].files.push({ key, rows: 0, bytes: body.byteLength, sha256: digest });
  }
}

/** Everything in a manifest but what names the commit itself, to tell whether two commits hold the same snapshot. */
function content(m: Snapshot | PartitionManifest): string {
  const { version: _version, run: _run, ...rest } = m as PartitionManifest;
  return JSON.stringify(rest);
}

async function versions(lake: LakeStore, partition: Partition): Promise<number[]> {
  return (await lake.list(manifestVersionsPrefix(partition)))
    .map((o) => manifestVersionOf(o.key))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
}

interface Committed {
  manifest: PartitionManifest;
  changed: boolean;
  /** The version this commit replaced (its files may now be garbage); null for a first commit. */
  previous: PartitionManifest | null;
  /** The version `_manifest.json` points at: this one, or a newer commit's (null when that one is unreadable). */
  newest: PartitionManifest | null;
}

async function commitPartition(
  lake: LakeStore,
  partition: Partition,
  snapshot: Snapshot,
  input: CommitInput,
  now: () => number,
): Promise<Committed> {
  const wanted = content(snapshot);
  for (let round = 0; round < MAX_VERSION_RACES; round++) {
    const existing = await versions(lake, partition);
    const newest = existing[existing.length - 1];
    const newestManifest =
      newest === undefined ? undefined : await readManifest(lake, manifestVersionKey(partition, newest));
    let manifest: PartitionManifest;
    let changed: boolean;
    if (newestManifest && content(newestManifest) === wanted) {
      manifest = newestManifest;
      changed = false;
    } else {
      const version = (newest ?? 0) + 1;
      manifest = {
        ...snapshot,
        version,
        run: {
          workflow_id: input.run.workflowId,
          chain_id: input.run.chainId,
          run_id: input.run.runId,
          committed_at: iso(now()),
        },
      };
      if (
        !(await lake.create(
          manifestVersionKey(partition, version),
          Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`),
        ))
      )
        continue;
      emit('manifest_version', { partition: partitionId(partition), version });
      changed = true;
    }
    const previous = await previousManifest(lake, partition, manifest.version);
    return { manifest, changed, previous, newest: await pointAtNewest(lake, partition, manifest) };
  }
  throw new Error(`partition ${partitionId(partition)} kept changing under ${MAX_VERSION_RACES} commit attempts`);
}

/** The version before `version`, or a manifest from before versions existed. */
async function previousManifest(
  lake: LakeStore,
  partition: Partition,
  version: number,
): Promise<PartitionManifest | null> {
  for (let v = version - 1; v >= 1; v--) {
    const m = await readManifest(lake, manifestVersionKey(partition, v));
    if (m) return m;
  }
  return null;
}

/**
 * Sets `_manifest.json` to the newest version, re-checking after each write: a slower committer of an older version
 * may write after a newer one did, and then puts the newer one back. Returns the version it points at, or null when
 * a newer one cannot be read.
 */
async function pointAtNewest(
  lake: LakeStore,
  partition: Partition,
  ours: PartitionManifest,
): Promise<PartitionManifest | null> {
  let target = ours;
  for (;;) {
    await lake.put(manifestKey(partition), Buffer.from(`${JSON.stringify(target, null, 1)}\n`));
    const all = await versions(lake, partition);
    const newest = all[all.length - 1] ?? target.version;
    if (newest <= target.version) return target;
    const next = await readManifest(lake, manifestVersionKey(partition, newest));
    if (!next) return null;
    target = next;
  }
}

function listedKeys(m: PartitionManifest | null): Set<string> {
  return new Set(m ? manifestFiles(m).map((f) => f.key) : []);
}

async function collectGarbage(
  lake: LakeStore,
  partition: Partition,
  committed: Committed,
  opts: CommitOptions,
  now: () => number,
): Promise<number> {
  // Each commit collects what the version it replaced listed, even when a newer commit has replaced it in turn: that
  // one collects against this version, so the files only the replaced version listed are this commit's to delete.
  // The newest version's files stay, of course.
  if (!committed.newest) return 0;
  const keep = listedKeys(committed.manifest);
  for (const key of listedKeys(committed.newest)) keep.add(key);
  const previous = listedKeys(committed.previous);
  // Files are named by their input, so an export still in flight may be writing a replaced file again in order to
  // commit it (a nightly run and a manual export of one day share names). A replaced file modified after its version
  // was created is such a rewrite: it waits out the grace period like an orphan instead of going now.
  // A batch of an export still in flight says so before it writes (its intent), so a replaced file it may be about
  // to commit again is not deleted now either. Both wait out the grace period like orphans instead.
  const replacedBefore = committed.previous ? await versionModifiedMs(lake, partition, committed.previous.version) : 0;
  const cutoff = now() - opts.orphanGraceMs;
  const candidates: LakeObject[] = [];
  const prefixes = partitionDataPrefixes(partition);
  for (const prefix of prefixes) for (const o of await lake.list(prefix)) if (!keep.has(o.key)) candidates.push(o);
  await lake.sweep(prefixes, opts.orphanGraceMs);
  // Read after the data files, so that an export which starts writing in between has written its intent first.
  const intents = await lake.list(intentsPrefix(partition));
  const inFlight = new Set(intents.filter((o) => o.modifiedMs >= cutoff).map((o) => intentBatchKey(o.key)));
  const doomed = candidates
    .filter((o) => {
      if (o.modifiedMs < cutoff) return true;
      if (!previous.has(o.key)) return false;
      const batchKey = tableFileBatchKey(o.key);
      return o.modifiedMs <= replacedBefore && (batchKey === undefined || !inFlight.has(batchKey));
    })
    .map((o) => o.key);
  // Intents older than the grace period are of exports that died; their files are orphans by now.
  await lake.delete([...doomed, ...intents.filter((o) => o.modifiedMs < cutoff).map((o) => o.key)]);
  const old = (await versions(lake, partition)).slice(0, -(opts.keepVersions + 1));
  await lake.delete(old.map((v) => manifestVersionKey(partition, v)));
  return doomed.length;
}

/** When a version was created, by the lake's own clock (the one its data files' times come from); 0 if it is gone. */
async function versionModifiedMs(lake: LakeStore, partition: Partition, version: number): Promise<number> {
  const key = manifestVersionKey(partition, version);
  return (await lake.list(manifestVersionsPrefix(partition))).find((o) => o.key === key)?.modifiedMs ?? 0;
}

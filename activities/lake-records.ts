/**
 * The lake's own records, as stored: what writers put next to the data and what readers (commit, verify, `play`,
 * tests) parse back. One definition per format, each carrying a `format` tag so a reader can refuse what it does not
 * understand.
 */
import type { MergeState } from './merge';
import type { NormalizerState } from './normalize';
import { TABLE_NAMES } from './lake-tables';
import type { TableName } from './lake-tables';
import type { ExportCounters } from '../common/totals';
import type { Partition } from './lake-layout';
import type { LakeStore } from './lake-store';
import type { PrivacyRecord } from './privacy';

export const MANIFEST_FORMAT = 'replaylake.manifest/v2';
export const BATCH_FORMAT = 'replaylake.batch/v1';
export const CHECKPOINT_FORMAT = 'replaylake.checkpoint/v1';

/** One data file as written: where, how many rows, and the checksum verify and readers check it against. */
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

/**
 * A committed (day, team) partition: exactly the files it lists. Readers that need a consistent snapshot read
 * `_manifest.json` and then only the files it names. Every commit also stays under `versions/`.
 */
export interface PartitionManifest {
  format: typeof MANIFEST_FORMAT;
  /** The commit's number under versions/; a commit replaces the previous version whole. */
  version: number;
  partition: { dt: string; team_id: number };
  export_window_id: string;
  /** Rows in `sessions`: every session listed, failed ones included. */
  sessions: number;
  sessions_failed: number;
  events: number;
  /** Rows in `export_errors`. */
  errors: number;
  tables: Record<TableName, { rows: number; files: FileRecord[] }>;
  raw: { files: number; bytes: number; blobs: RawBlobRecord[] };
  source: {
    window_start: string;
    window_end: string;
    settled_before: string;
    /** The latest PostHog ingestion time (max `_timestamp`) among the exported sessions. */
    watermark: string | null;
    skipped_deleted: number;
    skipped_unsettled: number;
  };
  /** Digest of the export settings that shaped the bytes, and the privacy policy applied to this partition. */
  export: { config: string; privacy: PrivacyRecord };
  /** The only wall-clock values in the lake: when and by which run this partition was committed. */
  run: { workflow_id: string; chain_id: string; run_id: string; committed_at: string };
}

/** Totals of a batch, kept as it goes so a resumed batch reports what an uninterrupted one would. */
export interface BatchTotals extends ExportCounters {
  /** Latest PostHog ingestion time among the batch's sessions, epoch ms; 0 when unknown. */
  watermarkMs: number;
}

/** What a finished batch wrote into its partition, for the commit. */
export interface BatchRecord {
  format: typeof BATCH_FORMAT;
  batchIndex: number;
  /** Fingerprint of the batch's inputs; part of every data file name it wrote. */
  batchKey: string;
  partition: Partition;
  totals: BatchTotals;
  tables: Partial<Record<TableName, FileRecord[]>>;
  raw: RawBlobRecord[];
}

/** Where a session in progress stood when its batch last flushed: enough to continue it mid-stream. */
export interface SessionProgress {
  sessionId: string;
  /** Digest of the session's segment schedule; a resume that finds another schedule starts the batch over. */
  schedule: string;
  merge: MergeState;
  normalizer: NormalizerState;
  counters: SessionCounters;
  /** Raw-blob chunks already written to staging, in order. */
  rawChunks: Array<{ key: string; bytes: number }>;
}

/** What the `sessions` row needs besides PostHog's metadata, counted while the session streams. */
export interface SessionCounters {
  eventsRead: number;
  eventsKept: number;
  duplicates: number;
  blocksRead: number;
  blocksUnreadable: number;
  bytesRead: number;
  /** Decompressed bytes of every segment read: what the session-size limit counts. */
  decodedBytes: number;
  rrwebBytes: number;
  errors: number;
}

export interface PoisonedSession {
  sessionId: string;
  errorClass: string;
  message: string;
}

/**
 * A batch's state after its Nth flush: every row it produced so far is in the files listed, and the in-memory state
 * to continue from is here. Written after the flush's files, so a checkpoint never names a file that is not there.
 */
export interface BatchCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  batchKey: string;
  /** Flushes done; the next flush writes part number `checkpoint`. */
  checkpoint: number;
  /** Index, in the batch's session order, of the next session to start (the one in progress is before it). */
  nextSession: number;
  /** Sessions a deterministic failure excluded (marked failed), and why; a resume does not try them again. */
  poisoned: PoisonedSession[];
  session: SessionProgress | null;
  totals: BatchTotals;
  tables: Partial<Record<TableName, FileRecord[]>>;
  raw: RawBlobRecord[];
}

export function parseRecord<T extends { format: string }>(body: Buffer, format: T['format'], key: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new Error(`${key} is not JSON: ${(err as Error).message}`);
  }
  if ((parsed as { format?: unknown } | null)?.format !== format) throw new Error(`${key} is not a ${format} record`);
  return parsed as T;
}

/** A partition manifest at `key`; undefined when there is none or it is not one this version reads. */
export async function readManifest(store: LakeStore, key: string): Promise<PartitionManifest | undefined> {
  const body = await store.get(key);
  if (!body) return undefined;
  try {
    return parseRecord<PartitionManifest>(body, MANIFEST_FORMAT, key);
  } catch {
    return undefined;
  }
}

/** Every file a manifest lists: each table's files and the raw blobs. */
export function manifestFiles(m: PartitionManifest): Array<FileRecord | RawBlobRecord> {
  // A table a manifest of an older release did not have lists nothing.
  return [...TABLE_NAMES.flatMap((t) => m.tables[t]?.files ?? []), ...m.raw.blobs];
}

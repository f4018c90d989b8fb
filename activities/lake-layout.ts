/**
 * Every object key in the lake, as pure functions. Data files are immutable: their names carry a fingerprint of
 * everything that determines their bytes, so a retry or a repeated export rewrites a name with exactly the same
 * bytes, while an export whose input differs (another window, a changed source, another privacy policy) can never
 * overwrite a file that a committed manifest lists.
 *
 *   {table}/dt=YYYY-MM-DD/team_id=N/part-{batch}-{NNNN}.parquet    one row group per flush of a batch
 *   {table}/dt=YYYY-MM-DD/team_id=N/part-empty-{schema}.parquet    zero rows, when no batch had any for the table
 *   raw/dt=YYYY-MM-DD/team_id=N/{session}.{fingerprint}.jsonl.zst   one rrweb blob per session
 *   _manifests/dt=YYYY-MM-DD/team_id=N/_manifest.json              the committed snapshot readers follow
 *   _manifests/dt=YYYY-MM-DD/team_id=N/versions/NNNNNNNN.json      every commit, created once (the atomic step)
 *   _intents/dt=YYYY-MM-DD/team_id=N/{batch}/{workflow}~{chain}    a batch of an export in flight writes part-{batch}
 *   _staging/{workflow}/{chain}/batch-NNNNN/checkpoint-NNNN.json   what a batch has written so far, to resume from
 *   _staging/{workflow}/{chain}/batch-NNNNN/done.json              what a finished batch wrote, for the commit
 *   _staging/{workflow}/{chain}/batch-NNNNN/raw/{session}/NNNN.zst raw-blob chunks of a session still in progress
 *
 * `{session}`, `{workflow}` and `{chain}` (the chain's first run id) come from data: keySegment encodes them
 * injectively.
 */
import { createHash } from 'node:crypto';
import { TABLE_NAMES } from './lake-tables';
import type { TableName } from './lake-tables';
import { DAY_MS, utcDay } from '../common/windows';

export const RAW_BLOB_EXTENSION = '.jsonl.zst';

export interface Partition {
  dt: string;
  teamId: number;
}

export function partitionId(p: Partition): string {
  return `dt=${p.dt}/team_id=${p.teamId}`;
}

export function partitionOf(startMs: number, teamId: number): Partition {
  return { dt: utcDay(startMs), teamId };
}

/** Bytes that stay as they are in a key segment; everything else is escaped. */
const PLAIN = /^[A-Za-z0-9_-]$/;
/** Longer encodings keep a readable prefix and end in a digest of the whole value. */
const MAX_SEGMENT = 120;
const KEPT_PREFIX = 72;

/**
 * An object-key segment for a value that comes from data. Bytes outside `[A-Za-z0-9_-]` (and a `.` that is not
 * leading) become `~xx` (lowercase hex of each UTF-8 byte), `~` included, so distinct values never share an encoding:
 * `x/y` is `x~2fy`, `x_y` stays `x_y`. Encodings longer than 120 characters keep 72 of them and end in `~h` plus 40
 * hex digits of the value's SHA-256; a plain encoding never contains `~h`, so the two forms cannot collide either.
 * UUIDs, PostHog's session ids, pass through unchanged.
 */
export function keySegment(value: string): string {
  if (value === '') return '~';
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += PLAIN.test(ch) || (ch === '.' && out !== '') ? ch : `~${byte.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= MAX_SEGMENT) return out;
  return `${out.slice(0, KEPT_PREFIX)}~h${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 40)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function tablePrefix(table: TableName, p: Partition): string {
  return `${table}/${partitionId(p)}/`;
}

/** The file a batch (identified by its fingerprint) writes at one flush. */
export function tableFileKey(table: TableName, p: Partition, batchKey: string, flush: number): string {
  return `${tablePrefix(table, p)}part-${batchKey}-${pad(flush, 4)}.parquet`;
}

/** The zero-row file a committed partition holds for a table that got no rows; named by its bytes (the schema). */
export function emptyTableFileKey(table: TableName, p: Partition, contentDigest: string): string {
  return `${tablePrefix(table, p)}part-empty-${contentDigest}.parquet`;
}

export function rawPrefix(p: Partition): string {
  return `raw/${partitionId(p)}/`;
}

export function rawBlobKey(p: Partition, sessionId: string, fingerprint: string): string {
  return `${rawPrefix(p)}${keySegment(sessionId)}.${fingerprint}${RAW_BLOB_EXTENSION}`;
}

/**
 * Where a batch says, before it writes a data file, that an export in flight will commit files `part-{batchKey}-…`
 * in this partition. Exports whose inputs agree share file names, so a commit collecting garbage must not delete a
 * file another export is about to commit again; it reads these first.
 */
export function intentsPrefix(p: Partition): string {
  return `_intents/${partitionId(p)}/`;
}

export function intentKey(p: Partition, batchKey: string, workflowId: string, chainId: string): string {
  return `${intentsPrefix(p)}${batchKey}/${keySegment(workflowId)}~${keySegment(chainId)}`;
}

/** The batch key an intent names; undefined for any other key. */
export function intentBatchKey(key: string): string | undefined {
  return /^_intents\/dt=[^/]+\/team_id=[^/]+\/([0-9a-f]+)\//.exec(key)?.[1];
}

/** The batch key of a table file `part-{batchKey}-NNNN.parquet`; undefined for any other file. */
export function tableFileBatchKey(key: string): string | undefined {
  return /\/part-([0-9a-f]+)-\d{4}\.parquet$/.exec(key)?.[1];
}

/** Every prefix that holds a partition's data files: one per table and the raw blobs. */
export function partitionDataPrefixes(p: Partition): string[] {
  return [...TABLE_NAMES.map((t) => tablePrefix(t, p)), rawPrefix(p)];
}

function manifestPrefix(p: Partition): string {
  return `_manifests/${partitionId(p)}/`;
}

export function manifestKey(p: Partition): string {
  return `${manifestPrefix(p)}_manifest.json`;
}

export function manifestVersionsPrefix(p: Partition): string {
  return `${manifestPrefix(p)}versions/`;
}

export function manifestVersionKey(p: Partition, version: number): string {
  return `${manifestVersionsPrefix(p)}${pad(version, 8)}.json`;
}

/** The version number a key under manifestVersionsPrefix names, or undefined for anything else. */
export function manifestVersionOf(key: string): number | undefined {
  const m = /\/versions\/(\d{8})\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

const STAGING_ROOT = '_staging/';

/** Staging of one workflow chain (a workflow id and its first run), so concurrent exports never share it. */
export function stagingPrefix(workflowId: string, firstRunId: string): string {
  return `${STAGING_ROOT}${keySegment(workflowId)}/${keySegment(firstRunId)}/`;
}

/** Every chain ever staged under a workflow id (a crashed earlier run of the same id leaves one behind). */
export function stagingWorkflowPrefix(workflowId: string): string {
  return `${STAGING_ROOT}${keySegment(workflowId)}/`;
}

export function batchStagingPrefix(staging: string, batchIndex: number): string {
  return `${staging}batch-${pad(batchIndex, 5)}/`;
}

export function checkpointKey(batchPrefix: string, checkpoint: number): string {
  return `${batchPrefix}checkpoint-${pad(checkpoint, 4)}.json`;
}

export function checkpointOf(key: string): number | undefined {
  const m = /\/checkpoint-(\d{4})\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

export function batchDoneKey(batchPrefix: string): string {
  return `${batchPrefix}done.json`;
}

export function rawChunkKey(batchPrefix: string, sessionId: string, chunk: number): string {
  return `${batchPrefix}raw/${keySegment(sessionId)}/${pad(chunk, 4)}.zst`;
}

/** Every (day, team) partition a window covers, in order; empty ones are committed too. */
export function windowPartitions(startMs: number, endMs: number, teams: readonly number[]): Partition[] {
  const out: Partition[] = [];
  for (let day = startMs; day < endMs; day += DAY_MS) {
    for (const teamId of [...teams].sort((a, b) => a - b)) out.push({ dt: utcDay(day), teamId });
  }
  return out;
}

/** A short, stable digest of a JSON-serialisable value, for fingerprints in names. */
export function fingerprint(value: unknown, hexChars: number): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, hexChars);
}

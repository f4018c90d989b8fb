/**
 * Every object key in the lake, as pure functions of (table, partition, window, batch): re-running an export writes
 * the same names, so a retry replaces instead of duplicating.
 *
 *   {table}/dt=YYYY-MM-DD/team_id=N/part-NNNNN.parquet     NNNNN = the batch that wrote it
 *   {table}/dt=YYYY-MM-DD/team_id=N/part-empty.parquet     zero rows, when no batch had any for the table
 *   raw/dt=YYYY-MM-DD/team_id=N/{session_id}.jsonl.zst      one rrweb blob per session
 *   _manifests/dt=YYYY-MM-DD/team_id=N/_manifest.json       the commit marker, written last
 *   _staging/{window_id}/batch-NNNNN.json                   what each batch wrote, until the commit
 *   _staging/{window_id}/batch-NNNNN/{session_id}.json.gz   each finished session, so a retried batch resumes
 */
import type { TableName } from './lake-tables';
import { safeKeySegment } from './lake-store';
import { RAW_BLOB_EXTENSION } from './parquet-writer';
import { DAY_MS, utcDay } from '../workflows/window';

export interface Partition {
  dt: string;
  teamId: number;
}

export function partitionId(p: Partition): string {
  return `dt=${p.dt}/team_id=${p.teamId}`;
}

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

export function tableFileKey(table: TableName, p: Partition, batchIndex: number): string {
  return `${table}/${partitionId(p)}/part-${pad(batchIndex)}.parquet`;
}

/** The zero-row file a committed partition holds for a table that got no rows. */
export function emptyTableFileKey(table: TableName, p: Partition): string {
  return `${table}/${partitionId(p)}/part-empty.parquet`;
}

export function tablePrefix(table: TableName, p: Partition): string {
  return `${table}/${partitionId(p)}/`;
}

export function rawBlobKey(p: Partition, sessionId: string): string {
  return `raw/${partitionId(p)}/${safeKeySegment(sessionId)}${RAW_BLOB_EXTENSION}`;
}

export function rawPrefix(p: Partition): string {
  return `raw/${partitionId(p)}/`;
}

export function manifestKey(p: Partition): string {
  return `_manifests/${partitionId(p)}/_manifest.json`;
}

export function stagingPrefix(windowId: string): string {
  return `_staging/${safeKeySegment(windowId)}/`;
}

/** One session's finished output inside a batch, so that a retried batch resumes after it. */
export function sessionStagingKey(windowId: string, batchIndex: number, sessionId: string): string {
  return `${stagingPrefix(windowId)}batch-${pad(batchIndex)}/${safeKeySegment(sessionId)}.json.gz`;
}

export function stagingKey(windowId: string, batchIndex: number): string {
  return `${stagingPrefix(windowId)}batch-${pad(batchIndex)}.json`;
}

/** Every (day, team) partition a window covers, in order; empty ones are committed too. */
export function windowPartitions(startMs: number, endMs: number, teams: readonly number[]): Partition[] {
  const out: Partition[] = [];
  for (let day = startMs; day < endMs; day += DAY_MS) {
    for (const teamId of [...teams].sort((a, b) => a - b)) out.push({ dt: utcDay(day), teamId });
  }
  return out;
}

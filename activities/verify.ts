/**
 * Checks a committed lake against itself and against the source, partition by partition, so that a loss cannot pass
 * silently:
 *
 * - every file the manifest lists exists with its size and SHA-256, and nothing unlisted sits beside it;
 * - the manifest's counts agree with the tables and the raw blobs;
 * - PostHog still lists the same exportable sessions for that day and team (same settle cut-off as the export);
 * - for each session, what the source holds *now* — its blob-v2 block count and PostHog's event_count, read without
 *   the listing's date bound — matches what the export read: every block either read or recorded as unreadable,
 *   and, for a session read without errors, as many events as PostHog counted at ingestion.
 *
 * Differences the export recorded (unreadable blocks, failed sessions) are reported as recorded, not as problems.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp, selectRows } from './clickhouse';
import { manifestKey, partitionDataPrefixes, partitionId, windowPartitions } from './lake-layout';
import type { Partition } from './lake-layout';
import { MANIFEST_FORMAT, manifestFiles, parseRecord } from './lake-records';
import type { PartitionManifest } from './lake-records';
import type { LakeStore } from './lake-store';
import { digestObject } from './lake-store';
import { listSessionsPage } from './listing';
import type { ListCursor } from './listing';
import { readParquetRows } from './parquet-reader';
import type { SourceSchema } from './source-schema';
import { dayStart, DAY_MS } from '../common/windows';

export interface VerifyInput {
  teams: number[];
  startMs: number;
  endMs: number;
}

export interface PartitionCheck {
  partition: string;
  committed: boolean;
  version: number | null;
  sessions: { lake: number; source: number | null; failed: number };
  events: { manifest: number; tables: number; raw_blobs: number };
  files: { checked: number; bad: number };
  /** What the export itself recorded: sessions it could not export and blocks it could not read. */
  recorded: { failed_sessions: number; unreadable_blocks: number; errors: number };
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  partitions: PartitionCheck[];
  problems: number;
}

export interface VerifyDeps {
  clickhouse: ClickHouseClient;
  lake: LakeStore;
  schema(): Promise<SourceSchema>;
}

interface SessionRow {
  session_id: string;
  status: string;
  generation: string;
  source_blocks: bigint | number | null;
  blocks_read: bigint | number;
  blocks_unreadable: bigint | number;
  source_event_count: bigint | number | null;
  events_read: bigint | number;
  error_count: number;
}

const SOURCE_PAGE = 1000;

export async function verifyLake(
  deps: VerifyDeps,
  input: VerifyInput,
  ctx: { heartbeat(details: unknown): void; signal?: AbortSignal },
): Promise<VerifyReport> {
  const schema = await deps.schema();
  const checks: PartitionCheck[] = [];
  for (const partition of windowPartitions(input.startMs, input.endMs, input.teams)) {
    checks.push(await verifyPartition(deps, schema, partition, ctx));
  }
  const problems = checks.reduce((n, c) => n + c.problems.length, 0);
  return { ok: problems === 0, partitions: checks, problems };
}

async function verifyPartition(
  deps: VerifyDeps,
  schema: SourceSchema,
  partition: Partition,
  ctx: { heartbeat(details: unknown): void; signal?: AbortSignal },
): Promise<PartitionCheck> {
  const id = partitionId(partition);
  const check: PartitionCheck = {
    partition: id,
    committed: false,
    version: null,
    sessions: { lake: 0, source: null, failed: 0 },
    events: { manifest: 0, tables: 0, raw_blobs: 0 },
    files: { checked: 0, bad: 0 },
    recorded: { failed_sessions: 0, unreadable_blocks: 0, errors: 0 },
    problems: [],
  };
  const body = await deps.lake.get(manifestKey(partition));
  if (!body) {
    check.problems.push(`not committed: no ${manifestKey(partition)}`);
    return check;
  }
  let manifest: PartitionManifest;
  try {
    manifest = parseRecord<PartitionManifest>(body, MANIFEST_FORMAT, manifestKey(partition));
  } catch (err) {
    check.problems.push(`unreadable manifest: ${(err as Error).message}`);
    return check;
  }
  check.committed = true;
  check.version = manifest.version;
  check.sessions.lake = manifest.sessions;
  check.sessions.failed = manifest.sessions_failed;
  check.events.manifest = manifest.events;
  check.events.tables = manifest.tables.events.rows;
  check.events.raw_blobs = manifest.raw.blobs.reduce((n, b) => n + b.events, 0);
  check.recorded.failed_sessions = manifest.sessions_failed;
  check.recorded.errors = manifest.errors;
  if (manifest.tables.sessions.rows !== manifest.sessions)
    check.problems.push(
      `sessions table holds ${manifest.tables.sessions.rows} rows, the manifest counts ${manifest.sessions} sessions`,
    );
  if (check.events.tables !== check.events.manifest || check.events.raw_blobs !== check.events.manifest)
    check.problems.push(
      `event counts disagree: manifest ${check.events.manifest}, events table ${check.events.tables}, raw blobs ${check.events.raw_blobs}`,
    );

  const listed = manifestFiles(manifest);
  for (const file of listed) {
    check.files.checked++;
    const actual = await digestObject(deps.lake, file.key);
    if (!actual) {
      check.files.bad++;
      check.problems.push(`missing: ${file.key}`);
    } else if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) {
      check.files.bad++;
      check.problems.push(
        `checksum mismatch: ${file.key} (manifest ${file.bytes} bytes ${file.sha256.slice(0, 12)}…, lake ${actual.bytes} bytes ${actual.sha256.slice(0, 12)}…)`,
      );
    }
    ctx.heartbeat({ partition: id, filesChecked: check.files.checked });
  }
  const keys = new Set(listed.map((f) => f.key));
  for (const prefix of partitionDataPrefixes(partition)) {
    for (const o of await deps.lake.list(prefix))
      if (!keys.has(o.key)) check.problems.push(`uncommitted file: ${o.key}`);
  }

  const rows: SessionRow[] = [];
  for (const file of manifest.tables.sessions.files) {
    rows.push(...(((await readParquetRows(deps.lake, file.key)) ?? []) as unknown as SessionRow[]));
  }
  check.recorded.unreadable_blocks = rows.reduce((n, r) => n + Number(r.blocks_unreadable), 0);

  // The source, with the export's settle cut-off, must still list the same exportable sessions.
  const day = dayStart(partition.dt);
  const window = {
    teams: [partition.teamId],
    startMs: day,
    endMs: day + DAY_MS,
    settledBeforeMs: Date.parse(manifest.source.settled_before),
  };
  const sourceIds = new Set<string>();
  let after: ListCursor | null = null;
  do {
    const page = await listSessionsPage(deps.clickhouse, schema, window, after, 5000, ctx.signal);
    for (const s of page.sessions) sourceIds.add(s.sessionId);
    after = page.next;
    ctx.heartbeat({ partition: id, sourceSessions: sourceIds.size });
  } while (after);
  check.sessions.source = sourceIds.size;
  const lakeIds = new Set(rows.map((r) => r.session_id));
  const missing = [...sourceIds].filter((s) => !lakeIds.has(s));
  const extra = [...lakeIds].filter((s) => !sourceIds.has(s));
  if (missing.length > 0)
    check.problems.push(
      `the source lists ${missing.length} sessions the lake lacks, e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  if (extra.length > 0)
    check.problems.push(
      `the lake holds ${extra.length} sessions the source no longer lists, e.g. ${extra.slice(0, 3).join(', ')}`,
    );

  if (schema.replay) await compareWithSource(deps.clickhouse, schema, partition, rows, check, ctx.signal);
  return check;
}

/** Per session: the source's block count and event count now, against what the export read. */
async function compareWithSource(
  client: ClickHouseClient,
  schema: SourceSchema,
  partition: Partition,
  rows: readonly SessionRow[],
  check: PartitionCheck,
  signal: AbortSignal | undefined,
): Promise<void> {
  const candidates = rows.filter((r) => r.status !== 'failed' && r.generation !== 'legacy');
  for (let i = 0; i < candidates.length; i += SOURCE_PAGE) {
    const page = candidates.slice(i, i + SOURCE_PAGE);
    const source = await selectRows<{ session_id: string; blocks: string; events: string }>(
      client,
      `SELECT session_id, toString(${schema.blocks ? 'length(groupUniqArrayArray(block_urls))' : '0'}) AS blocks,
              toString(sum(event_count)) AS events
       FROM session_replay_events
       PREWHERE team_id = {team:Int64} AND session_id IN {sessions:Array(String)}
            AND min_first_timestamp >= {start:DateTime64(6, 'UTC')}
       ${schema.tombstones ? 'WHERE is_deleted = 0' : ''}
       GROUP BY session_id`,
      { team: partition.teamId, sessions: page.map((r) => r.session_id), start: chTimestamp(dayStart(partition.dt)) },
      { signal, what: 'verify: source block and event counts' },
    );
    const bySession = new Map(source.map((s) => [s.session_id, s]));
    for (const r of page) {
      const s = bySession.get(r.session_id);
      if (!s) continue;
      const accounted = Number(r.blocks_read) + Number(r.blocks_unreadable);
      const blocks = Number(s.blocks);
      // Blocks read include blob-v1 files, which the source does not count; v2 blocks can only be fewer.
      if (blocks > 0 && (r.source_blocks === null || Number(r.source_blocks) !== blocks || accounted < blocks))
        check.problems.push(
          `session ${r.session_id}: the source lists ${blocks} blocks, the export saw ${r.source_blocks ?? 0} and read ${r.blocks_read} (+${r.blocks_unreadable} unreadable)`,
        );
      if (Number(r.error_count) === 0 && BigInt(s.events) !== BigInt(r.events_read))
        check.problems.push(
          `session ${r.session_id}: PostHog counted ${s.events} events at ingestion, the export read ${r.events_read}`,
        );
    }
  }
}

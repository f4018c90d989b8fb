/**
 * Checks a committed lake against itself and against the source, partition by partition: every file the manifest
 * lists exists with its size and SHA-256, nothing uncommitted sits beside it, the row counts add up, and PostHog
 * still lists the same number of exportable sessions for that day and team.
 */
import type { PartitionManifest } from './commit';
import type { ExportDeps, BatchContext } from './export-batch';
import type { TableName } from './lake-tables';
import { TABLES } from './lake-tables';
import { sha256 } from './lake-store';
import { manifestKey, partitionId, rawPrefix, tablePrefix, windowPartitions } from './lake-layout';
import { DAY_MS } from '../workflows/window';
import { listSessionsPage } from './list-sessions';

export interface VerifyInput {
  teams: number[];
  startMs: number;
  endMs: number;
}

export interface PartitionCheck {
  partition: string;
  committed: boolean;
  sessions: { lake: number; source: number | null };
  events: { manifest: number; tables: number; raw_blobs: number };
  files: { checked: number; bad: number };
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  partitions: PartitionCheck[];
  problems: number;
}

export async function verifyLake(deps: ExportDeps, input: VerifyInput, ctx: BatchContext): Promise<VerifyReport> {
  const checks: PartitionCheck[] = [];
  const withLegacy = await deps.withLegacy();
  for (const partition of windowPartitions(input.startMs, input.endMs, input.teams)) {
    const id = partitionId(partition);
    const check: PartitionCheck = {
      partition: id,
      committed: false,
      sessions: { lake: 0, source: null },
      events: { manifest: 0, tables: 0, raw_blobs: 0 },
      files: { checked: 0, bad: 0 },
      problems: [],
    };
    checks.push(check);
    const body = await deps.lake.get(manifestKey(partition));
    if (!body) {
      check.problems.push(`not committed: no ${manifestKey(partition)}`);
      continue;
    }
    check.committed = true;
    const manifest = JSON.parse(body.toString('utf8')) as PartitionManifest;
    check.sessions.lake = manifest.sessions;
    check.events.manifest = manifest.events;
    check.events.tables = manifest.tables.events.rows;
    check.events.raw_blobs = manifest.raw.blobs.reduce((n, b) => n + b.events, 0);
    if (manifest.tables.sessions.rows !== manifest.sessions) {
      check.problems.push(
        `sessions table holds ${manifest.tables.sessions.rows} rows, the manifest counts ${manifest.sessions} sessions`,
      );
    }
    if (check.events.tables !== check.events.manifest || check.events.raw_blobs !== check.events.manifest) {
      check.problems.push(
        `event counts disagree: manifest ${check.events.manifest}, events table ${check.events.tables}, raw blobs ${check.events.raw_blobs}`,
      );
    }
    const listed = [...Object.values(manifest.tables).flatMap((t) => t.files), ...manifest.raw.blobs];
    for (const file of listed) {
      check.files.checked++;
      const data = await deps.lake.get(file.key);
      if (!data) {
        check.files.bad++;
        check.problems.push(`missing: ${file.key}`);
      } else if (data.byteLength !== file.bytes || sha256(data) !== file.sha256) {
        check.files.bad++;
        check.problems.push(
          `checksum mismatch: ${file.key} (manifest ${file.bytes} bytes ${file.sha256.slice(0, 12)}…, lake ${data.byteLength} bytes ${sha256(data).slice(0, 12)}…)`,
        );
      }
      ctx.heartbeat({ partition: id, filesChecked: check.files.checked });
    }
    const keys = new Set(listed.map((f) => f.key));
    for (const prefix of [
      ...(Object.keys(TABLES) as TableName[]).map((t) => tablePrefix(t, partition)),
      rawPrefix(partition),
    ]) {
      for (const o of await deps.lake.list(prefix))
        if (!keys.has(o.key)) check.problems.push(`uncommitted file: ${o.key}`);
    }
    // The source, with the same settle cut-off the export used, must still list as many exportable sessions.
    const dayStart = Date.parse(`${partition.dt}T00:00:00Z`);
    const window = {
      teams: [partition.teamId],
      startMs: dayStart,
      endMs: dayStart + DAY_MS,
      settledBeforeMs: Date.parse(manifest.source.settled_before),
    };
    let after: { teamId: number; sessionId: string } | null = null;
    let source = 0;
    do {
      const page = await listSessionsPage(deps.clickhouse, window, after, 5000, { withLegacy, signal: ctx.signal });
      source += page.sessions.length;
      after = page.next;
    } while (after);
    check.sessions.source = source;
    if (source !== manifest.sessions)
      check.problems.push(`source lists ${source} exportable sessions, the lake holds ${manifest.sessions}`);
  }
  const problems = checks.reduce((n, c) => n + c.problems.length, 0);
  return { ok: problems === 0, partitions: checks, problems };
}

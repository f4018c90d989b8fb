/**
 * The local stack's state file: one JSON document that `stack:up` writes and that tests, the sample generator and
 * the CLI read to find ports, data directories, logs and generated credentials. Its location and the part of it that
 * configuration needs are production's (worker/stack-default.ts, the embedded default); this file adds what only the
 * stack's own lifecycle needs: pids, binaries, logs, ports and data directories.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { StackEndpointsSchema, readStateFile, stackRoot, statePath } from '../worker/stack-default';

export { UnreadableStateError, stackRoot, statePath } from '../worker/stack-default';

const ProcessSchema = z.object({
  pid: z.number().int().positive(),
  binary: z.string(),
  log: z.string(),
});

const endpoints = StackEndpointsSchema.shape;

export const StackStateSchema = StackEndpointsSchema.extend({
  temporal: endpoints.temporal.extend({
    ...ProcessSchema.shape,
    uiPort: z.number().int(),
    dbFile: z.string(),
  }),
  minio: endpoints.minio.extend({
    ...ProcessSchema.shape,
    consolePort: z.number().int(),
    dataDir: z.string(),
  }),
  /** chDB serving its data directory over ClickHouse's HTTP interface (infra/clickhouse/http-server.ts). */
  clickhouse: endpoints.clickhouse.extend({
    pid: z.number().int().positive(),
    log: z.string(),
    dataDir: z.string(),
  }),
});
export type StackState = z.infer<typeof StackStateSchema>;

export function readState(root = stackRoot()): StackState | undefined {
  return readStateFile(StackStateSchema, root);
}

/**
 * The processes a state file records, by section name, even when readState refuses it (a layout from an older
 * version): `up` and `down` must still be able to stop what that version started.
 */
export function recordedProcesses(root = stackRoot()): Array<[string, number]> {
  try {
    const raw = JSON.parse(readFileSync(statePath(root), 'utf8')) as Record<string, unknown>;
    return Object.entries(raw).flatMap(([name, section]) => {
      const pid = (section as { pid?: unknown } | null)?.pid;
      return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? [[name, pid] as [string, number]] : [];
    });
  } catch {
    return [];
  }
}

/** Like readState, but a missing stack is an error that says how to start it. */
export function requireState(root = stackRoot()): StackState {
  const state = readState(root);
  if (!state)
    throw new Error(`the local stack is not running (no ${statePath(root)}); start it with: npm run stack:up`);
  return state;
}

export function writeState(state: StackState): void {
  const path = statePath(state.root);
  mkdirSync(dirname(path), { recursive: true });
  // Write-then-rename so a reader never sees half a file.
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

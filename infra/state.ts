/**
 * The local stack's state file: one JSON document that `stack:up` writes and that tests, the sample generator and
 * the CLI read to find ports, data directories, logs and generated credentials.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

const ProcessSchema = z.object({
  pid: z.number().int().positive(),
  binary: z.string(),
  log: z.string(),
});

export const StackStateSchema = z.object({
  version: z.literal(2),
  root: z.string(),
  temporal: ProcessSchema.extend({
    address: z.string(),
    uiPort: z.number().int(),
    namespace: z.string(),
    dbFile: z.string(),
  }),
  minio: ProcessSchema.extend({
    endpoint: z.string(),
    consolePort: z.number().int(),
    region: z.string(),
    accessKey: z.string(),
    secretKey: z.string(),
    dataDir: z.string(),
    buckets: z.object({ posthog: z.string(), lake: z.string() }),
  }),
  /** chDB serving its data directory over ClickHouse's HTTP interface (infra/clickhouse/http-server.ts). */
  clickhouse: z.object({
    pid: z.number().int().positive(),
    log: z.string(),
    url: z.string(),
    user: z.string(),
    password: z.string(),
    dataDir: z.string(),
  }),
});
export type StackState = z.infer<typeof StackStateSchema>;

/** `.stack/` beside package.json unless REPLAYLAKE_STACK_DIR says otherwise. */
export function stackRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['REPLAYLAKE_STACK_DIR'] ?? join(__dirname, '..', '.stack'));
}

export function statePath(root = stackRoot()): string {
  return join(root, 'state.json');
}

export class UnreadableStateError extends Error {
  override readonly name = 'UnreadableStateError';
}

export function readState(root = stackRoot()): StackState | undefined {
  const path = statePath(root);
  if (!existsSync(path)) return undefined;
  const parsed = StackStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new UnreadableStateError(
      `stack state ${path} is unreadable (${parsed.error.message}); run npm run stack:down`,
    );
  return parsed.data;
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

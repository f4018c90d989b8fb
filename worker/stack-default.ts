/**
 * The embedded default configuration: when no configuration names a ClickHouse, replaylake uses the running local
 * stack. This module is the production side of the stack's state file — where it lives and the part of its shape
 * that configuration needs (addresses and credentials). infra/state.ts, which writes the file, builds its full schema
 * on this one, so the two cannot drift apart, and production code never imports infra/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

/** What configuration reads from the state file; the file holds more (pids, logs, data directories). */
export const StackEndpointsSchema = z.object({
  /** A layout from another version of replaylake is refused rather than half understood. */
  version: z.literal(2),
  root: z.string(),
  temporal: z.object({ address: z.string(), namespace: z.string() }),
  minio: z.object({
    endpoint: z.string(),
    region: z.string(),
    accessKey: z.string(),
    secretKey: z.string(),
    buckets: z.object({ posthog: z.string(), lake: z.string() }),
  }),
  clickhouse: z.object({ url: z.string(), user: z.string(), password: z.string() }),
});
export type StackEndpoints = z.infer<typeof StackEndpointsSchema>;

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

/** The state file under `root` parsed with `schema`; undefined when no stack has written one. */
export function readStateFile<T>(schema: z.ZodType<T>, root = stackRoot()): T | undefined {
  const path = statePath(root);
  if (!existsSync(path)) return undefined;
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new UnreadableStateError(
      `stack state ${path} is unreadable (${parsed.error.message}); run npm run stack:down`,
    );
  return parsed.data;
}

export function readStackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints | undefined {
  return readStateFile(StackEndpointsSchema, stackRoot(env));
}

/** The embedded default: the local stack's Temporal, ClickHouse and MinIO, and a lake directory beside it. */
export function stackDefaults(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const state = readStackEndpoints(env);
  if (!state) return {};
  const minio = {
    endpoint: state.minio.endpoint,
    region: state.minio.region,
    forcePathStyle: true,
    accessKeyId: state.minio.accessKey,
    secretAccessKey: state.minio.secretKey,
  };
  return {
    temporal: { address: state.temporal.address, namespace: state.temporal.namespace },
    clickhouse: { url: state.clickhouse.url, username: state.clickhouse.user, password: state.clickhouse.password },
    source: { s3: minio, v1: { s3: minio, bucket: state.minio.buckets.posthog, prefix: 'session_recordings' } },
    lake: { uri: pathToFileURL(join(state.root, 'lake')).href, s3: minio },
  };
}

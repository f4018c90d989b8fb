/**
 * Every setting replaylake reads, validated once at the edge (worker start-up or CLI invocation). Activities and
 * workflows receive parsed values and never look at the environment. Sources, in order of precedence: REPLAYLAKE_*
 * environment variables, the JSON file named by REPLAYLAKE_CONFIG, and — when neither names a ClickHouse — the
 * running local stack (the embedded default).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ExportOptions } from '../workflows/export-window';
import { readStackEndpoints, stackDefaults } from './stack-default';

const S3EndpointSchema = z.object({
  /** Omit for AWS; set for MinIO, SeaweedFS, R2 and other S3 APIs. */
  endpoint: z.string().url().optional(),
  region: z.string().default('us-east-1'),
  forcePathStyle: z.boolean().default(true),
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().optional(),
});
export type S3Endpoint = z.infer<typeof S3EndpointSchema>;

const TlsFilesSchema = z.object({
  /** PEM file paths. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  serverName: z.string().optional(),
});

export const ConfigSchema = z.object({
  temporal: z.object({
    address: z.string().default('127.0.0.1:7233'),
    namespace: z.string().default('default'),
    taskQueue: z.string().default('replaylake'),
    /** Temporal Cloud API key; implies TLS. */
    apiKey: z.string().optional(),
    tls: TlsFilesSchema.optional(),
  }),
  clickhouse: z.object({
    /** `http(s)://host:port` of a ClickHouse server's HTTP interface (the local stack serves chDB on one). */
    url: z.string().regex(/^https?:\/\//, 'clickhouse.url must start with http:// or https://'),
    username: z.string().default('default'),
    password: z.string().default(''),
    database: z.string().default('default'),
    caFile: z.string().optional(),
    requestTimeoutMs: z.number().int().positive().default(300_000),
  }),
  source: z.object({
    /** Where PostHog's v2 blocks live; the bucket and key come from each block URL. */
    s3: S3EndpointSchema,
    /** Blob v1 files (and their bucket/prefix); on newer hobby installs these sit on a different endpoint than v2. */
    v1: z
      .object({
        s3: S3EndpointSchema.optional(),
        bucket: z.string().default('posthog'),
        prefix: z.string().default('session_recordings'),
      })
      .default({ bucket: 'posthog', prefix: 'session_recordings' }),
  }),
  lake: z.object({
    uri: z.string().regex(/^(file|s3):\/\//, 'lake.uri must start with file:// or s3://'),
    /** For an s3:// lake; without credentials the AWS SDK's default chain applies (environment, profile, role). */
    s3: S3EndpointSchema.default({ region: 'us-east-1', forcePathStyle: true }),
    /** Files in a partition that no committed version lists are deleted once this old (exports that never committed). */
    orphanGraceHours: z.number().nonnegative().default(24),
    /** Committed versions kept per partition besides the newest. */
    keepVersions: z.number().int().nonnegative().default(10),
  }),
  export: z
    .object({
      /** Skip sessions whose last ingestion is more recent than this: they may still grow. */
      settleHours: z.number().nonnegative().default(24),
      /** Sessions per batch (one activity) at most. */
      batchSize: z.number().int().positive().max(5000).default(200),
      /** PostHog's uncompressed megabytes per batch at most; a larger session is a batch of its own. */
      batchMB: z.number().positive().default(256),
      parallelism: z.number().int().positive().max(64).default(4),
      /** A worker silent for this long is presumed dead and its activities move to another. */
      heartbeatSeconds: z.number().int().min(5).max(600).default(30),
      /** Rows and raw lines a batch holds before it writes a row group and a checkpoint. */
      bufferMB: z.number().positive().default(16),
      /** Compressed source bytes fetched ahead of the decoder, per batch. */
      prefetchMB: z.number().positive().default(16),
      fetchConcurrency: z.number().int().positive().max(64).default(8),
      /** A session that decompresses to more than this is marked failed instead of exported; 0 for no limit. */
      maxSessionMB: z.number().nonnegative().default(0),
    })
    .default({
      settleHours: 24,
      batchSize: 200,
      batchMB: 256,
      parallelism: 4,
      heartbeatSeconds: 30,
      bufferMB: 16,
      prefetchMB: 16,
      fetchConcurrency: 8,
      maxSessionMB: 0,
    }),
  worker: z
    .object({
      maxConcurrentActivities: z.number().int().positive().default(4),
      /** Batches that run at once on a worker, each on its own thread (≈ cores). */
      decodeThreads: z.number().int().positive().default(2),
    })
    .default({ maxConcurrentActivities: 4, decodeThreads: 2 }),
});
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ENV: Array<[string, string[], 'string' | 'number' | 'boolean']> = [
  ['REPLAYLAKE_TEMPORAL_ADDRESS', ['temporal', 'address'], 'string'],
  ['REPLAYLAKE_TEMPORAL_NAMESPACE', ['temporal', 'namespace'], 'string'],
  ['REPLAYLAKE_TEMPORAL_TASK_QUEUE', ['temporal', 'taskQueue'], 'string'],
  ['REPLAYLAKE_TEMPORAL_API_KEY', ['temporal', 'apiKey'], 'string'],
  ['REPLAYLAKE_CLICKHOUSE_URL', ['clickhouse', 'url'], 'string'],
  ['REPLAYLAKE_CLICKHOUSE_USER', ['clickhouse', 'username'], 'string'],
  ['REPLAYLAKE_CLICKHOUSE_PASSWORD', ['clickhouse', 'password'], 'string'],
  ['REPLAYLAKE_CLICKHOUSE_DATABASE', ['clickhouse', 'database'], 'string'],
  ['REPLAYLAKE_SOURCE_S3_ENDPOINT', ['source', 's3', 'endpoint'], 'string'],
  ['REPLAYLAKE_SOURCE_S3_REGION', ['source', 's3', 'region'], 'string'],
  ['REPLAYLAKE_SOURCE_S3_ACCESS_KEY_ID', ['source', 's3', 'accessKeyId'], 'string'],
  ['REPLAYLAKE_SOURCE_S3_SECRET_ACCESS_KEY', ['source', 's3', 'secretAccessKey'], 'string'],
  ['REPLAYLAKE_LAKE_URI', ['lake', 'uri'], 'string'],
  ['REPLAYLAKE_LAKE_S3_ENDPOINT', ['lake', 's3', 'endpoint'], 'string'],
  ['REPLAYLAKE_LAKE_S3_REGION', ['lake', 's3', 'region'], 'string'],
  ['REPLAYLAKE_LAKE_S3_ACCESS_KEY_ID', ['lake', 's3', 'accessKeyId'], 'string'],
  ['REPLAYLAKE_LAKE_S3_SECRET_ACCESS_KEY', ['lake', 's3', 'secretAccessKey'], 'string'],
  ['REPLAYLAKE_SETTLE_HOURS', ['export', 'settleHours'], 'number'],
  ['REPLAYLAKE_BATCH_SIZE', ['export', 'batchSize'], 'number'],
  ['REPLAYLAKE_BATCH_MB', ['export', 'batchMB'], 'number'],
  ['REPLAYLAKE_HEARTBEAT_SECONDS', ['export', 'heartbeatSeconds'], 'number'],
  ['REPLAYLAKE_BUFFER_MB', ['export', 'bufferMB'], 'number'],
  ['REPLAYLAKE_MAX_SESSION_MB', ['export', 'maxSessionMB'], 'number'],
  ['REPLAYLAKE_PARALLELISM', ['export', 'parallelism'], 'number'],
  ['REPLAYLAKE_WORKER_CONCURRENCY', ['worker', 'maxConcurrentActivities'], 'number'],
  ['REPLAYLAKE_DECODE_THREADS', ['worker', 'decodeThreads'], 'number'],
];

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = (next !== null && typeof next === 'object' ? next : (node[part] = {})) as Tree;
  }
  node[path[path.length - 1] ?? ''] = value;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      b !== null &&
      typeof b === 'object' &&
      !Array.isArray(b)
        ? deepMerge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Tree = {}): Config {
  let tree: Tree = stackDefaults(env);
  const file = env['REPLAYLAKE_CONFIG'];
  if (file) {
    try {
      tree = deepMerge(tree, JSON.parse(readFileSync(file, 'utf8')) as Tree);
    } catch (err) {
      throw new ConfigError(`cannot read REPLAYLAKE_CONFIG ${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Tree = {};
  for (const [name, path, kind] of ENV) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = kind === 'number' ? Number(raw) : kind === 'boolean' ? raw === 'true' : raw;
    if (kind === 'number' && !Number.isFinite(value))
      throw new ConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`);
    setPath(fromEnv, path, value);
  }
  tree = deepMerge(deepMerge(tree, fromEnv), overrides);
  for (const section of ['temporal', 'clickhouse', 'source', 'lake']) tree[section] ??= {};
  const parsed = ConfigSchema.safeParse(tree);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    const hint = readStackEndpoints(env)
      ? ''
      : ' (no local stack is running: start it with npm run stack:up, or configure a source)';
    throw new ConfigError(`invalid configuration${hint}: ${lines.join('; ')}`);
  }
  return parsed.data;
}

const SECRET_KEYS = new Set(['password', 'secretAccessKey', 'sessionToken', 'apiKey']);

/** The config with every secret replaced, safe for logs and `--json` output. */
export function redactConfig(config: Config): unknown {
  return JSON.parse(JSON.stringify(config), (key, value: unknown) => (SECRET_KEYS.has(key) && value ? '***' : value));
}

/** What every export window takes from the configuration besides its days and teams (defined beside the input). */
export type { ExportOptions };

export function exportOptions(config: Config): ExportOptions {
  return {
    settleHours: config.export.settleHours,
    batchSize: config.export.batchSize,
    batchBytes: Math.round(config.export.batchMB * 1024 * 1024),
    parallelism: config.export.parallelism,
    heartbeatSeconds: config.export.heartbeatSeconds,
  };
}

/**
 * What one batch thread grows by besides its buffers: V8's heap headroom over live data, zstd's WebAssembly memory
 * (which never shrinks), the allocator's per-thread arenas, its clients' sockets. Measured at 90–150 MB.
 */
const THREAD_BASE_MB = 128;
/** The main thread's growth while it runs activities: batch results, heartbeats, listing pages. */
const MAIN_GROWTH_MB = 64;

/**
 * The most a worker's resident memory grows above idle while it exports, whatever the size of a session or a window
 * (README, "Memory"). Per batch thread: five times the buffer (rows and raw lines are counted at their encoded size;
 * held as JS values, with the source text a raw line still points into, they take up to three times that, and a
 * flush adds the Parquet pages and the zstd frame it builds), and twice the prefetch budget (the compressed blocks
 * fetched ahead, the next session's first blocks, and the decoded blocks open at once). Checked by
 * test/export-long-session.test.ts and measured by `npm run bench` (rss_*).
 */
export function memoryBoundMB(config: Config): number {
  const { bufferMB, prefetchMB } = config.export;
  return Math.ceil(config.worker.decodeThreads * (THREAD_BASE_MB + 5 * bufferMB + 2 * prefetchMB) + MAIN_GROWTH_MB);
}

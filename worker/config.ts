/**
 * Every setting replaylake reads, validated once at the edge (worker start-up or CLI invocation). Activities and
 * workflows receive parsed values and never look at the environment. Sources, in order of precedence: REPLAYLAKE_*
 * environment variables, the JSON file named by REPLAYLAKE_CONFIG, and — when neither names a ClickHouse — the
 * running local stack (the embedded default).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PrivacySettings } from '../activities/privacy';
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

const TlsFilesSchema = z.object({
  /** PEM file paths. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  serverName: z.string().optional(),
});

/** Header names redacted by default when `privacy.network.headers` is "redact": credentials and session state. */
export const DEFAULT_REDACTED_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-csrf-token',
  'x-xsrf-token',
];

const INPUTS = z.enum(['keep', 'mask', 'drop']);
const TEXT = z.enum(['keep', 'mask']);
const KEEP_OR_STRIP = z.enum(['keep', 'strip']);
const HEADERS = z.enum(['keep', 'redact', 'drop']);
const BODIES = z.enum(['keep', 'drop']);
const DISTINCT_ID = z.enum(['keep', 'hash']);
// Strict objects: a misspelt privacy key must fail start-up, not export what it meant to hide.
const UrlsSchema = z.strictObject({
  query: KEEP_OR_STRIP.default('keep'),
  /** Query parameters kept when `query` is "strip" (names, compared decoded). */
  keepParams: z.array(z.string().min(1)).default([]),
  fragment: KEEP_OR_STRIP.default('keep'),
});
const NetworkSchema = z.strictObject({
  headers: HEADERS.default('keep'),
  /** Names (any case) whose values become "redacted" when `headers` is "redact". */
  redactHeaders: z.array(z.string().min(1)).default(DEFAULT_REDACTED_HEADERS),
  bodies: BODIES.default('keep'),
});
/** A team's override: the sections it names replace the default policy's (a section's own defaults fill it in). */
const TeamPrivacySchema = z.strictObject({
  inputs: INPUTS.optional(),
  text: TEXT.optional(),
  urls: UrlsSchema.optional(),
  network: NetworkSchema.optional(),
  distinctId: DISTINCT_ID.optional(),
});
const PrivacySchema = z
  .strictObject({
    inputs: INPUTS.default('keep'),
    text: TEXT.default('keep'),
    urls: UrlsSchema.prefault({}),
    network: NetworkSchema.prefault({}),
    distinctId: DISTINCT_ID.default('keep'),
    /** Key of the distinct_id HMAC; required when any policy hashes. A secret. */
    hashKey: z.string().min(16, 'privacy.hashKey must be at least 16 characters').optional(),
    /** Per-team overrides by team id. */
    teams: z.record(z.string().regex(/^\d+$/), TeamPrivacySchema).default({}),
  })
  .superRefine((p, ctx) => {
    const hashes = p.distinctId === 'hash' || Object.values(p.teams).some((t) => t.distinctId === 'hash');
    if (hashes && p.hashKey === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['hashKey'],
        message: 'privacy.hashKey (REPLAYLAKE_PRIVACY_HASH_KEY) is required when distinctId is "hash"',
      });
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
      .prefault({}),
  }),
  lake: z.object({
    uri: z.string().regex(/^(file|s3):\/\//, 'lake.uri must start with file:// or s3://'),
    /** For an s3:// lake; without credentials the AWS SDK's default chain applies (environment, profile, role). */
    s3: S3EndpointSchema.prefault({}),
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
    .prefault({}),
  worker: z
    .object({
      maxConcurrentActivities: z.number().int().positive().default(4),
      /** Batches that run at once on a worker, each on its own thread (≈ cores). */
      decodeThreads: z.number().int().positive().default(2),
      /** V8 heap limit of a batch thread, MB; unset: derived from the buffers (threadHeapMB()). */
      threadHeapMB: z.number().int().min(32).optional(),
    })
    .prefault({}),
  /** What of a recording leaves PostHog (activities/privacy.ts); the default keeps everything. */
  privacy: PrivacySchema.prefault({}),
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
  ['REPLAYLAKE_PRIVACY_HASH_KEY', ['privacy', 'hashKey'], 'string'],
  ['REPLAYLAKE_PARALLELISM', ['export', 'parallelism'], 'number'],
  ['REPLAYLAKE_WORKER_CONCURRENCY', ['worker', 'maxConcurrentActivities'], 'number'],
  ['REPLAYLAKE_DECODE_THREADS', ['worker', 'decodeThreads'], 'number'],
  ['REPLAYLAKE_THREAD_HEAP_MB', ['worker', 'threadHeapMB'], 'number'],
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

/** Keys whose values are secrets wherever they appear: in the configuration, and in anything a log entry carries. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'secretAccessKey',
  'sessionToken',
  'apiKey',
  'hashKey',
  'authorization',
]);

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
 * A batch thread's V8 heap limit. Rows held as JS values take up to three times their encoded size and a flush needs
 * a fourth to build the pages; decoded blocks open at once take about twice their compressed budget; 64 MB is the
 * thread's code, clients and parse garbage. Without a limit V8 lets the heap grow with the length of a run rather
 * than with what it holds (a 1 GB session grew the worker by 311 MB unlimited, 155 MB with this limit), and a session
 * that truly needs more would take the whole worker down instead of being marked failed.
 */
export function threadHeapMB(config: Config): number {
  const { bufferMB, prefetchMB } = config.export;
  return config.worker.threadHeapMB ?? Math.ceil(64 + 4 * bufferMB + 2 * prefetchMB);
}

/**
 * The most a worker's resident memory grows above idle while it exports, whatever the size of a session or a window
 * (README, "Memory and performance"). Per batch thread: its heap limit, plus what lives outside the heap — the raw
 * lines and source blocks as Buffers (about twice the buffer), the prefetched compressed blocks, and zstd's
 * WebAssembly memory and the allocator's arenas (32 MB). The main thread only relays: batch results, heartbeats,
 * listing pages (64 MB). Checked by test/export-long-session.test.ts and measured by `npm run bench` (rss_*).
 */
export function memoryBoundMB(config: Config): number {
  const { bufferMB, prefetchMB } = config.export;
  return Math.ceil(config.worker.decodeThreads * (threadHeapMB(config) + 2 * bufferMB + prefetchMB + 32) + 64);
}

/** The privacy policies an export applies: the default, and each team's with its override laid over it. */
export function privacySettings(config: Config): PrivacySettings {
  const { teams, hashKey, ...policy } = config.privacy;
  return {
    policy,
    teams: Object.fromEntries(Object.entries(teams).map(([team, override]) => [team, { ...policy, ...override }])),
    ...(hashKey === undefined ? {} : { hashKey }),
  };
}

/**
 * The one place that decides what an error means. Every I/O error is attributed to the store it came from and is one
 * of three kinds:
 *
 * - `data`: the recording itself is bad (an object a block URL names is gone, a byte range runs past the end of an
 *   object that exists, a block does not decompress). It becomes an `export_errors` row; the rest exports.
 * - `transient`: the store is unreachable, throttling, timing out or out of space. The activity fails and Temporal
 *   retries it with backoff, without limit; nothing is recorded as data and nothing is committed.
 * - `fatal`: the configuration is wrong (credentials, bucket, permissions, database). The run fails at once with a
 *   message naming the setting.
 *
 * Cancellation passes through untouched.
 */
import { FAILURE_TYPES } from '../common/failures';
import type { FailureType } from '../common/failures';

export type Store = 'clickhouse' | 'source' | 'sourceV1' | 'lake';
export type FailureKind = 'data' | 'transient' | 'fatal';

/** An error from one store, classified. `cause` keeps the original for logs; `message` is safe to show and record. */
export class StoreError extends Error {
  override readonly name: FailureType | 'SourceDataError';
  constructor(
    readonly store: Store,
    readonly kind: FailureKind,
    /** The store's own error name or code, e.g. `NoSuchKey`, `ECONNREFUSED`, `UNKNOWN_DATABASE`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = failureType(store, kind);
  }
}

function failureType(store: Store, kind: FailureKind): FailureType | 'SourceDataError' {
  if (kind === 'data') return 'SourceDataError';
  const fatal = kind === 'fatal';
  switch (store) {
    case 'clickhouse':
      return fatal ? 'ClickHouseAccessError' : 'ClickHouseUnavailableError';
    case 'lake':
      return fatal ? 'LakeAccessError' : 'LakeUnavailableError';
    case 'source':
    case 'sourceV1':
      return fatal ? 'SourceAccessError' : 'SourceUnavailableError';
  }
}

/** Which settings to check, per store, in the words of README's configuration table. */
const STORE_SETTINGS: Record<Store, { credentials: string; location: string }> = {
  clickhouse: {
    credentials: 'clickhouse.username / clickhouse.password (REPLAYLAKE_CLICKHOUSE_USER / _PASSWORD)',
    location: 'clickhouse.url / clickhouse.database (REPLAYLAKE_CLICKHOUSE_URL / _DATABASE)',
  },
  source: {
    credentials:
      'source.s3.accessKeyId / source.s3.secretAccessKey (REPLAYLAKE_SOURCE_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY)',
    location: 'source.s3.endpoint / source.s3.region (REPLAYLAKE_SOURCE_S3_ENDPOINT / _REGION)',
  },
  sourceV1: {
    credentials: 'source.v1.s3.accessKeyId / secretAccessKey (or source.s3.* when source.v1.s3 is not set)',
    location: 'source.v1.s3.endpoint and source.v1.bucket',
  },
  lake: {
    credentials:
      'lake.s3.accessKeyId / lake.s3.secretAccessKey (REPLAYLAKE_LAKE_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY)',
    location: 'lake.uri (REPLAYLAKE_LAKE_URI)',
  },
};

const STORE_NAMES: Record<Store, string> = {
  clickhouse: 'ClickHouse',
  source: 'the PostHog blob store',
  sourceV1: 'the PostHog blob store (v1 files)',
  lake: 'the lake',
};

/** Connection-level failures: the peer is down, restarting or unreachable right now. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Local filesystem errors that go away on their own (or when an operator frees space). */
const FS_TRANSIENT = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EIO', 'EDQUOT']);
/** Local filesystem errors that mean the lake path is unusable as configured. */
const FS_FATAL = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EROFS', 'EISDIR', 'ELOOP']);

/** S3 error names that mean the credentials, bucket or endpoint are wrong. */
const S3_FATAL = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AllAccessDisabled',
  'NoSuchBucket',
  'InvalidBucketName',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'InvalidToken',
  'CredentialsProviderError',
  'AccountProblem',
]);

/** S3 error names a retry fixes. */
const S3_TRANSIENT = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ThrottlingException',
  'Throttling',
  'ExpiredToken',
  'RequestExpired',
  'XMinioServerNotInitialized',
]);

/**
 * ClickHouse error codes (src/Common/ErrorCodes.cpp) that mean the configuration or the PostHog schema does not fit:
 * authentication, access, unknown database/table/column.
 */
const CLICKHOUSE_FATAL = new Map<string, string>([
  ['516', 'AUTHENTICATION_FAILED'],
  ['497', 'ACCESS_DENIED'],
  ['192', 'UNKNOWN_USER'],
  ['193', 'WRONG_PASSWORD'],
  ['81', 'UNKNOWN_DATABASE'],
  ['60', 'UNKNOWN_TABLE'],
  ['47', 'UNKNOWN_IDENTIFIER'],
  ['16', 'NO_SUCH_COLUMN_IN_TABLE'],
  ['164', 'READONLY'],
  // The query does not fit this install's schema (a type or column PostHog changed): no retry changes that.
  ['43', 'ILLEGAL_TYPE_OF_ARGUMENT'],
  ['53', 'TYPE_MISMATCH'],
  ['62', 'SYNTAX_ERROR'],
  ['386', 'NO_COMMON_TYPE'],
  ['184', 'ILLEGAL_AGGREGATION'],
  ['215', 'NOT_AN_AGGREGATE'],
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  errno?: unknown;
  type?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

function shape(err: unknown): ErrorShape {
  return err !== null && typeof err === 'object' ? err : {};
}

/** The error's own code: a Node errno name, an S3 error name or a ClickHouse code. */
function codeOf(e: ErrorShape): string {
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (typeof e.code === 'number') return String(e.code);
  return typeof e.name === 'string' ? e.name : 'Error';
}

function messageOf(err: unknown): string {
  const m = shape(err).message;
  return typeof m === 'string' && m !== '' ? m : String(err);
}

/** True for an AbortSignal-driven stop (activity cancellation, worker shutdown): never classified, never recorded. */
export function isCancellation(err: unknown): boolean {
  const e = shape(err);
  return e.name === 'AbortError' || e.name === 'CancelledFailure' || e.code === 'ABORT_ERR';
}

/** Is there a network-level cause anywhere in the chain (the AWS SDK and undici wrap them)? */
function networkCode(err: unknown, depth = 0): string | undefined {
  const e = shape(err);
  for (const c of [e.code, e.errno]) if (typeof c === 'string' && NETWORK_CODES.has(c)) return c;
  if (typeof e.message === 'string' && /socket hang up|ECONNRESET|ECONNREFUSED|other side closed/i.test(e.message))
    return 'ECONNRESET';
  return depth < 4 && e.cause !== undefined ? networkCode(e.cause, depth + 1) : undefined;
}

/**
 * Classifies an error raised by a call to `store`. `dataIfMissing` says that the call read an object a recording
 * names (a block, a v1 file), so a missing object or an out-of-range request is a problem of that recording rather
 * than of the configuration.
 */
export function classifyStoreError(
  err: unknown,
  store: Store,
  opts: { dataIfMissing?: boolean; what?: string } = {},
): StoreError {
  if (err instanceof StoreError) return err;
  const e = shape(err);
  const code = codeOf(e);
  const raw = messageOf(err);
  const where = `${STORE_NAMES[store]}${opts.what ? ` (${opts.what})` : ''}`;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const make = (kind: FailureKind, message: string) => new StoreError(store, kind, code, message, { cause: err });

  const net = networkCode(err);
  if (net !== undefined) return make('transient', `${where} is unreachable (${net}): ${raw}`);

  if (store === 'clickhouse') {
    const fatal = CLICKHOUSE_FATAL.get(code);
    if (fatal !== undefined) {
      const setting =
        fatal.includes('PASS') || fatal.includes('AUTH') || fatal.includes('USER') || fatal === 'ACCESS_DENIED'
          ? STORE_SETTINGS.clickhouse.credentials
          : STORE_SETTINGS.clickhouse.location;
      return make('fatal', `ClickHouse refused the query (${fatal}): ${firstLine(raw)}; check ${setting}`);
    }
    return make('transient', `ClickHouse failed (${code}): ${firstLine(raw)}`);
  }

  if (store === 'lake' && typeof e.code === 'string' && (FS_FATAL.has(e.code) || FS_TRANSIENT.has(e.code))) {
    return FS_FATAL.has(e.code)
      ? make('fatal', `the lake cannot be written (${e.code}): ${raw}; check ${STORE_SETTINGS.lake.location}`)
      : make('transient', `the lake is temporarily unwritable (${e.code}): ${raw}`);
  }

  const name = typeof e.name === 'string' ? e.name : '';
  if (S3_FATAL.has(name) || status === 403 || status === 401 || status === 301) {
    const setting =
      name === 'NoSuchBucket' || name === 'PermanentRedirect' || status === 301
        ? STORE_SETTINGS[store].location
        : STORE_SETTINGS[store].credentials;
    return make('fatal', `${where} refused the request (${name || status}): ${firstLine(raw)}; check ${setting}`);
  }
  if (
    opts.dataIfMissing &&
    (name === 'NoSuchKey' || name === 'NotFound' || status === 404 || status === 416 || name === 'InvalidRange')
  ) {
    return make(
      'data',
      status === 416 || name === 'InvalidRange'
        ? `the byte range lies past the end of the object (${name || status})`
        : `the object does not exist (${name || status})`,
    );
  }
  if (
    S3_TRANSIENT.has(name) ||
    e.$retryable !== undefined ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408))
  ) {
    return make('transient', `${where} failed (${name || status}): ${firstLine(raw)}`);
  }
  // Anything else from an I/O call (an unknown server answer, a client-side timeout without a code) may well pass:
  // retry it, and let `status` show the message while it does.
  return make('transient', `${where} failed (${code}): ${firstLine(raw)}`);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * Wraps one store call so that whatever it throws arrives classified. Cancellation is rethrown as it is.
 */
export async function atStore<T>(
  store: Store,
  call: () => Promise<T>,
  opts: { dataIfMissing?: boolean; what?: string } = {},
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw classifyStoreError(err, store, opts);
  }
}

/** An error as it crosses a thread or activity boundary: its type, a safe message, and whether a retry can help. */
export interface ThreadFailure {
  type: string;
  message: string;
  fatal: boolean;
}

/** An error rebuilt on the far side of a boundary, still carrying its classification. */
export class ClassifiedError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

export function describeFailure(err: unknown): ThreadFailure {
  if (err instanceof StoreError) return { type: err.name, message: err.message, fatal: err.kind === 'fatal' };
  if (err instanceof ClassifiedError) return { type: err.name, message: err.message, fatal: err.fatal };
  const e = err instanceof Error ? err : new Error(String(err));
  const known = (FAILURE_TYPES as Record<string, 'fatal' | 'retry' | undefined>)[e.name];
  return { type: e.name || 'Error', message: e.message, fatal: known === 'fatal' };
}

export function failureFromThread(f: ThreadFailure): ClassifiedError {
  return new ClassifiedError(f.type, f.message, f.fatal);
}

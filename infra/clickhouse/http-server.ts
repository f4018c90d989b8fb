/**
 * ClickHouse's HTTP interface (https://clickhouse.com/docs/interfaces/http) in front of one chDB data directory, so
 * that any number of processes reach the local stack's ClickHouse the way production reaches a real server: through
 * `@clickhouse/client` over HTTP. chDB binds a data directory to one process; this server is that process.
 *
 * The behaviour follows ClickHouse's own HTTP handler (src/Server/HTTPHandler.cpp, exceptionCodeToHTTPStatus.cpp):
 * - the statement is the `query` URL parameter, a line break and the request body, or, for multipart/form-data
 *   bodies, the `query` fields; one statement per request ("Multi-statements are not allowed");
 * - `param_<name>` values are ClickHouse's escaped text and reach the engine unchanged, so they are unescaped and
 *   parsed as their declared type exactly as a server does; every other URL parameter that is not reserved is a
 *   setting, `database` (or X-ClickHouse-Database) is the current database, `default_format` (or X-ClickHouse-Format)
 *   the output format of statements without FORMAT; a GET request runs with readonly = 2;
 * - credentials come from X-ClickHouse-User/X-ClickHouse-Key, Basic auth or `user`/`password` parameters (never two
 *   of these at once), and the server knows one user;
 * - request bodies may be compressed (Content-Encoding); responses are compressed when `enable_http_compression` is
 *   on and Accept-Encoding allows it;
 * - errors carry ClickHouse's `Code: N. DB::Exception: … (NAME)` body, X-ClickHouse-Exception-Code and the HTTP status
 *   the server maps the code to; successes carry X-ClickHouse-Query-Id, -Format, -Timezone and -Summary.
 *
 * Every request runs in a chDB Session of its own (see Sessions), at most `concurrency` at once; more wait their turn.
 *
 * Limits:
 * - results are materialized (Session.queryAsync) and sent with a Content-Length once the query has finished, so the
 *   whole result is held in memory and `wait_end_of_query`, `buffer_size` and progress headers have nothing to do;
 *   request bodies are read whole before the query starts;
 * - a query cannot be cancelled: a client that disconnects (cancel_http_readonly_queries_on_client_close) stops
 *   waiting, the engine finishes anyway and the result is dropped;
 * - X-ClickHouse-Summary holds what chDB measures: for queries, read_* are the result's rows and bytes (chDB does not
 *   report rows scanned); for INSERT … FORMAT statements in the client's form, written_* include materialized-view
 *   writes and read_* are the payload's lines and bytes; other INSERTs report no written rows;
 * - chDB takes statements as strings, so a body that is not UTF-8 (binary input formats) is refused; binary output
 *   formats are fine;
 * - not implemented: HTTP sessions (`session_id`), roles, external tables in multipart bodies, ClickHouse's native
 *   `compress`/`decompress` framing; the response Content-Type is always text/plain;
 * - settings' defaults are chDB's, which are not always a stock server's (output_format_json_quote_64bit_integers is
 *   0 here).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Session } from 'chdb';
import type { RawInsertFormat } from 'chdb';

export interface ClickHouseHttpServerOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  user: string;
  password: string;
  /** Queries running at once; each runs on a libuv thread, so UV_THREADPOOL_SIZE must be larger. */
  concurrency: number;
}

export interface ClickHouseHttpServer {
  readonly url: string;
  readonly port: number;
  readonly engineVersion: string;
  /** Stops accepting connections, lets running requests finish, then releases the data directory. */
  close(): Promise<void>;
}

/** ClickHouse's http_max_uri_size: bound parameters (arrays of session ids) travel in the URL. */
const MAX_URL_BYTES = 1 << 20;

class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  get body(): string {
    return /^Code: \d+\. /.test(this.message)
      ? this.message
      : `Code: ${this.code}. DB::Exception: ${this.message} (${this.type})`;
  }
}

const fail = {
  authentication: (message: string) => new ClickHouseException(516, 'AUTHENTICATION_FAILED', message),
  syntax: (message: string) => new ClickHouseException(62, 'SYNTAX_ERROR', message),
  notImplemented: (message: string) => new ClickHouseException(48, 'NOT_IMPLEMENTED', message),
  unknownSetting: (name: string) => new ClickHouseException(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'.`),
  cannotDecompress: (message: string) => new ClickHouseException(271, 'CANNOT_DECOMPRESS', message),
};

/** chDB's errors already carry ClickHouse's text and code; anything else is reported as a server would a std::exception. */
function asClickHouseException(err: unknown): ClickHouseException {
  if (err instanceof ClickHouseException) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  const type = /\(([A-Z0-9_]+)\)\s*$/.exec(message)?.[1];
  if (typeof code === 'number' && type) return new ClickHouseException(code, type, message);
  return new ClickHouseException(1001, 'STD_EXCEPTION', message.endsWith('.') ? message : `${message}.`);
}

/** exceptionCodeToHTTPStatus.cpp, by error name; everything else is 500. */
const STATUS_BY_ERROR = new Map<string, number>(
  (
    [
      [401, ['REQUIRED_PASSWORD']],
      [403, ['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED']],
      [
        400,
        [
          'BAD_ARGUMENTS',
          'CANNOT_COMPILE_REGEXP',
          'CANNOT_PARSE_TEXT',
          'CANNOT_PARSE_ESCAPE_SEQUENCE',
          'CANNOT_PARSE_QUOTED_STRING',
          'CANNOT_PARSE_DATE',
          'CANNOT_PARSE_DATETIME',
          'CANNOT_PARSE_NUMBER',
          'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
          'CANNOT_PARSE_IPV4',
          'CANNOT_PARSE_IPV6',
          'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
          'CANNOT_PARSE_UUID',
          'DUPLICATE_COLUMN',
          'ILLEGAL_COLUMN',
          'UNKNOWN_ELEMENT_IN_AST',
          'UNKNOWN_TYPE_OF_AST_NODE',
          'THERE_IS_NO_COLUMN',
          'TOO_DEEP_AST',
          'TOO_BIG_AST',
          'UNEXPECTED_AST_STRUCTURE',
          'SYNTAX_ERROR',
          'INCORRECT_DATA',
          'TYPE_MISMATCH',
          'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
        ],
      ],
      [
        404,
        [
          'UNKNOWN_TABLE',
          'UNKNOWN_FUNCTION',
          'UNKNOWN_IDENTIFIER',
          'UNKNOWN_TYPE',
          'UNKNOWN_STORAGE',
          'UNKNOWN_DATABASE',
          'UNKNOWN_SETTING',
          'UNKNOWN_DIRECTION_OF_SORTING',
          'UNKNOWN_AGGREGATE_FUNCTION',
          'UNKNOWN_FORMAT',
          'UNKNOWN_DATABASE_ENGINE',
          'UNKNOWN_TYPE_OF_QUERY',
          'UNKNOWN_ROLE',
        ],
      ],
      [413, ['QUERY_IS_TOO_LARGE']],
      [501, ['NOT_IMPLEMENTED']],
      [503, ['SOCKET_TIMEOUT', 'CANNOT_OPEN_FILE', 'CANNOT_SCHEDULE_TASK']],
      [411, ['HTTP_LENGTH_REQUIRED']],
      [408, ['TIMEOUT_EXCEEDED']],
      [415, ['UNSUPPORTED_MEDIA_TYPE']],
    ] as const
  ).flatMap(([status, names]) => names.map((name) => [name, status] as const)),
);

/** URL parameters HTTPHandler consumes itself; they are never settings. */
const RESERVED_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'stacktrace',
  'buffer_size',
  'wait_end_of_query',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'client_protocol_version',
  'compress',
  'decompress',
  'role',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
/** The statement `client.insert()` sends, which chDB's raw insert runs with the payload kept as bytes. */
const CLIENT_INSERT = new RegExp(
  `^\\s*INSERT\\s+INTO\\s+(${IDENT}(?:\\.${IDENT})?)\\s*(?:\\(\\s*(${IDENT}(?:\\s*,\\s*${IDENT})*)\\s*\\))?\\s+FORMAT\\s+(${IDENT})\\s*$`,
  'i',
);
const RAW_INSERT_FORMATS = new Set<string>([
  'JSONEachRow',
  'JSONCompactEachRow',
  'TSV',
  'TabSeparated',
  'TSVWithNames',
  'TabSeparatedWithNames',
  'CSV',
  'CSVWithNames',
]);

function parseBool(value: string): boolean {
  return value === '1' || value.toLowerCase() === 'true';
}

/** A SQL string literal whose value is exactly `value`: the engine then sees the HTTP text a server would see. */
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sqlIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

type Token = { kind: 'word' | 'semicolon' | 'other'; text: string; at: number };

/** ClickHouse's lexer, as far as needed to tell statements apart: quotes, comments and heredocs hide semicolons. */
function* tokens(sql: string): Generator<Token> {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if ((c === '-' && next === '-') || (c === '#' && (next === ' ' || next === '!'))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const pair = sql.slice(i, i + 2);
        if (pair === '/*' || pair === '*/') {
          depth += pair === '/*' ? 1 : -1;
          i += 2;
        } else {
          i++;
        }
      }
    } else if (c === "'" || c === '"' || c === '`') {
      const start = i++;
      while (i < n) {
        if (sql[i] === '\\') i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i++] === c) break;
      }
      yield { kind: 'other', text: sql.slice(start, i), at: start };
    } else if (c === '$' && /^\$[A-Za-z0-9_]*\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(i, i + 64))?.[0] ?? '$$';
      const end = sql.indexOf(tag, i + tag.length);
      const start = i;
      i = end < 0 ? n : end + tag.length;
      yield { kind: 'other', text: sql.slice(start, i), at: start };
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i, i + 256))?.[0] ?? c;
      yield { kind: 'word', text: word, at: i };
      i += word.length;
    } else {
      yield { kind: c === ';' ? 'semicolon' : 'other', text: c, at: i };
      i++;
    }
  }
}

interface StatementShape {
  insert: boolean;
  /** FORMAT at the end of the statement, which overrides default_format. */
  format?: string;
  /** Where a second statement starts, if there is one. */
  secondAt?: number;
}

function statementShape(sql: string): StatementShape {
  let first: string | undefined;
  let semicolon = false;
  let previous: Token | undefined;
  let last: Token | undefined;
  for (const token of tokens(sql)) {
    if (semicolon) return { insert: first === 'INSERT', secondAt: token.at };
    if (token.kind === 'semicolon') {
      semicolon = true;
      continue;
    }
    const word = token.kind === 'word' ? token.text.toUpperCase() : undefined;
    first ??= word ?? '';
    // What follows FORMAT or VALUES in an INSERT is data, not SQL.
    if (first === 'INSERT' && (word === 'FORMAT' || word === 'VALUES')) return { insert: true };
    previous = last;
    last = token;
  }
  const format =
    last?.kind === 'word' && previous?.kind === 'word' && previous.text.toUpperCase() === 'FORMAT'
      ? last.text
      : undefined;
  return { insert: first === 'INSERT', ...(format ? { format } : {}) };
}

/** The text fields of a multipart/form-data body; files are external tables, which this server does not offer. */
function multipartFields(body: Buffer, contentType: string): Array<[string, string]> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const delimiter = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  if (delimiter === '--') throw new ClickHouseException(36, 'BAD_ARGUMENTS', 'multipart/form-data without boundary.');
  const fields: Array<[string, string]> = [];
  for (const part of body.toString('utf8').split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (/filename=/i.test(headers))
      throw fail.notImplemented(`External tables (multipart file ${JSON.stringify(name)}) are not supported.`);
    if (name !== undefined) fields.push([name, part.slice(headerEnd + 4).replace(/\r\n$/, '')]);
  }
  return fields;
}

const decoders: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

async function decodeBody(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  const method = (encoding ?? '').trim().toLowerCase();
  if (method === '' || method === 'identity' || method === 'none') return body;
  const decode = decoders[method];
  if (!decode) throw fail.notImplemented(`Content-Encoding '${method}' is not supported by this server.`);
  try {
    return await decode(body);
  } catch (err) {
    throw fail.cannotDecompress(`Cannot decompress the ${method} request body: ${(err as Error).message}.`);
  }
}

type ResponseCodec = 'br' | 'gzip' | 'deflate';

/** chooseHTTPCompressionMethod's order, limited to what Node can encode. */
function responseCodec(acceptEncoding: string | undefined): ResponseCodec | undefined {
  const list = acceptEncoding ?? '';
  return (['br', 'gzip', 'deflate'] as const).find((codec) => list.includes(codec));
}

function encodeBody(body: Buffer, codec: ResponseCodec, level: number): Promise<Buffer> {
  if (codec === 'br') return promisify(zlib.brotliCompress)(body);
  return promisify(codec === 'gzip' ? zlib.gzip : zlib.deflate)(body, { level });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** chDB takes statements, inline data included, as strings: bytes that are not text would be altered, not inserted. */
function utf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw fail.notImplemented(
      'Request bodies that are not UTF-8 text (binary input formats) are not supported; use a text format.',
    );
  }
}

function credentialsMatch(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

interface Summary {
  read_rows: number;
  read_bytes: number;
  written_rows: number;
  written_bytes: number;
  result_rows: number;
  result_bytes: number;
}

interface Outcome {
  body: Buffer;
  summary: Summary;
  format?: string;
}

interface ParsedRequest {
  readonly: boolean;
  text: string;
  /** The client's INSERT statement and its payload, when it has the shape chDB's raw insert takes. */
  rawInsert?: { table: string; columns?: string[]; format: RawInsertFormat; payload: Buffer };
  params: Array<[string, string]>;
  settings: Array<[string, string]>;
  database: string;
  defaultFormat: string;
}

/** Every request gets a Session of its own, as every request without session_id gets a session of its own. */
class Sessions {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly dataDir: string,
    size: number,
  ) {
    this.free = size;
  }

  async run<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      // Settings, query parameters, the current database and temporary tables live in a chDB Session and not all
      // of them can be undone (query parameters cannot be unset, readonly cannot be lowered), so a Session never
      // serves a second request. Opening one at a directory the anchor session holds costs well under a millisecond.
      const session = new Session(this.dataDir);
      try {
        return await fn(session);
      } finally {
        session.close();
      }
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export async function startClickHouseHttpServer(options: ClickHouseHttpServerOptions): Promise<ClickHouseHttpServer> {
  // Holds the data directory for the server's lifetime: without a live Session the engine would shut down and
  // reload the directory between requests, and another process could take it.
  const anchor = new Session(options.dataDir);
  const info = (
    await anchor.queryAsync(
      `SELECT version() AS version, timezone() AS timezone,
              getSetting('enable_http_compression') AS compression,
              getSetting('http_zlib_compression_level') AS level`,
      { format: 'JSONEachRow' },
    )
  ).json<{ version: string; timezone: string; compression: boolean; level: number }>();
  const sessions = new Sessions(options.dataDir, options.concurrency);
  const displayName = hostname();
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;

  function authenticate(req: IncomingMessage, url: URL): void {
    const headerUser = header(req, 'x-clickhouse-user');
    const headerKey = header(req, 'x-clickhouse-key');
    const authorization = header(req, 'authorization');
    const inParams = url.searchParams.has('user') || url.searchParams.has('password');
    let user = 'default';
    let password = '';
    if (headerUser || headerKey) {
      if (authorization || inParams)
        throw fail.authentication(
          'Invalid authentication: it is not allowed to use X-ClickHouse HTTP headers and other authentication methods simultaneously.',
        );
      user = headerUser || 'default';
      password = headerKey;
    } else if (authorization) {
      if (inParams)
        throw fail.authentication(
          'Invalid authentication: it is not allowed to use Authorization HTTP header and authentication via parameters simultaneously.',
        );
      const [scheme = '', credentials = ''] = authorization.split(/\s+/, 2);
      if (scheme.toLowerCase() !== 'basic')
        throw fail.authentication(`Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported.`);
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = colon < 0 ? decoded : decoded.slice(0, colon);
      password = colon < 0 ? '' : decoded.slice(colon + 1);
    } else if (inParams) {
      user = url.searchParams.get('user') ?? 'default';
      password = url.searchParams.get('password') ?? '';
    }
    if (!(user === options.user && credentialsMatch(password, options.password)))
      throw fail.authentication(
        `${user}: Authentication failed: password is incorrect, or there is no user with such name.`,
      );
  }

  function parseRequest(req: IncomingMessage, url: URL, body: Buffer): ParsedRequest {
    const contentType = header(req, 'content-type');
    const multipart = contentType.toLowerCase().startsWith('multipart/form-data');
    const entries: Array<[string, string]> = [...url.searchParams];
    if (multipart) entries.push(...multipartFields(body, contentType));
    const get = (name: string) => entries.find(([k]) => k === name)?.[1];

    if (get('session_id') !== undefined) throw fail.notImplemented('HTTP sessions (session_id) are not supported.');
    if (get('role') !== undefined) throw fail.notImplemented('Roles are not supported: the server has one user.');
    for (const flag of ['compress', 'decompress'])
      if (parseBool(get(flag) ?? '0'))
        throw fail.notImplemented(`ClickHouse's native '${flag}' framing is not supported; use HTTP compression.`);

    const params: Array<[string, string]> = [];
    const settings: Array<[string, string]> = [];
    for (const [key, value] of entries) {
      if (key === '' || RESERVED_PARAMS.has(key)) continue;
      if (key.startsWith('param_')) {
        const name = key.slice('param_'.length);
        // A server keeps the first value. A name that is not an identifier can never be referenced in a query,
        // which is all a server would do with it.
        if (IDENTIFIER.test(name) && !params.some(([n]) => n === name)) params.push([name, value]);
      } else if (IDENTIFIER.test(key)) {
        settings.push([key, value]);
      } else {
        throw fail.unknownSetting(key);
      }
    }

    const queryParam = url.searchParams.getAll('query').join('');
    const insert = multipart ? null : CLIENT_INSERT.exec(queryParam);
    const insertFormat = insert?.[3];
    const rawInsert =
      insert?.[1] && insertFormat && RAW_INSERT_FORMATS.has(insertFormat)
        ? {
            table: insert[1],
            ...(insert[2] ? { columns: insert[2].split(',').map((c) => c.trim()) } : {}),
            format: insertFormat as RawInsertFormat,
            payload: body,
          }
        : undefined;
    let text = queryParam;
    if (multipart) {
      text = entries
        .filter(([k]) => k === 'query')
        .map(([, v]) => v)
        .join('');
    } else if (!rawInsert) {
      text = `${queryParam ? `${queryParam}\n` : ''}${utf8(body)}`;
    }
    return {
      readonly: req.method === 'GET' || req.method === 'HEAD',
      text,
      ...(rawInsert ? { rawInsert } : {}),
      params,
      settings,
      database: header(req, 'x-clickhouse-database') || (get('database') ?? ''),
      defaultFormat: header(req, 'x-clickhouse-format') || (get('default_format') ?? '') || 'TabSeparated',
    };
  }

  /** The request's context as statements on its own Session, in the order HTTPHandler applies it. */
  function contextStatements(request: ParsedRequest): string {
    const statements: string[] = [];
    if (request.readonly) statements.push('SET readonly = 2');
    for (const [name, value] of request.params) statements.push(`SET param_${name} = ${sqlString(value)}`);
    if (request.database) statements.push(`USE ${sqlIdentifier(request.database)}`);
    for (const [name, value] of request.settings) statements.push(`SET ${name} = ${sqlString(value)}`);
    return statements.join('; ');
  }

  async function execute(request: ParsedRequest): Promise<Outcome> {
    const shape = request.rawInsert ? { insert: true } : statementShape(request.text);
    if (!request.rawInsert) {
      if (shape.secondAt !== undefined)
        throw fail.syntax(
          `Syntax error (Multi-statements are not allowed): failed at position ${shape.secondAt + 1}: ${request.text
            .slice(shape.secondAt, shape.secondAt + 40)
            .trim()}.`,
        );
      if (request.text.trim() === '') throw fail.syntax('Empty query.');
    }
    return sessions.run(async (session) => {
      const context = contextStatements(request);
      if (context) await session.queryAsync(context);
      if (request.rawInsert) {
        const { table, columns, format, payload } = request.rawInsert;
        const written = await session.insert({ table, values: payload, format, ...(columns ? { columns } : {}) });
        return {
          body: Buffer.alloc(0),
          summary: {
            read_rows: written.rowsSent ?? 0,
            read_bytes: written.bytesSent,
            written_rows: written.rowsWritten,
            written_bytes: written.bytesWritten,
            result_rows: 0,
            result_bytes: 0,
          },
        };
      }
      const result = await session.queryAsync(request.text, { format: request.defaultFormat });
      const bytes = result.bytes();
      return {
        body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        summary: {
          read_rows: result.rowsRead,
          read_bytes: result.bytesRead,
          written_rows: 0,
          written_bytes: 0,
          result_rows: result.rowsRead,
          result_bytes: result.bytesRead,
        },
        ...(shape.insert ? {} : { format: shape.format ?? request.defaultFormat }),
      };
    });
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const queryId = url.searchParams.get('query_id') || header(req, 'x-clickhouse-query-id') || randomUUID();
    res.setHeader('X-ClickHouse-Server-Display-Name', displayName);
    if (closing) res.setHeader('Connection', 'close');
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(status, {
        'Content-Type': 'text/plain; charset=UTF-8',
        ...headers,
        'Content-Length': payload.length,
      });
      res.end(payload);
    };
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (url.pathname === '/ping' && (method === 'GET' || method === 'HEAD')) return send(200, 'Ok.\n');
    if (url.pathname !== '/' || !['GET', 'HEAD', 'POST'].includes(method))
      return send(404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
    if (method !== 'POST' && !url.searchParams.has('query') && body.length === 0) return send(200, 'Ok.\n');

    let codec: ResponseCodec | undefined;
    let level = info.level;
    const reply = async (status: number, text: Buffer, headers: Record<string, string>) => {
      if (!codec) return send(status, text, headers);
      send(status, await encodeBody(text, codec, level), { ...headers, 'Content-Encoding': codec });
    };
    try {
      authenticate(req, url);
      const compression = url.searchParams.get('enable_http_compression');
      if (compression === null ? info.compression : parseBool(compression))
        codec = responseCodec(header(req, 'accept-encoding'));
      const requestedLevel = Number(url.searchParams.get('http_zlib_compression_level') ?? level);
      if (Number.isInteger(requestedLevel) && requestedLevel >= 0 && requestedLevel <= 9) level = requestedLevel;
      const request = parseRequest(req, url, await decodeBody(body, header(req, 'content-encoding') || undefined));
      const outcome = await execute(request);
      const { read_rows, read_bytes, written_rows, written_bytes, result_rows, result_bytes } = outcome.summary;
      const summary = JSON.stringify(
        {
          read_rows,
          read_bytes,
          written_rows,
          written_bytes,
          total_rows_to_read: 0,
          result_rows,
          result_bytes,
          elapsed_ns: process.hrtime.bigint() - started,
        },
        // A server sends every counter as a string.
        (_key, value: unknown) => (typeof value === 'number' || typeof value === 'bigint' ? String(value) : value),
      );
      await reply(200, outcome.body, {
        'X-ClickHouse-Query-Id': queryId,
        ...(outcome.format ? { 'X-ClickHouse-Format': outcome.format } : {}),
        'X-ClickHouse-Timezone': info.timezone,
        'X-ClickHouse-Summary': summary,
      });
    } catch (err) {
      const exception = asClickHouseException(err);
      await reply(STATUS_BY_ERROR.get(exception.type) ?? 500, Buffer.from(`${exception.body}\n`), {
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Exception-Code': String(exception.code),
        ...(exception.type === 'REQUIRED_PASSWORD'
          ? { 'WWW-Authenticate': 'Basic realm="ClickHouse server HTTP API"' }
          : {}),
      });
    }
  }

  const server = createServer({ maxHeaderSize: MAX_URL_BYTES, keepAliveTimeout: 10_000 }, (req, res) => {
    inFlight++;
    handle(req, res)
      .catch((err: unknown) => {
        // The client went away mid-request; there is no one to tell.
        if (!res.headersSent) res.destroy(err instanceof Error ? err : undefined);
      })
      .finally(() => {
        if (--inFlight === 0) drained?.();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engineVersion: info.version,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        server.closeIdleConnections();
        await stopped;
        anchor.close();
      })();
      return closed;
    },
  };
}

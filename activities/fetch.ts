/**
 * The fetch stage: which stored pieces ("segments") hold a session, in the time order their metadata declares, and
 * their bytes, fetched a little ahead of the decoder within a byte budget.
 *
 *   blob v2   one segment per block: a ranged GET of `s3://bucket/key?range=bytes=S-E` (end inclusive), length checked
 *   blob v1   one segment per gzip file under the session's prefix, its first event time from the file name
 *   legacy    one segment per chunk group (or unchunked row) of `session_recording_events`
 *
 * A problem in the recording (a missing object, a range past an object's end, a bad block URL) becomes the segment's
 * error and is recorded; an unavailable store, a refused credential or a throttled request is thrown, so the batch is
 * retried and nothing is recorded as data.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { chTimestamp, parseChTimestamp, selectRows } from './clickhouse';
import { atStore, StoreError } from './failures';
import { SESSION_SPAN_MS } from './listing';
import type { SessionMetadata } from './metadata';
import { BadBlockUrlError, parseBlockUrl } from './source/block-url';
import { BlockLengthError, toSourceError } from './source/errors';
import type { SourceError } from './source/errors';
import { fileStart, listV1Files, v1SessionPrefix } from './source/v1-files';

export type Generation = 'blob_v2' | 'blob_v1' | 'legacy';

export interface Segment {
  /** Position in the session's schedule. */
  index: number;
  generation: Generation;
  /** Block URL, object URI or table row: where export_errors points. */
  location: string;
  /** The earliest event time the metadata declares for the segment, epoch ms. */
  firstMs: number;
  /** Bytes the fetch will read (0 when unknown ahead of time). */
  size: number;
  source:
    | { kind: 'range'; bucket: string; key: string; start: number; end: number }
    | { kind: 'object'; bucket: string; key: string }
    | { kind: 'legacy'; group: string; from: string; to: string }
    | { kind: 'invalid'; error: SourceError };
}

export interface LegacyRow {
  location: string;
  windowId: string;
  snapshotData: string;
}

/** A segment's stored bytes, or why there are none. */
export interface Fetched {
  segment: Segment;
  data?: Buffer;
  legacyRows?: LegacyRow[];
  error?: SourceError;
  /** Bytes read from the store. */
  bytes: number;
}

export interface FetchDeps {
  clickhouse: ClickHouseClient;
  sourceS3: S3Client;
  v1S3: S3Client;
  v1Bucket: string;
  v1Prefix: string;
}

/**
 * Every segment of a session, in the order the merge opens them: by declared first event time, then generation and
 * position so that ties order the same way every time.
 */
export async function planSegments(
  deps: FetchDeps,
  meta: SessionMetadata,
  legacyTable: boolean,
  signal?: AbortSignal,
): Promise<Segment[]> {
  const segments: Omit<Segment, 'index'>[] = [];
  for (const block of meta.blocks) {
    const firstMs = block.firstMs ?? meta.startMs;
    try {
      const ref = parseBlockUrl(block.url);
      segments.push({
        generation: 'blob_v2',
        location: block.url,
        firstMs,
        size: ref.end - ref.start + 1,
        source: { kind: 'range', bucket: ref.bucket, key: ref.key, start: ref.start, end: ref.end },
      });
    } catch (err) {
      if (!(err instanceof BadBlockUrlError)) throw err;
      segments.push({
        generation: 'blob_v2',
        location: block.url,
        firstMs,
        size: 0,
        source: { kind: 'invalid', error: toSourceError(block.url, err) },
      });
    }
  }
  if (meta.generation === 'replay' && meta.startedBeforeBlocks) {
    const prefix = v1SessionPrefix(deps.v1Prefix, meta.teamId, meta.sessionId);
    const files = await atStore('sourceV1', () => listV1Files(deps.v1S3, deps.v1Bucket, prefix, signal), {
      what: `s3://${deps.v1Bucket}/${prefix}`,
    });
    for (const f of files)
      segments.push({
        generation: 'blob_v1',
        location: `s3://${deps.v1Bucket}/${f.key}`,
        firstMs: fileStart(f.key) ?? meta.startMs,
        size: f.size,
        source: { kind: 'object', bucket: deps.v1Bucket, key: f.key },
      });
  }
  if (meta.generation === 'legacy' && legacyTable)
    segments.push(...(await legacySegments(deps.clickhouse, meta, signal)));
  const rank: Record<Generation, number> = { blob_v2: 0, blob_v1: 1, legacy: 2 };
  return segments
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.firstMs - b.s.firstMs || rank[a.s.generation] - rank[b.s.generation] || a.i - b.i)
    .map(({ s }, index) => ({ ...s, index }));
}

/**
 * Legacy chunk groups with the earliest event time ClickHouse can tell without decoding: `first_event_timestamp`
 * (materialized from the first chunk's events_summary, to the second) for chunked rows, the event's own timestamp for
 * unchunked ones, never later than the row's timestamp.
 */
async function legacySegments(
  client: ClickHouseClient,
  meta: SessionMetadata,
  signal: AbortSignal | undefined,
): Promise<Omit<Segment, 'index'>[]> {
  const rows = await selectRows<{ grp: string; first: string; from_ts: string; to_ts: string; bytes: string }>(
    client,
    `SELECT grp, toString(min(first_ms)) AS first, toString(min(ts)) AS from_ts, toString(max(ts)) AS to_ts,
            toString(sum(length(sd))) AS bytes
     FROM (
       SELECT any(snapshot_data) AS sd, min(timestamp) AS ts,
              if(JSONHas(sd, 'chunk_id'), JSONExtractString(sd, 'chunk_id'), toString(uuid)) AS grp,
              least(ts, ifNull(min(first_event_timestamp), ts),
                    if(JSONHas(sd, 'chunk_id') OR NOT JSONHas(sd, 'timestamp'), ts,
                       fromUnixTimestamp64Milli(toInt64(JSONExtractFloat(sd, 'timestamp')), 'UTC'))) AS first_ms
       FROM session_recording_events
       PREWHERE team_id = {team:Int64} AND session_id = {session:String}
            AND timestamp >= {scan_start:DateTime64(6, 'UTC')} AND timestamp < {scan_end:DateTime64(6, 'UTC')}
       GROUP BY uuid
     )
     GROUP BY grp ORDER BY min(first_ms), grp`,
    {
      team: meta.teamId,
      session: meta.sessionId,
      scan_start: chTimestamp(meta.startMs - SESSION_SPAN_MS),
      scan_end: chTimestamp(meta.startMs + 2 * SESSION_SPAN_MS),
    },
    { signal, what: 'legacy chunk groups' },
  );
  return rows.map((r) => ({
    generation: 'legacy',
    location: `session_recording_events chunk_id=${r.grp}`,
    firstMs: parseChTimestamp(r.first),
    size: Number(r.bytes),
    source: { kind: 'legacy', group: r.grp, from: r.from_ts, to: r.to_ts },
  }));
}

/** Reads one segment. Only data problems come back as `error`; store failures are thrown, classified. */
export async function fetchSegment(
  deps: FetchDeps,
  meta: SessionMetadata,
  segment: Segment,
  signal?: AbortSignal,
): Promise<Fetched> {
  const { source } = segment;
  const asData = (err: unknown): Fetched => {
    if (err instanceof StoreError && err.kind === 'data')
      return { segment, error: { location: segment.location, errorClass: err.code, message: err.message }, bytes: 0 };
    throw err;
  };
  switch (source.kind) {
    case 'invalid':
      return { segment, error: source.error, bytes: 0 };
    case 'range': {
      const data = await getObject(
        deps.sourceS3,
        'source',
        source.bucket,
        source.key,
        `bytes=${source.start}-${source.end}`,
        signal,
      ).catch(asData);
      if (!Buffer.isBuffer(data)) return data;
      const wanted = source.end - source.start + 1;
      if (data.length !== wanted)
        return {
          segment,
          error: toSourceError(
            segment.location,
            new BlockLengthError(
              `expected ${wanted} bytes, the object holds ${data.length} in that range (object shorter than the block URL says)`,
            ),
          ),
          bytes: data.length,
        };
      return { segment, data, bytes: data.length };
    }
    case 'object': {
      const data = await getObject(deps.v1S3, 'sourceV1', source.bucket, source.key, undefined, signal).catch(asData);
      if (!Buffer.isBuffer(data)) return data;
      return { segment, data, bytes: data.length };
    }
    case 'legacy': {
      const rows = await selectRows<{ uuid: string; wid: string; sd: string }>(
        deps.clickhouse,
        `SELECT toString(uuid) AS uuid, any(window_id) AS wid, any(snapshot_data) AS sd
         FROM session_recording_events
         PREWHERE team_id = {team:Int64} AND session_id = {session:String}
              AND timestamp >= {from:DateTime64(6, 'UTC')} AND timestamp <= {to:DateTime64(6, 'UTC')}
         WHERE if(JSONHas(snapshot_data, 'chunk_id'), JSONExtractString(snapshot_data, 'chunk_id'), toString(uuid)) = {grp:String}
         GROUP BY uuid ORDER BY uuid`,
        { team: meta.teamId, session: meta.sessionId, from: source.from, to: source.to, grp: source.group },
        { signal, what: segment.location },
      );
      return {
        segment,
        legacyRows: rows.map((r) => ({
          location: `session_recording_events uuid=${r.uuid}`,
          windowId: r.wid,
          snapshotData: r.sd,
        })),
        bytes: rows.reduce((n, r) => n + r.sd.length, 0),
      };
    }
  }
}

async function getObject(
  s3: S3Client,
  store: 'source' | 'sourceV1',
  bucket: string,
  key: string,
  range: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  return atStore(
    store,
    async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }), {
        abortSignal: signal,
      });
      return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
    },
    { dataIfMissing: true, what: `s3://${bucket}/${key}${range ? ` ${range}` : ''}` },
  );
}

/**
 * Fetches segments ahead of the decoder, in schedule order: at most `concurrency` requests in flight and at most
 * `budgetBytes` fetched but not yet taken, so memory stays bounded however long the session is. A failed fetch is
 * kept and rethrown when its segment is taken, never left as an unhandled rejection.
 */
export class Prefetcher {
  private readonly started = new Map<number, Promise<Fetched>>();
  private next = 0;
  private inFlightBytes = 0;

  constructor(
    private readonly segments: readonly Segment[],
    private readonly fetch: (segment: Segment) => Promise<Fetched>,
    private readonly concurrency: number,
    private readonly budgetBytes: number,
  ) {}

  /** Starts fetching from `index` on (segments before it are not needed). */
  from(index: number): void {
    if (this.started.size === 0) this.next = Math.max(this.next, index);
    this.fill();
  }

  async take(index: number): Promise<Fetched> {
    if (!this.started.has(index)) this.start(index);
    const fetched = this.started.get(index)!;
    this.started.delete(index);
    this.inFlightBytes -= this.segments[index]?.size ?? 0;
    this.fill();
    return fetched;
  }

  private start(index: number): void {
    const segment = this.segments[index];
    if (segment === undefined) throw new RangeError(`no segment ${index}`);
    const p = this.fetch(segment);
    p.catch(() => undefined);
    this.started.set(index, p);
    this.inFlightBytes += segment.size;
    if (index >= this.next) this.next = index + 1;
  }

  private fill(): void {
    while (
      this.next < this.segments.length &&
      this.started.size < this.concurrency &&
      (this.started.size === 0 || this.inFlightBytes + (this.segments[this.next]?.size ?? 0) <= this.budgetBytes)
    )
      this.start(this.next);
  }
}

/** What was planned and fetched for a session before its turn came. */
export interface PrimedSession {
  schedule: Promise<Segment[]>;
  /** Fetches started ahead, by segment index; each is taken out when its segment is read. */
  fetched: Map<number, Promise<Fetched>>;
}

/**
 * The next session's first segments, planned and fetched while the current one decodes. Without it a batch of short
 * sessions waits for one store round trip per session with the CPU idle; with it the fetch overlaps the decode.
 * It holds at most `budgetBytes` (a session's first segment always) and `concurrency` requests; a failure is kept
 * for the reader, which rethrows it when it reaches the segment, as if it had fetched it itself.
 */
export class Lookahead {
  private readonly primed = new Map<string, PrimedSession>();

  constructor(
    private readonly deps: FetchDeps,
    private readonly legacyTable: boolean,
    private readonly budgetBytes: number,
    private readonly concurrency: number,
    private readonly signal?: AbortSignal,
  ) {}

  prime(meta: SessionMetadata): void {
    if (this.primed.has(meta.sessionId)) return;
    const fetched = new Map<number, Promise<Fetched>>();
    const schedule = planSegments(this.deps, meta, this.legacyTable, this.signal).then((segments) => {
      let bytes = 0;
      for (const segment of segments) {
        if (fetched.size >= this.concurrency || (fetched.size > 0 && bytes + segment.size > this.budgetBytes)) break;
        const p = fetchSegment(this.deps, meta, segment, this.signal);
        p.catch(() => undefined);
        fetched.set(segment.index, p);
        bytes += segment.size;
      }
      return segments;
    });
    schedule.catch(() => undefined);
    this.primed.set(meta.sessionId, { schedule, fetched });
  }

  /** What was primed for the session, handed over once; undefined when nothing was. */
  take(sessionId: string): PrimedSession | undefined {
    const primed = this.primed.get(sessionId);
    this.primed.delete(sessionId);
    return primed;
  }
}

/**
 * Reads one session as a stream of distinct events in timestamp order, each with its raw-blob line:
 *
 *   plan      the session's segments in declared time order              fetch.ts
 *   fetch     a few segments ahead, within a byte budget                  fetch.ts (Prefetcher)
 *   decode    decompress, parse each line once, sort the segment          decode.ts
 *   merge     all segments into one timestamp-ordered stream              merge.ts
 *   dedupe    drop exact duplicates (same window and JSON at one time)    here
 *   line      the event's raw-blob line, cv payloads spliced in           raw-blob.ts
 *
 * Counters are kept as it goes; problems in the data are handed to `onError`, never thrown. Its position can be
 * saved between two timestamps (when the duplicate window is empty) and restored by a retried batch.
 */
import type { DecodedEvent } from './decode';
import { decodeSegment } from './decode';
import type { FetchDeps, Fetched, PrimedSession, Segment } from './fetch';
import { Prefetcher, fetchSegment, planSegments } from './fetch';
import { fingerprint } from './lake-layout';
import type { SessionCounters } from './lake-records';
import { SegmentMerger } from './merge';
import type { MergeState } from './merge';
import type { SessionMetadata } from './metadata';
import type { Redactor } from './privacy';
import { rawLine } from './raw-blob';
import type { SourceError } from './source/errors';
import { toSourceError } from './source/errors';

export interface ReadLimits {
  /** Bytes of compressed segments fetched ahead of the decoder. */
  prefetchBytes: number;
  fetchConcurrency: number;
  /** A session that decompresses to more than this is refused (0: no limit). */
  maxSessionBytes: number;
  /**
   * A stored line (or legacy chunk group) longer than this is recorded as too large instead of parsed: one parse
   * allocates several times the line at once, more than a batch thread's heap could give (see threadHeapMB()).
   */
  maxLineBytes: number;
}

export interface ReadEvent extends DecodedEvent {
  /** The event's line in the raw blob, without its newline. */
  raw: Buffer;
}

export class SessionTooLargeError extends Error {
  override readonly name = 'SessionTooLargeError';
}

export class ScheduleChangedError extends Error {
  override readonly name = 'ScheduleChangedError';
}

export function emptyCounters(): SessionCounters {
  return {
    eventsRead: 0,
    eventsKept: 0,
    duplicates: 0,
    blocksRead: 0,
    blocksUnreadable: 0,
    bytesRead: 0,
    decodedBytes: 0,
    rrwebBytes: 0,
    errors: 0,
  };
}

/** The canonical text duplicates are compared by: the event's JSON without `delay`, with its window. */
function canonical(e: DecodedEvent): Buffer | string {
  if (e.event.delay === undefined && e.line !== null) return e.line;
  const { delay: _delay, ...rest } = e.event;
  return JSON.stringify([e.windowId, rest]);
}

function same(a: Buffer | string, b: Buffer | string): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const ba = typeof a === 'string' ? Buffer.from(a) : a;
  const bb = typeof b === 'string' ? Buffer.from(b) : b;
  return ba.length === bb.length && ba.equals(bb);
}

export interface ReaderOptions {
  limits: ReadLimits;
  /** Rewrites events before their raw line is built, when the export's privacy policy asks for it. */
  redactor?: Redactor;
  counters: SessionCounters;
  onError: (e: SourceError) => void;
  signal?: AbortSignal;
  resume?: { schedule: string; merge: MergeState };
}

export class SessionReader {
  private groupTs: number | null = null;
  /** Duplicates share a timestamp, so only the events of the current timestamp need comparing. */
  private readonly group: Array<Buffer | string> = [];

  private constructor(
    readonly schedule: readonly Segment[],
    /** Digest of the schedule: a checkpoint made against another schedule cannot be continued. */
    readonly scheduleDigest: string,
    private readonly merger: SegmentMerger,
    private readonly counters: SessionCounters,
    private readonly onError: (e: SourceError) => void,
    private readonly sessionId: string,
    private readonly redactor: Redactor | undefined,
  ) {}

  static async open(
    deps: FetchDeps,
    meta: SessionMetadata,
    opts: ReaderOptions & { legacyTable: boolean; primed?: PrimedSession },
  ): Promise<SessionReader> {
    const { primed } = opts;
    const schedule = await (primed?.schedule ?? planSegments(deps, meta, opts.legacyTable, opts.signal));
    const fetch = (segment: Segment): Promise<Fetched> => {
      const ahead = primed?.fetched.get(segment.index);
      if (ahead === undefined) return fetchSegment(deps, meta, segment, opts.signal);
      primed!.fetched.delete(segment.index);
      return ahead;
    };
    return SessionReader.over(schedule, fetch, meta.sessionId, opts);
  }

  /** A reader over segments already planned, fetched by `fetch` (the bench feeds it from memory). */
  static async over(
    schedule: readonly Segment[],
    fetch: (segment: Segment) => Promise<Fetched>,
    sessionId: string,
    opts: ReaderOptions,
  ): Promise<SessionReader> {
    const { counters, limits } = opts;
    const digest = fingerprint(
      schedule.map((s) => [s.generation, s.location, s.firstMs, s.size]),
      16,
    );
    if (opts.resume && opts.resume.schedule !== digest)
      throw new ScheduleChangedError(`session ${sessionId}'s segments changed since its batch was checkpointed`);
    const prefetch = new Prefetcher(schedule, fetch, limits.fetchConcurrency, limits.prefetchBytes);
    prefetch.from(opts.resume?.merge.opened ?? 0);
    const merger = await SegmentMerger.start(
      {
        segments: schedule,
        open: async (segment: Segment) => decodeSegment(await prefetch.take(segment.index), limits.maxLineBytes),
        onOpened: (segment, decoded) => {
          if (decoded.readable) counters.blocksRead++;
          else counters.blocksUnreadable++;
          counters.eventsRead += decoded.events.length;
          counters.bytesRead += decoded.fetchedBytes;
          counters.decodedBytes += decoded.bytes;
          for (const e of decoded.errors) opts.onError(e);
          if (limits.maxSessionBytes > 0 && counters.decodedBytes > limits.maxSessionBytes)
            throw new SessionTooLargeError(
              `session decompresses to more than export.maxSessionMB (${limits.maxSessionBytes} bytes) at ${segment.location}; raise the limit to export it`,
            );
        },
      },
      opts.resume?.merge,
    );
    return new SessionReader(schedule, digest, merger, counters, opts.onError, sessionId, opts.redactor);
  }

  /**
   * True when the next event starts a new timestamp, so nothing read so far can still be duplicated: the point at
   * which the reader's position can be saved.
   */
  async atTimestampBoundary(): Promise<boolean> {
    const next = await this.merger.peek();
    return next === undefined || next.event.timestamp !== this.groupTs;
  }

  /** Where the reader stands; valid at a timestamp boundary. */
  position(): MergeState {
    return this.merger.state();
  }

  /** The next distinct event, or undefined at the end of the session. */
  async next(): Promise<ReadEvent | undefined> {
    for (;;) {
      const e = await this.merger.peek();
      if (e === undefined) return undefined;
      const ts = e.event.timestamp;
      if (ts !== this.groupTs) {
        this.groupTs = ts;
        this.group.length = 0;
      }
      this.merger.advance();
      const key = canonical(e);
      if (this.group.some((g) => same(g, key))) {
        this.counters.duplicates++;
        continue;
      }
      this.group.push(key);
      try {
        // Duplicates were judged on the stored event; what leaves is what the privacy policy lets through. An event
        // that had no stored line (blob v1, legacy) and no delay was just serialised for the key: that text is its line.
        const stored = typeof key === 'string' && e.event.delay === undefined ? { ...e, line: Buffer.from(key) } : e;
        const out = this.redactor?.rewritesEvents ? { ...e, event: this.redactor.event(e.event), line: null } : stored;
        return { ...out, raw: rawLine(out) };
      } catch (err) {
        // The event is lost from the blob and the tables, but recorded; the rest of the session still reads.
        this.onError(toSourceError(`session ${this.sessionId} event at ${ts}`, err, ts));
      }
    }
  }

  /** Events that came behind the stream because a segment started before its declared first time. */
  get outOfOrder(): number {
    return this.merger.state().outOfOrder;
  }
}

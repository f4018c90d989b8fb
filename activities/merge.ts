/**
 * Merges a session's segments into one stream in timestamp order, opening each segment only when the stream reaches
 * the first event time its metadata declares. Blocks of one tab follow each other, so usually one or two segments
 * are open at a time; overlapping ones (several tabs, a block re-written into a second batch file) are merged event by
 * event. Memory is bounded by the segments open at once, not by the session.
 *
 * Ties are broken by schedule position, then position in the segment, so the order is the same every run, and is the
 * order PostHog's player gets from its stable sort. A segment whose events start before its declared first time is
 * still merged; the events that arrive behind the stream are counted (`outOfOrder`) and recorded by the caller.
 */
import type { DecodedEvent, DecodedSegment } from './decode';
import type { Segment } from './fetch';

/**
 * Segments open this long before their declared first event. PostHog's v2 metadata is exact, but blob-v1 names carry
 * each message's first event by position (not the minimum) and legacy times are whole seconds.
 */
export const OPEN_AHEAD_MS = 60_000;

/** Where the merge stands, as plain data for checkpoints. */
export interface MergeState {
  /** Segments [0, opened) have been opened. */
  opened: number;
  /** Open segments that still hold events: [schedule index, next position]. */
  cursors: Array<[number, number]>;
  /** Timestamp of the last event taken, or null before the first. */
  lastTimestamp: number | null;
  /** Events that came behind the stream because a segment started before its declared first time. */
  outOfOrder: number;
}

interface Cursor {
  index: number;
  position: number;
  events: DecodedEvent[];
}

function before(a: Cursor, b: Cursor): boolean {
  const ta = a.events[a.position]!.event.timestamp;
  const tb = b.events[b.position]!.event.timestamp;
  return ta < tb || (ta === tb && a.index < b.index);
}

/** A binary min-heap of cursors, ordered by their next event. */
class CursorHeap {
  readonly items: Cursor[] = [];

  push(c: Cursor): void {
    const h = this.items;
    h.push(c);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }

  /** Re-establishes order after the top cursor advanced; removes it when exhausted. */
  fixTop(): void {
    const h = this.items;
    const top = h[0];
    if (top === undefined) return;
    if (top.position >= top.events.length) {
      const last = h.pop()!;
      if (h.length === 0) return;
      h[0] = last;
    }
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

export interface MergeSource {
  segments: readonly Segment[];
  /** Fetches and decodes one segment. */
  open(segment: Segment): Promise<DecodedSegment>;
  /** Called once per segment the first time it is opened (not again when a resumed merge reopens it). */
  onOpened(segment: Segment, decoded: DecodedSegment): void;
}

export class SegmentMerger {
  private readonly heap = new CursorHeap();
  private opened = 0;
  private lastTimestamp: number | null = null;
  outOfOrder = 0;

  private constructor(private readonly source: MergeSource) {}

  static async start(source: MergeSource, state?: MergeState): Promise<SegmentMerger> {
    const merger = new SegmentMerger(source);
    if (state) {
      merger.opened = state.opened;
      merger.lastTimestamp = state.lastTimestamp;
      merger.outOfOrder = state.outOfOrder;
      for (const [index, position] of state.cursors) {
        const segment = source.segments[index];
        if (segment === undefined) throw new RangeError(`checkpoint names segment ${index}, the session has fewer`);
        const decoded = await source.open(segment);
        if (position < decoded.events.length) merger.heap.push({ index, position, events: decoded.events });
      }
    }
    return merger;
  }

  state(): MergeState {
    return {
      opened: this.opened,
      cursors: this.heap.items.map((c) => [c.index, c.position]),
      lastTimestamp: this.lastTimestamp,
      outOfOrder: this.outOfOrder,
    };
  }

  /** The next event in order, without taking it; undefined at the end. */
  async peek(): Promise<DecodedEvent | undefined> {
    const { segments } = this.source;
    for (;;) {
      const top = this.heap.peek();
      const next = segments[this.opened];
      if (next === undefined) break;
      const frontier = top === undefined ? Infinity : top.events[top.position]!.event.timestamp;
      if (next.firstMs - OPEN_AHEAD_MS > frontier) break;
      this.opened++;
      const decoded = await this.source.open(next);
      this.source.onOpened(next, decoded);
      if (decoded.events.length > 0) this.heap.push({ index: next.index, position: 0, events: decoded.events });
    }
    const top = this.heap.peek();
    return top?.events[top.position];
  }

  /** Takes the event peek() returned. */
  advance(): void {
    const top = this.heap.peek();
    if (top === undefined) return;
    const ts = top.events[top.position]!.event.timestamp;
    if (this.lastTimestamp !== null && ts < this.lastTimestamp) this.outOfOrder++;
    else this.lastTimestamp = ts;
    top.position++;
    this.heap.fixTop();
  }
}

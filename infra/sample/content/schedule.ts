/** Session-level scheduling: which window has the user's attention when, and how the windows' events arrive. */
import type { GeneratedEvent, SessionContentSpec } from './events';
import type { Rng } from './rng';

/** Longest any single action runs, so a window can stop in time for its segment's end. */
export const ACTION_BUDGET_MS = 9_000;
/** Beyond this many events a window only idles: huge sessions stay big without growing without bound. */
export const MAX_EVENTS_PER_WINDOW = 40_000;

interface Segment {
  window: number;
  start: number;
  end: number;
}

/**
 * Splits the session into stretches where one tab has the user's attention: window 0 first, every other window
 * opened in turn, then returns to earlier tabs. Hidden tabs send nothing.
 */
export function planSegments(spec: SessionContentSpec, rng: Rng): Segment[] {
  const n = spec.windowIds.length;
  const extra = n === 1 ? 0 : rng.int(0, n - 1);
  const count = Math.max(n, Math.min(n + extra, Math.floor(spec.durationMs / 15_000)));
  const weights = Array.from({ length: count }, () => 0.5 + rng.next());
  const total = weights.reduce((a, b) => a + b, 0);
  const order: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i < n) order.push(i);
    else {
      const previous = order[i - 1] ?? 0;
      const choices = Array.from({ length: n }, (_, w) => w).filter((w) => w !== previous);
      order.push(rng.pick(choices));
    }
  }
  const segments: Segment[] = [];
  let start = spec.startMs;
  let acc = 0;
  for (let i = 0; i < count; i++) {
    acc += weights[i] ?? 0;
    const end =
      i === count - 1 ? spec.startMs + spec.durationMs : spec.startMs + Math.round((spec.durationMs * acc) / total);
    segments.push({ window: order[i] ?? 0, start, end });
    start = end;
  }
  return segments;
}

/** Stable merge of per-window streams by timestamp (ties keep window order). */
export function mergeByTime(perWindow: readonly GeneratedEvent[][]): GeneratedEvent[] {
  const all = perWindow.flat();
  const indexed = all.map((ge, i) => ({ ge, i }));
  indexed.sort((a, b) => a.ge.event.timestamp - b.ge.event.timestamp || a.i - b.i);
  return indexed.map((x) => x.ge);
}

/**
 * posthog-js retries a failed flush with the same batch and PostHog's player drops events whose JSON minus `delay`
 * is identical (deduplicate-snapshots.ts): re-send a few short runs verbatim a little later, and a few single events
 * with a `delay` field.
 */
export function withSdkResends(events: GeneratedEvent[], rng: Rng): GeneratedEvent[] {
  if (events.length < 4) return events;
  const inserts = new Map<number, GeneratedEvent[]>();
  const schedule = (at: number, ge: GeneratedEvent) => {
    const pos = Math.min(events.length, at);
    const list = inserts.get(pos) ?? [];
    list.push(ge);
    inserts.set(pos, list);
  };
  const runs = rng.int(1, 2);
  for (let r = 0; r < runs; r++) {
    const from = rng.int(0, events.length - 2);
    const length = Math.min(rng.int(2, 4), events.length - from);
    const at = from + length + rng.int(3, 40);
    for (let i = from; i < from + length; i++) {
      const original = events[i];
      if (original) schedule(at, { windowId: original.windowId, event: structuredClone(original.event) });
    }
  }
  const delayed = rng.int(2, 3);
  for (let d = 0; d < delayed; d++) {
    const original = rng.pick(events);
    const at = events.indexOf(original) + 1 + rng.int(1, 25);
    schedule(at, {
      windowId: original.windowId,
      event: { ...structuredClone(original.event), delay: rng.int(1, 800) },
    });
  }
  const out: GeneratedEvent[] = [];
  for (let i = 0; i <= events.length; i++) {
    const extra = inserts.get(i);
    if (extra) out.push(...extra);
    const ge = events[i];
    if (ge) out.push(ge);
  }
  return out;
}

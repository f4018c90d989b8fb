/**
 * The rrweb content of a sample session: the events a posthog-js-instrumented browser (platform 'web') or the
 * posthog-android SDK in wireframe mode (platform 'mobile') would have sent, deterministic from the Rng.
 *
 * Shapes follow real posthog-js 1.449.2 output (test/fixtures/real-posthog-js) and, where that capture has no
 * example, the SDK sources named next to each builder in content/. test/sample-content.test.ts holds them to it.
 *
 * Web sessions: per window a page load (Meta, FullSnapshot, the posthog-js start-up custom and network events), then
 * a stream of user actions with their DOM, console and network side effects: pointer moves and clicks, typing, scrolls,
 * resizes, SPA navigation ($pageview or $url_changed plus a content swap) or full navigation (a new page load), a
 * periodic full snapshot every 5 minutes, idle markers after 5 quiet minutes, and `window hidden` when the user leaves
 * the tab. A session's first event is at startMs and, for web, its last at startMs + durationMs.
 */
import type { GeneratedEvent, SessionContentSpec } from './content/events';
import { MobileApp } from './content/mobile/app';
import type { Rng } from './content/rng';
import { mergeByTime, planSegments, withSdkResends } from './content/schedule';
import { WebSession } from './content/web/session';
import { WebWindow } from './content/web/window';

export type { GeneratedEvent, MobileEvent, RrwebEvent, SessionContentSpec } from './content/events';
export type { Wireframe } from './content/mobile/wireframe';
export type { Rng } from './content/rng';
export { createRng } from './content/rng';

/** Events in arrival order: per window in time order, windows interleaved by time, SDK re-sends where they arrive. */
export function generateSessionContent(spec: SessionContentSpec, rng: Rng): GeneratedEvent[] {
  if (spec.windowIds.length === 0) throw new RangeError('a session needs at least one window id');
  const segments = planSegments(spec, rng);
  const perWindow: GeneratedEvent[][] = [];
  if (spec.platform === 'mobile') {
    const app = new MobileApp(spec, rng);
    for (const [w, windowId] of spec.windowIds.entries()) {
      const out: GeneratedEvent[] = [];
      for (const seg of segments.filter((s) => s.window === w)) {
        for (const event of app.run(seg.start, seg.end)) out.push({ windowId, event });
      }
      perWindow.push(out);
    }
  } else {
    const session = new WebSession(spec, rng);
    const windows = spec.windowIds.map((id) => new WebWindow(session, id));
    for (const seg of segments) windows[seg.window]?.run(seg.start, seg.end);
    for (const w of windows) perWindow.push(w.events.map((event) => ({ windowId: w.windowId, event })));
  }
  const merged = mergeByTime(perWindow);
  return spec.duplicateEvents ? withSdkResends(merged, rng) : merged;
}

/**
 * One window (tab) of a web session: the state of the page the user is on, the loop that plays the user, and what
 * posthog-js records of it (event order, cv compression, idle markers, periodic full snapshots). What the user does
 * lives in actions.ts, pointer.ts and forms.ts, how the page answers in reactions.ts and navigation.ts.
 */
import type {
  addedNodeMutation,
  attributeMutation,
  incrementalData,
  removedNodeMutation,
  textMutation,
} from '@rrweb/types';
import { EventType, IncrementalSource } from '@rrweb/types';
import { CV_2024_10, gzipLatin1 } from '../../cv';
import type { RrwebEvent } from '../events';
import { between, chance, weighted } from '../rng';
import { ACTION_BUDGET_MS, MAX_EVENTS_PER_WINDOW } from '../schedule';
import { act, ACTION_WEIGHTS } from './actions';
import type { ConsoleLevel } from './console';
import { CONSOLE_LEVEL_WEIGHTS, consoleArgs, consolePayload } from './console';
import type { DomElement } from './dom';
import { loadPage } from './navigation';
import type { ApiCall } from './network';
import { apiRequest } from './network';
import type { Page } from './page';
import { rageClick } from './pointer';
import { FULL_SNAPSHOT_INTERVAL_MS, IDLE_THRESHOLD_MS } from './posthog-js';
import { flushRemovals } from './reactions';
import type { WebSession } from './session';
import { TEMPLATES } from './shop-pages';

export class WebWindow {
  readonly events: RrwebEvent[] = [];
  page: Page | undefined;
  t = 0;
  scrollY = 0;
  viewport: { width: number; height: number };
  mouse = { x: 0, y: 0 };
  focused: number | undefined;
  lastClick = { t: -Infinity, x: 0, y: 0 };
  lastActivity = 0;
  private lastCheckout = 0;
  idle = false;
  cartCount = 0;
  pendingRemovals: { parent: DomElement; node: DomElement; at: number }[] = [];
  /** Set when events past a segment's end were dropped, so the DOM model is ahead of the recorded stream. */
  private stale = false;

  constructor(
    readonly s: WebSession,
    readonly windowId: string,
  ) {
    this.viewport = { width: s.device.width, height: s.device.height };
  }

  /** Plays the user in this tab from `start` to `end`, ending with `window hidden` as the tab loses focus. */
  run(start: number, end: number): void {
    const { rng } = this.s;
    this.t = start;
    if (!this.page || this.stale) {
      this.stale = false;
      const kind = chance(rng, 0.6) ? 'home' : weighted(rng, { product: 3, search: 2, login: 1 });
      // The first page's navigation started before the recorder loaded, so its timeOrigin precedes the first event.
      loadPage(this, TEMPLATES[kind], start - rng.int(250, 900), start);
    } else {
      this.activity();
      this.custom('window visible', {});
    }
    const stopAt = end - Math.min(ACTION_BUDGET_MS, (end - start) / 4);
    // A requested rage burst happens by mid-segment at the latest, so even a short session has room for it.
    const rageBy = start + Math.min(30_000, (end - start) / 2);
    while (this.t < stopAt && this.events.length < MAX_EVENTS_PER_WINDOW) {
      flushRemovals(this);
      if (this.s.rageLeft > 0 && (this.t >= rageBy || chance(rng, 0.05))) {
        this.s.rageLeft--;
        rageClick(this);
      } else {
        act(this, weighted(rng, ACTION_WEIGHTS));
      }
      this.maybeCheckout();
      this.think(stopAt);
    }
    if (this.s.rageLeft > 0 && this.t + 5_000 <= end) {
      this.s.rageLeft--;
      rageClick(this);
    }
    // An idle tail can itself emit events (idle markers), and some may land past the end: pause first, then cut.
    if (end > this.t) this.pause(end - this.t);
    // Whatever ran past the segment's end never happened: the user had already left the tab. The DOM model has moved
    // on without those events, so the tab's next segment starts from a fresh page load.
    const cut = this.events.findIndex((e) => e.timestamp > end);
    if (cut >= 0) {
      this.events.length = cut;
      this.stale = true;
    }
    this.t = end;
    this.custom('window hidden', {});
  }

  requirePage(): Page {
    if (!this.page) throw new Error('no page loaded');
    return this.page;
  }

  // ---- emission ------------------------------------------------------------------------------------------------

  push(event: RrwebEvent): void {
    const last = this.events[this.events.length - 1];
    if (last && event.timestamp < last.timestamp)
      throw new Error(`out-of-order event at ${event.timestamp} after ${last.timestamp}`);
    this.events.push(event);
  }

  incremental(data: incrementalData, at = this.t): void {
    this.push({ type: EventType.IncrementalSnapshot, data, timestamp: at });
  }

  custom(tag: string, payload: unknown, at = this.t): void {
    this.push({ type: EventType.Custom, data: { tag, payload }, timestamp: at });
  }

  plugin(plugin: string, payload: unknown, at = this.t): void {
    this.push({ type: EventType.Plugin, data: { plugin, payload }, timestamp: at });
  }

  meta(): void {
    const page = this.requirePage();
    this.push({ type: EventType.Meta, data: { href: page.url, ...this.viewport }, timestamp: this.t });
  }

  fullSnapshot(): void {
    const page = this.requirePage();
    const data = { node: page.doc, initialOffset: { left: 0, top: this.scrollY } };
    if (this.s.sdk.compressed) {
      this.push({ type: EventType.FullSnapshot, data: gzipLatin1(data), timestamp: this.t, cv: CV_2024_10 });
    } else {
      // The live DOM keeps changing; the event holds the document as it was now.
      this.push({ type: EventType.FullSnapshot, data: structuredClone(data), timestamp: this.t });
    }
    this.lastCheckout = this.t;
  }

  mutation(m: {
    texts?: textMutation[];
    attributes?: attributeMutation[];
    removes?: removedNodeMutation[];
    adds?: addedNodeMutation[];
  }): void {
    const texts = m.texts ?? [];
    const attributes = m.attributes ?? [];
    const removes = m.removes ?? [];
    const adds = m.adds ?? [];
    if (this.s.sdk.compressed) {
      this.push({
        type: EventType.IncrementalSnapshot,
        data: {
          source: IncrementalSource.Mutation,
          texts: gz(texts),
          attributes: gz(attributes),
          removes: gz(removes),
          adds: gz(adds),
        },
        timestamp: this.t,
        cv: CV_2024_10,
      });
    } else {
      this.incremental({ source: IncrementalSource.Mutation, texts, attributes, removes, adds });
    }
  }

  /** A console call: the page's own message when the caller has one, else something typical for the level. */
  log(level: ConsoleLevel = weighted(this.s.rng, CONSOLE_LEVEL_WEIGHTS), args?: unknown[]): void {
    // posthog-js drops non-interactive events while the tab is idle.
    if (this.idle) return;
    const { rng, site, assetHash } = this.s;
    const path = new URL(this.requirePage().url).pathname;
    this.plugin('rrweb/console@1', consolePayload(rng, site, level, args ?? consoleArgs(rng, level, path), assetHash));
  }

  /** A fetch/XHR the page makes; the plugin event is emitted once the response is in, then the caller reacts. */
  request(call: ApiCall): void {
    const { entry, respondedAt } = apiRequest(this.s, this.requirePage(), this.t, call);
    this.t = Math.max(this.t, respondedAt);
    this.plugin('rrweb/network@1', { requests: [entry] });
  }

  // ---- idle and checkouts --------------------------------------------------------------------------------------

  private think(stopAt: number): void {
    const { rng } = this.s;
    const room = stopAt - this.t;
    if (room <= 0) return;
    let pause = between(rng, 250, 2500);
    if (chance(rng, 0.04)) pause = between(rng, 5_000, 60_000);
    // Long absences, beyond posthog-js's 5-minute idle threshold and short of the 30-minute session timeout.
    if (chance(rng, 0.002)) pause = between(rng, IDLE_THRESHOLD_MS + 10_000, 20 * 60_000);
    this.pause(Math.min(pause, room));
  }

  private pause(ms: number): void {
    const { rng } = this.s;
    const until = this.t + Math.round(ms);
    const idleAt = this.lastActivity + IDLE_THRESHOLD_MS;
    if (!this.idle && until > idleAt + 30_000) {
      // Something non-interactive (a poll, a timer) happens in the quiet tab: posthog-js notices it has been idle,
      // marks it and drops that event.
      const noticedAt = Math.max(this.t, idleAt) + rng.int(1_000, 30_000);
      this.t = noticedAt;
      const payload: Record<string, unknown> = {
        eventTimestamp: noticedAt,
        lastActivityTimestamp: this.lastActivity,
        threshold: IDLE_THRESHOLD_MS,
        bufferLength: rng.int(0, 40),
        bufferSize: rng.int(0, 60_000),
      };
      if (this.s.sdk.modernIdle) {
        payload['sessionId'] = this.s.spec.sessionId;
        payload['windowId'] = this.windowId;
      }
      // Current posthog-js back-dates the marker to when the tab went quiet (never before what was already sent here).
      const last = this.events[this.events.length - 1]?.timestamp ?? idleAt;
      this.custom('sessionIdle', payload, this.s.sdk.modernIdle ? Math.max(idleAt, last) : noticedAt);
      this.idle = true;
    }
    this.t = until;
  }

  /** Called at the first interactive event: leave the idle state the way posthog-js does. */
  activity(): void {
    if (this.idle) {
      this.idle = false;
      this.custom('sessionNoLongerIdle', { reason: 'user activity', type: EventType.IncrementalSnapshot });
      if (this.s.sdk.modernIdle) {
        // Events were dropped while idle, so the recorder heals the replay with a fresh snapshot.
        this.meta();
        this.fullSnapshot();
      } else {
        this.lastCheckout = this.t;
      }
    }
    this.lastActivity = this.t;
  }

  private maybeCheckout(): void {
    if (!this.idle && this.t - this.lastCheckout >= FULL_SNAPSHOT_INTERVAL_MS) {
      this.meta();
      this.fullSnapshot();
    }
  }
}

let gzEmptyArray: string | undefined;

/** posthog-js caches the gzip of `[]` too (CHANGELOG #3323); most mutations have several empty fields. */
function gz(value: readonly unknown[]): string {
  if (value.length === 0) return (gzEmptyArray ??= gzipLatin1([]));
  return gzipLatin1(value);
}

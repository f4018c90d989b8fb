/**
 * The rrweb content of a sample session: the events a posthog-js-instrumented browser (platform 'web') or the
 * posthog-android SDK in wireframe mode (platform 'mobile') would have sent, deterministic from the Rng.
 *
 * Shapes follow real posthog-js 1.449.2 output (shared/fixtures/real-posthog-js) and, where that capture has no
 * example, the SDK sources named next to each builder below. test/sample-content.test.ts holds them to it.
 *
 * Web sessions: per window a page load (Meta, FullSnapshot, the posthog-js start-up custom and network events), then
 * a stream of user actions with their DOM, console and network side effects: pointer moves and clicks, typing, scrolls,
 * resizes, SPA navigation ($pageview or $url_changed plus a content swap) or full navigation (a new page load), a
 * periodic full snapshot every 5 minutes, idle markers after 5 quiet minutes, and `window hidden` when the user leaves
 * the tab. A session's first event is at startMs and, for web, its last at startMs + durationMs.
 */
import { createHash } from 'node:crypto';
import type {
  addedNodeMutation,
  attributeMutation,
  eventWithTime,
  incrementalData,
  mousePosition,
  removedNodeMutation,
  textMutation,
} from '@rrweb/types';
import { EventType, IncrementalSource, MouseInteractions, NodeType, PointerTypes } from '@rrweb/types';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { CV_2024_10, gzipLatin1 } from './cv';

// ---------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(minIncl: number, maxIncl: number): number;
  pick<T>(xs: readonly T[]): T;
  hex(nChars: number): string;
}

const HEX_DIGITS = '0123456789abcdef';

/** xoroshiro128+ seeded from sha256(seed), so any string is a seed and nearby strings give unrelated streams. */
export function createRng(seed: string): Rng {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  // One bit forced on: an all-zero state would make xoroshiro emit zeros forever.
  const generator = xoroshiro128plusFromState([
    digest.readInt32BE(0),
    digest.readInt32BE(4),
    digest.readInt32BE(8),
    digest.readInt32BE(12) | 1,
  ]);
  return {
    next: () => uniformFloat64(generator),
    int: (minIncl, maxIncl) => uniformInt(generator, minIncl, maxIncl),
    pick<T>(xs: readonly T[]): T {
      if (xs.length === 0) throw new RangeError('pick() needs a non-empty list');
      return xs[uniformInt(generator, 0, xs.length - 1)] as T;
    },
    hex(nChars) {
      let s = '';
      for (let i = 0; i < nChars; i++) s += HEX_DIGITS[uniformInt(generator, 0, 15)] ?? '0';
      return s;
    },
  };
}

export interface SessionContentSpec {
  sessionId: string;
  startMs: number;
  durationMs: number;
  windowIds: readonly string[];
  platform: 'web' | 'mobile';
  /** posthog-js >= 1.165 sends cv:"2024-10" compressed FullSnapshot and Mutation fields; false = an older SDK. */
  compressed: boolean;
  /** At least one burst PostHog counts as a rage click (see RAGE_TIMEOUT_MS). */
  rageClicks: boolean;
  /** SDK re-sends: a few events repeated verbatim, a few with a `delay` field. */
  duplicateEvents: boolean;
}

type Timed = { timestamp: number; delay?: number };

/** What posthog-js sends in place of FullSnapshot and Mutation events when compression is on. */
export type CompressedEvent = Timed & { cv: typeof CV_2024_10 } & (
    | { type: EventType.FullSnapshot; data: string }
    | {
        type: EventType.IncrementalSnapshot;
        data: { source: IncrementalSource.Mutation; texts: string; attributes: string; removes: string; adds: string };
      }
  );

/** posthog-android's RRStyle (posthog/src/main/java/com/posthog/internal/replay/RRStyle.kt); Gson drops nulls. */
export interface MobileStyle {
  color?: string;
  backgroundColor?: string;
  backgroundImage?: string;
  borderWidth?: number;
  borderRadius?: number;
  borderColor?: string;
  fontSize?: number;
  fontFamily?: string;
  horizontalAlign?: string;
  verticalAlign?: string;
  paddingTop?: number;
  paddingBottom?: number;
  paddingLeft?: number;
  paddingRight?: number;
  bar?: string;
}

/**
 * posthog-android's RRWireframe (…/internal/replay/RRWireframe.kt), field order as Gson writes it. `type` is absent
 * for plain ViewGroups (the player draws a div), `style` and `disabled` are always present.
 */
export interface Wireframe {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  childWireframes?: Wireframe[];
  type?: 'text' | 'image' | 'input' | 'radio_group' | 'web_view' | 'status_bar' | 'navigation_bar';
  inputType?: 'button' | 'text_area' | 'checkbox' | 'radio' | 'toggle' | 'select' | 'progress';
  text?: string;
  label?: string;
  value?: string | number;
  base64?: string;
  style: MobileStyle;
  disabled: boolean;
  checked?: boolean;
  options?: string[];
  max?: number;
}

export interface MobileMutatedNode {
  wireframe: Wireframe;
  parentId?: number;
}

/** Events only posthog-android sends: wireframes in place of a DOM (PostHog/posthog ee/frontend/mobile-replay/mobile.types.ts). */
export type MobileEvent = Timed &
  (
    | { type: EventType.FullSnapshot; data: { wireframes: Wireframe[]; initialOffset: { top: number; left: number } } }
    | {
        type: EventType.IncrementalSnapshot;
        data: {
          adds?: MobileMutatedNode[];
          removes?: { id: number; parentId?: number }[];
          updates?: MobileMutatedNode[];
          source: IncrementalSource.Mutation;
        };
      }
  );

export type RrwebEvent = eventWithTime | CompressedEvent | MobileEvent;

export interface GeneratedEvent {
  windowId: string;
  event: RrwebEvent;
}

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

// ---------------------------------------------------------------------------------------------------------------
// Session-level scheduling
// ---------------------------------------------------------------------------------------------------------------

interface Segment {
  window: number;
  start: number;
  end: number;
}

/**
 * Splits the session into stretches where one tab has the user's attention: window 0 first, every other window
 * opened in turn, then returns to earlier tabs. Hidden tabs send nothing.
 */
function planSegments(spec: SessionContentSpec, rng: Rng): Segment[] {
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
function mergeByTime(perWindow: readonly GeneratedEvent[][]): GeneratedEvent[] {
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
function withSdkResends(events: GeneratedEvent[], rng: Rng): GeneratedEvent[] {
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

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

function between(rng: Rng, min: number, max: number): number {
  return min + rng.next() * (max - min);
}

function weighted<K extends string>(rng: Rng, table: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(table) as [K, number][];
  let x = rng.next() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  const last = entries[entries.length - 1];
  if (!last) throw new RangeError('weighted() needs a non-empty table');
  return last[0];
}

/** performance.now() values are reported to 0.1 ms. */
function tenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A project token that looks random but is the same for every session of a site. */
function stableHex(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

const WORDS = (
  'lightweight breathable mesh upper with responsive foam midsole and a grippy rubber outsole for trail and road ' +
  'recycled materials keep the weight down while a waterproof membrane keeps your feet dry on long days out ' +
  'true to size comfortable from the first mile durable stitching reinforced heel cushioned collar packs small'
).split(' ');
const PRODUCT_ADJ = ['Trail', 'Summit', 'Harbor', 'Canyon', 'Aurora', 'Alpine', 'Coastal', 'Urban', 'Ridge', 'Tundra'];
const PRODUCT_NOUN = ['Runner', 'Jacket', 'Backpack', 'Tent', 'Bottle', 'Headlamp', 'Fleece', 'Boots', 'Vest', 'Cap'];
const PRODUCT_SUFFIX = ['X', 'Pro', 'Lite', '2', 'GTX', 'Flex', 'Max'];
const SEARCH_TERMS = [
  'rain jacket',
  'tent 2 person',
  'headlamp',
  'trail shoes',
  'water bottle',
  'down vest',
  'hiking socks',
];
const FIRST_NAMES = ['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Eva', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas'];
const LAST_NAMES = ['Novak', 'Schmidt', 'García', 'Okafor', 'Lindqvist', 'Rossi', 'Tanaka', 'Dubois', 'Kowalski'];
const CITIES = ['Lisbon', 'Ljubljana', 'Berlin', 'Lyon', 'Gdańsk', 'Porto', 'Bergen', 'Turin', 'Ghent'];
const STREETS = ['Harbour Road', 'Linden Allee', 'Rua das Flores', 'Station Street', 'Elm Lane', 'Market Square'];
const COUNTRIES = ['Portugal', 'Slovenia', 'Germany', 'France', 'Poland', 'Norway', 'Italy', 'Belgium'];
const SIZES = ['38', '39', '40', '41', '42', '43', '44', '45'];
const REVIEWS = [
  '★★★★★ Great fit, wore them for a 30 km hike.',
  '★★★★☆ Runs a little small, order half a size up.',
  '★★★☆☆ Good grip but the laces keep coming undone.',
  '★★★★★ Light and warm, packs into its own pocket.',
  '★★☆☆☆ Zip broke after two weeks.',
];

function sentence(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  const text = words.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

interface Product {
  name: string;
  slug: string;
  sku: string;
  price: string;
  cents: number;
}

function makeProduct(rng: Rng): Product {
  const name = `${rng.pick(PRODUCT_ADJ)} ${rng.pick(PRODUCT_NOUN)} ${rng.pick(PRODUCT_SUFFIX)}`;
  const cents = rng.int(19, 349) * 100 + rng.pick([0, 50, 95, 99]);
  return {
    name,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    sku: `SKU-${rng.hex(6).toUpperCase()}`,
    price: `€${(cents / 100).toFixed(2)}`,
    cents,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// posthog-js facts (web)
// ---------------------------------------------------------------------------------------------------------------

/** The SDK a web session was recorded with: compression arrived in posthog-js 1.165.0 (CHANGELOG, 2024-09-25). */
interface SdkProfile {
  version: string;
  compressed: boolean;
  /** Scripts posthog-js injects at the end of <body>. */
  lateScripts: readonly string[];
  /** 1.164 emitted $session_options and $posthog_config on start; $remote_config_received and $recording_started came later. */
  startTags: readonly ('$remote_config_received' | '$session_options' | '$posthog_config' | '$recording_started')[];
  /** sessionIdle carries sessionId/windowId and is re-stamped to lastActivity + threshold in current posthog-js. */
  modernIdle: boolean;
}

const MODERN_SDK: SdkProfile = {
  version: '1.449.2',
  compressed: true,
  lateScripts: ['/static/1.449.2/lazy-recorder.js', '/static/1.449.2/surveys.js', '/array/{token}/config.js'],
  startTags: ['$remote_config_received', '$session_options', '$posthog_config', '$recording_started'],
  modernIdle: true,
};

const LEGACY_SDK: SdkProfile = {
  version: '1.164.3',
  compressed: false,
  lateScripts: ['/static/recorder.js?v=1.164.3'],
  startTags: ['$session_options', '$posthog_config'],
  modernIdle: false,
};

/** posthog-js RECORDING_IDLE_THRESHOLD_MS default; the session itself rotates after 30 idle minutes. */
const IDLE_THRESHOLD_MS = 5 * 60_000;
/** session_recording.full_snapshot_interval_millis default (lazy-loaded-session-recorder.ts). */
const FULL_SNAPSHOT_INTERVAL_MS = 5 * 60_000;

/**
 * PostHog's rage click (posthog-js packages/browser/src/extensions/rageclick.ts): 3 clicks, each within 1000 ms and
 * less than 30 px (|dx| + |dy|) of the previous one.
 */
const RAGE_TIMEOUT_MS = 1000;

interface Site {
  origin: string;
  name: string;
  posthogHost: string;
  token: string;
  /** Framework-rendered single-page app (no whitespace text nodes, client-side routing) or server-rendered pages. */
  spa: boolean;
}

const SITE_DOMAINS: readonly [string, string][] = [
  ['shop.acme-outdoor.test', 'Acme Outdoor'],
  ['www.northwind-gear.test', 'Northwind Gear'],
  ['store.fjellkit.test', 'Fjellkit'],
];

const SITE_CSS =
  '*, ::before, ::after { box-sizing: border-box; }body { margin: 0px; font-family: Inter, system-ui, -apple-system, ' +
  '"Segoe UI", Roboto, sans-serif; color: rgb(28, 31, 39); background: rgb(250, 250, 249); }.site-header { position: ' +
  'sticky; top: 0px; background: rgb(255, 255, 255); border-bottom: 1px solid rgb(229, 231, 235); }nav.top { display: ' +
  'flex; gap: 1.5rem; align-items: center; max-width: 960px; margin: 0px auto; padding: 0.75rem 1rem; }main { max-width: ' +
  '960px; margin: 0px auto; padding: 1.5rem 1rem 4rem; }.row { display: flex; gap: 0.75rem; flex-wrap: wrap; }.card { ' +
  'background: rgb(255, 255, 255); border: 1px solid rgb(229, 231, 235); border-radius: 12px; padding: 1rem; }.button { ' +
  'display: inline-block; padding: 0.6rem 1.1rem; border-radius: 8px; border: 1px solid rgb(209, 213, 219); background: ' +
  'rgb(255, 255, 255); cursor: pointer; }.button.primary { background: rgb(29, 74, 255); color: rgb(255, 255, 255); ' +
  'border-color: rgb(29, 74, 255); }.badge { display: inline-block; min-width: 1.4em; padding: 0px 0.4em; border-radius: ' +
  '999px; background: rgb(245, 78, 0); color: rgb(255, 255, 255); font-size: 0.75rem; text-align: center; }.toasts { ' +
  'position: fixed; right: 1rem; bottom: 1rem; display: grid; gap: 0.5rem; }.toast { padding: 0.75rem 1rem; ' +
  'border-radius: 8px; background: rgb(17, 24, 39); color: rgb(255, 255, 255); }.toast.error { background: rgb(185, 28, ' +
  '28); }input, select, textarea { font: inherit; padding: 0.5rem 0.6rem; border: 1px solid rgb(209, 213, 219); ' +
  'border-radius: 6px; }label { display: block; margin: 0.75rem 0px 0.25rem; font-weight: 500; }.price { font-weight: ' +
  '600; }.active { outline: 2px solid rgb(29, 74, 255); }[hidden] { display: none !important; }';

function makeSite(rng: Rng): Site {
  const [host, name] = rng.pick(SITE_DOMAINS);
  const domain = host.split('.').slice(1).join('.');
  return {
    origin: `https://${host}`,
    name,
    posthogHost: `https://posthog.${domain}`,
    token: `phc_${stableHex(domain, 43)}`,
    spa: chance(rng, 0.6),
  };
}

/** posthog-js's $remote_config_received payload, as in the fixture (the project's remote replay settings). */
function remoteConfigPayload(cacheTimestamp: number): Record<string, unknown> {
  return {
    cache_timestamp: cacheTimestamp,
    enabled: true,
    endpoint: '/s/',
    consoleLogRecordingEnabled: true,
    recorderVersion: 'v2',
    sampleRate: null,
    minimumDurationMilliseconds: null,
    linkedFlag: null,
    networkPayloadCapture: {
      capturePerformance: { network_timing: true, web_vitals: false, web_vitals_allowed_metrics: null },
      recordHeaders: true,
      recordBody: true,
    },
    masking: null,
    urlTriggers: [],
    urlBlocklist: [],
    eventTriggers: [],
    triggerMatchType: null,
    scriptConfig: null,
    recordCanvas: false,
    canvasRecording: { enabled: false },
  };
}

function sessionOptionsPayload(maskAllInputs: boolean): Record<string, unknown> {
  return {
    sessionRecordingOptions: {
      blockClass: 'ph-no-capture',
      ignoreClass: 'ph-ignore-input',
      maskTextClass: 'ph-mask',
      maskAllInputs,
      maskInputOptions: { password: true },
      maskAllElementAttributes: false,
      slimDOMOptions: {},
      collectFonts: false,
      inlineStylesheet: true,
      inlineStylesheetBudgetRules: 10000,
      recordCrossOriginIframes: false,
    },
    activePlugins: ['rrweb/console@1', 'rrweb/network@1'],
  };
}

/** `posthog.config` as posthog-js 1.449.2 reports it in $posthog_config (key set from the fixture). */
function posthogConfigPayload(site: Site, capturePageview: boolean): Record<string, unknown> {
  return {
    config: {
      api_host: site.posthogHost,
      flags_api_host: null,
      ui_host: null,
      asset_host: null,
      token: site.token,
      autocapture: true,
      cross_subdomain_cookie: true,
      persistence: 'localStorage+cookie',
      persistence_name: '',
      cookie_persisted_properties: [],
      save_campaign_params: true,
      custom_campaign_params: [],
      custom_blocked_useragents: [],
      save_referrer: true,
      capture_pageleave: 'if_capture_pageview',
      defaults: 'unset',
      __preview_deferred_init_extensions: false,
      __preview_replay_sync_fetch: true,
      __preview_external_dependency_versioned_paths: false,
      __preview_cookie_wins_on_conflict: false,
      debug: false,
      cookie_expiration: 365,
      upgrade: false,
      disable_session_recording: false,
      disable_persistence: false,
      disable_web_experiments: true,
      disable_surveys: false,
      disable_surveys_automatic_display: false,
      disable_conversations: false,
      disable_product_tours: false,
      disableDeviceModel: false,
      reuseAnonymousId: false,
      disable_external_dependency_loading: false,
      strict_script_versioning: 'fallback',
      enable_recording_console_log: true,
      secure_cookie: true,
      ip: false,
      opt_out_capturing_by_default: false,
      opt_out_persistence_by_default: false,
      opt_out_useragent_filter: false,
      opt_out_capturing_persistence_type: 'localStorage',
      consent_persistence_name: null,
      opt_out_capturing_cookie_prefix: null,
      opt_in_site_apps: false,
      property_denylist: [],
      respect_dnt: false,
      sanitize_properties: null,
      request_headers: {},
      request_batching: true,
      properties_string_max_length: 65535,
      mask_all_element_attributes: false,
      mask_all_text: false,
      mask_personal_data_properties: false,
      custom_personal_data_properties: [],
      advanced_disable_flags: false,
      advanced_disable_decide: false,
      advanced_disable_feature_flags: false,
      advanced_disable_feature_flags_on_first_load: false,
      advanced_only_evaluate_survey_feature_flags: false,
      advanced_feature_flags_dedup_per_session: false,
      advanced_enable_surveys: false,
      advanced_disable_toolbar_metrics: false,
      feature_flag_request_timeout_ms: 3000,
      feature_flag_request_max_retries: 1,
      surveys_request_timeout_ms: 10000,
      capture_performance: { network_timing: true, web_vitals: false },
      name: 'posthog',
      bootstrap: {},
      disable_compression: false,
      session_idle_timeout_seconds: 1800,
      person_profiles: 'identified_only',
      request_queue_config: { flush_interval_ms: 3000 },
      error_tracking: {},
      rageclick: true,
      capture_pageview: capturePageview,
      session_recording: { recordCrossOriginIframes: false, recordHeaders: true, recordBody: true },
      external_scripts_inject_target: 'body',
      persistence_save_debounce_ms: 0,
      split_storage: false,
      detect_google_search_app: false,
      disable_capture_url_hashes: false,
      cookieWinsOnConflict: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Network plugin (rrweb/network@1): PerformanceResourceTiming.toJSON() plus what posthog-js adds
// (packages/browser/src/extensions/replay/external/network-plugin.ts); key order as in the fixture.
// ---------------------------------------------------------------------------------------------------------------

interface Timings {
  fetchStart: number;
  requestStart: number;
  responseStart: number;
  responseEnd: number;
}

function timings(rng: Rng, start: number, ttfb: number, download: number): Timings {
  const fetchStart = tenth(start);
  const requestStart = tenth(fetchStart + between(rng, 0.3, 3));
  const responseStart = tenth(requestStart + ttfb);
  return { fetchStart, requestStart, responseStart, responseEnd: tenth(responseStart + download) };
}

interface ResourceOptions {
  name: string;
  entryType: 'resource' | 'navigation';
  initiatorType: string;
  contentType: string;
  navigationId: number;
  timeOrigin: number;
  t: Timings;
  bodySize: number;
  status: number;
}

function resourceFields(o: ResourceOptions): Record<string, unknown> {
  const { t } = o;
  return {
    name: o.name,
    entryType: o.entryType,
    startTime: o.entryType === 'navigation' ? 0 : Math.round(t.fetchStart),
    duration: tenth(t.responseEnd - (o.entryType === 'navigation' ? 0 : t.fetchStart)),
    navigationId: o.navigationId,
    initiatorType: o.initiatorType,
    deliveryType: '',
    nextHopProtocol: 'h2',
    renderBlockingStatus: 'non-blocking',
    contentType: o.contentType,
    contentEncoding: o.contentType.startsWith('application/json') || o.bodySize < 1024 ? '' : 'br',
    workerStart: 0,
    workerRouterEvaluationStart: 0,
    workerCacheLookupStart: 0,
    workerMatchedSourceType: '',
    workerFinalSourceType: '',
    redirectStart: 0,
    redirectEnd: 0,
    fetchStart: t.fetchStart,
    domainLookupStart: t.fetchStart,
    domainLookupEnd: t.fetchStart,
    connectStart: t.fetchStart,
    secureConnectionStart: 0,
    connectEnd: t.fetchStart,
    requestStart: t.requestStart,
    responseStart: t.responseStart,
    firstInterimResponseStart: 0,
    finalResponseHeadersStart: t.responseStart,
    responseEnd: t.responseEnd,
    transferSize: o.bodySize + 300,
    encodedBodySize: o.bodySize,
    decodedBodySize: o.bodySize,
    responseStatus: o.status,
    serverTiming: [],
  };
}

/** posthog-js: endTime rounded, timestamp = floor(timeOrigin + fetchStart). */
function posthogTimingFields(o: ResourceOptions): Record<string, unknown> {
  return {
    endTime: Math.round(o.t.responseEnd),
    timeOrigin: o.timeOrigin,
    timestamp: Math.floor(o.timeOrigin + (o.entryType === 'navigation' ? 0 : o.t.fetchStart)),
  };
}

function navigationEntry(rng: Rng, o: ResourceOptions, domComplete: number): Record<string, unknown> {
  const interactive = tenth(domComplete * between(rng, 0.2, 0.5));
  return {
    ...resourceFields(o),
    unloadEventStart: 0,
    unloadEventEnd: 0,
    domInteractive: interactive,
    domContentLoadedEventStart: interactive,
    domContentLoadedEventEnd: tenth(interactive + 0.2),
    domComplete,
    loadEventStart: domComplete,
    loadEventEnd: domComplete,
    type: 'navigate',
    redirectCount: 0,
    activationStart: 0,
    criticalCHRestart: 0,
    notRestoredReasons: null,
    confidence: { randomizedTriggerRate: 0.4994798, value: rng.pick(['high', 'low']) },
    ...posthogTimingFields(o),
    duration: domComplete,
  };
}

interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  status: number;
  requestBody?: unknown;
  responseBody: unknown;
  slow?: boolean;
  xhr?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Console plugin (rrweb/console@1): {level, trace, payload}, each argument JSON-stringified, as in the fixture
// ---------------------------------------------------------------------------------------------------------------

type ConsoleLevel = 'log' | 'info' | 'debug' | 'warn' | 'error' | 'assert' | 'count' | 'countReset' | 'table';

const CONSOLE_LEVEL_WEIGHTS: Readonly<Record<ConsoleLevel, number>> = {
  log: 40,
  info: 14,
  debug: 8,
  warn: 14,
  error: 14,
  assert: 3,
  count: 3,
  countReset: 2,
  table: 2,
};

function consoleArgs(rng: Rng, level: ConsoleLevel, page: string): unknown[] {
  switch (level) {
    case 'log':
      return rng.pick([
        ['[router] navigated', page],
        ['cart updated', { items: rng.int(1, 6), currency: 'EUR' }],
        ['render', rng.int(3, 90)],
        ['[analytics] queued', rng.int(1, 12), 'events'],
      ]);
    case 'info':
      return rng.pick([['Service worker registered', { scope: '/' }], ['feature flags loaded'], ['prefetching', page]]);
    case 'debug':
      return rng.pick([
        ['[store] hydrate', { keys: rng.int(3, 40) }],
        ['image cache hit ratio', rng.next()],
      ]);
    case 'warn':
      return rng.pick([
        ['componentWillReceiveProps has been renamed, and is not recommended for use in production.'],
        ['[perf] long task', Math.round(between(rng, 50, 400)), 'ms'],
        ['deprecated API used: %s', 'fetchLegacy()'],
      ]);
    case 'error':
      return rng.pick([
        ['request failed', '/api/recommendations', 500],
        ["Uncaught TypeError: Cannot read properties of undefined (reading 'price')"],
        ['Failed to load stripe.js', { code: 'E_NETWORK' }],
      ]);
    case 'assert':
      return ['Assertion failed: cart total matches line items'];
    case 'count':
    case 'countReset':
      return ['product-card render'];
    case 'table':
      return [[{ sku: `SKU-${rng.hex(4).toUpperCase()}`, qty: rng.int(1, 3) }]];
  }
}

function consolePayload(
  rng: Rng,
  site: Site,
  level: ConsoleLevel,
  args: unknown[],
  assetHash: string,
): Record<string, unknown> {
  const bundle = `${site.origin}/assets/index-${assetHash}.js`;
  const frame = (fn: string) => `${fn} (${bundle}:${rng.int(1, 4)}:${rng.int(100, 98_000)})`;
  const trace = rng.pick([
    [frame('HTMLButtonElement.<anonymous>')],
    [frame('onClick'), frame('callCallback'), frame('invokeGuardedCallbackDev')],
    [`${bundle}:${rng.int(1, 4)}:${rng.int(100, 98_000)}`],
    [frame('Object.next'), frame('flush')],
  ]);
  return { level, trace, payload: args.map((a) => JSON.stringify(a)) };
}

// ---------------------------------------------------------------------------------------------------------------
// DOM: page templates, instantiated into rrweb's serialized node shape (rrweb-snapshot serializeNodeWithId)
// ---------------------------------------------------------------------------------------------------------------

interface DomElement {
  type: NodeType.Element;
  tagName: string;
  attributes: Record<string, string | true>;
  childNodes: DomNode[];
  id: number;
}
interface DomText {
  type: NodeType.Text;
  textContent: string;
  isStyle?: true;
  id: number;
}
interface DomDoctype {
  type: NodeType.DocumentType;
  name: string;
  publicId: string;
  systemId: string;
  id: number;
}
interface DomDocument {
  type: NodeType.Document;
  childNodes: DomNode[];
  id: number;
}
type DomNode = DomElement | DomText | DomDoctype;

/** What a template's dynamic parts are filled from. */
interface Fill {
  rng: Rng;
  site: Site;
  masked: boolean;
  products: readonly Product[];
  query: string;
  assetHash: string;
}

type Dyn<T> = T | ((f: Fill) => T);
interface TElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, Dyn<string | true | undefined>>>;
  readonly children: readonly TChild[];
}
type TChild = TElement | Dyn<string>;

function h(tag: string, attrs: TElement['attrs'] = {}, ...children: TChild[]): TElement {
  return { tag, attrs, children };
}

function resolve<T>(v: Dyn<T>, f: Fill): T {
  return typeof v === 'function' ? (v as (f: Fill) => T)(f) : v;
}

function product(f: Fill, i: number): Product {
  const p = f.products[i % f.products.length];
  if (!p) throw new RangeError('a page needs products');
  return p;
}

const abs = (path: string) => (f: Fill) => `${f.site.origin}${path}`;
const maskedValue = (value: string) => (f: Fill) => (f.masked ? '*'.repeat(value.length) : value);

type PageKind = 'home' | 'product' | 'search' | 'cart' | 'checkout' | 'login' | 'settings';

interface PageTemplate {
  kind: PageKind;
  path: (f: Fill) => string;
  title: (f: Fill) => string;
  main: readonly TElement[];
}

function productCard(i: number): TElement {
  return h(
    'li',
    { class: 'card' },
    h(
      'a',
      { href: (f) => `${f.site.origin}/products/${product(f, i).slug}` },
      h('img', {
        src: (f) => `${f.site.origin}/images/${product(f, i).slug}-400.webp`,
        alt: (f) => product(f, i).name,
        loading: 'lazy',
        width: '400',
        height: '300',
      }),
      h('h3', {}, (f) => product(f, i).name),
    ),
    h('p', { class: 'price' }, (f) => product(f, i).price),
    h('button', { class: 'button', 'data-action': 'add-to-cart', 'data-sku': (f) => product(f, i).sku }, 'Add to cart'),
  );
}

function field(label: string, input: TElement): TElement[] {
  const id = input.attrs['id'];
  return [h('label', typeof id === 'string' ? { for: id } : {}, label), input];
}

const TEMPLATES: Readonly<Record<PageKind, PageTemplate>> = {
  home: {
    kind: 'home',
    path: () => '/',
    title: () => 'Gear for every trail',
    main: [
      h(
        'section',
        { class: 'hero card' },
        h('h1', {}, (f) => `${f.rng.pick(['New season', 'Autumn edit', 'Built for the outdoors'])} at ${f.site.name}`),
        h('p', { class: 'lead' }, (f) => sentence(f.rng, 10, 18)),
        h('a', { class: 'button primary', href: abs('/search?q=new') }, 'Shop new arrivals'),
      ),
      h('h2', {}, 'Featured'),
      h('ul', { class: 'product-grid row' }, ...[0, 1, 2, 3, 4, 5].map(productCard)),
      h(
        'form',
        { class: 'card newsletter', id: 'newsletter' },
        h('h2', {}, 'Stay in the loop'),
        ...field(
          'Email',
          h('input', { type: 'email', id: 'newsletter-email', name: 'email', placeholder: 'you@example.com' }),
        ),
        h('button', { type: 'submit', class: 'button', 'data-action': 'subscribe' }, 'Subscribe'),
      ),
    ],
  },
  product: {
    kind: 'product',
    path: (f) => `/products/${product(f, 0).slug}`,
    title: (f) => product(f, 0).name,
    main: [
      h(
        'div',
        { class: 'gallery' },
        h('img', {
          id: 'main-image',
          alt: (f) => product(f, 0).name,
          src: (f) => `${f.site.origin}/images/${product(f, 0).slug}-1200.webp`,
        }),
        h(
          'div',
          { class: 'thumbs row' },
          ...['blue', 'red', 'green'].map((color, i) =>
            h('img', {
              class: i === 0 ? 'thumb active' : 'thumb',
              'data-action': 'thumb',
              'data-color': color,
              alt: color,
              src: (f) => `${f.site.origin}/images/${product(f, 0).slug}-${color}-160.webp`,
            }),
          ),
        ),
      ),
      h('h1', {}, (f) => product(f, 0).name),
      h('p', { class: 'price' }, (f) => product(f, 0).price),
      ...field(
        'Size',
        h(
          'select',
          { id: 'size', name: 'size', value: maskedValue('42'), rr_maskedSelect: (f) => (f.masked ? true : undefined) },
          ...SIZES.map((s) => h('option', { value: s }, s)),
        ),
      ),
      ...field('Quantity', h('input', { id: 'qty', type: 'number', min: '1', max: '9', value: maskedValue('1') })),
      h(
        'div',
        { class: 'actions row' },
        h('button', { id: 'add-to-cart', class: 'button primary', 'data-action': 'add-to-cart' }, 'Add to cart'),
        h(
          'button',
          { id: 'wishlist', class: 'button', 'data-action': 'toggle', 'aria-pressed': 'false' },
          '♡ Wishlist',
        ),
        h('button', { id: 'size-guide', class: 'button', 'data-action': 'open-modal' }, 'Size guide'),
      ),
      h(
        'section',
        { class: 'card', id: 'description' },
        h('h2', {}, 'Description'),
        h('p', {}, (f) => sentence(f.rng, 18, 34)),
        h('p', {}, (f) => sentence(f.rng, 18, 34)),
        h('p', {}, (f) => sentence(f.rng, 12, 30)),
      ),
      h(
        'section',
        { class: 'card', id: 'reviews' },
        h('h2', {}, 'Reviews'),
        h('ul', { id: 'review-list' }, ...[0, 1].map(() => h('li', {}, (f: Fill) => f.rng.pick(REVIEWS)))),
        h('button', { id: 'load-reviews', class: 'button', 'data-action': 'load-more' }, 'Load more reviews'),
      ),
      h(
        'div',
        { id: 'modal', role: 'dialog', 'aria-modal': 'true', hidden: '' },
        h('h2', {}, 'Size guide'),
        h(
          'table',
          {},
          h(
            'tbody',
            {},
            ...SIZES.slice(0, 4).map((s) => h('tr', {}, h('td', {}, s), h('td', {}, `${Number(s) / 1.6} cm`))),
          ),
        ),
        h('button', { class: 'button', 'data-action': 'close-modal' }, 'Close'),
      ),
    ],
  },
  search: {
    kind: 'search',
    path: (f) => `/search?q=${encodeURIComponent(f.query)}`,
    title: (f) => `Search: ${f.query}`,
    main: [
      h(
        'form',
        { class: 'row', role: 'search' },
        h('input', {
          id: 'q',
          type: 'search',
          name: 'q',
          placeholder: 'Search products',
          value: (f) => (f.masked ? '*'.repeat(f.query.length) : f.query),
        }),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'search' }, 'Search'),
      ),
      h(
        'div',
        { class: 'filters row' },
        ...['All', 'Footwear', 'Jackets', 'Camping'].map((label, i) =>
          h('button', { class: i === 0 ? 'button active' : 'button', 'data-action': 'filter' }, label),
        ),
      ),
      h('p', { id: 'result-count' }, (f) => `${f.rng.int(8, 140)} results for “${f.query}”`),
      h('ul', { id: 'results', class: 'product-grid row' }, ...[0, 1, 2, 3, 4, 5, 6, 7].map(productCard)),
      h(
        'nav',
        { class: 'pagination row' },
        ...['1', '2', '3', 'Next'].map((p) => h('button', { class: 'button', 'data-action': 'search' }, p)),
      ),
    ],
  },
  cart: {
    kind: 'cart',
    path: () => '/cart',
    title: () => 'Your cart',
    main: [
      h('h1', {}, 'Your cart'),
      h(
        'table',
        { id: 'cart-items' },
        h(
          'tbody',
          { id: 'cart-rows' },
          ...[0, 1, 2].map((i) =>
            h(
              'tr',
              {},
              h('td', {}, (f: Fill) => product(f, i).name),
              h('td', {}, h('input', { type: 'number', min: '1', value: maskedValue('1'), 'aria-label': 'Quantity' })),
              h('td', { class: 'price' }, (f: Fill) => product(f, i).price),
              h('td', {}, h('button', { class: 'button', 'data-action': 'remove-item', 'aria-label': 'Remove' }, '✕')),
            ),
          ),
        ),
      ),
      h(
        'p',
        { id: 'cart-total', class: 'price' },
        (f) => `Total €${((product(f, 0).cents + product(f, 1).cents + product(f, 2).cents) / 100).toFixed(2)}`,
      ),
      h('a', { class: 'button primary', href: abs('/checkout') }, 'Checkout'),
    ],
  },
  checkout: {
    kind: 'checkout',
    path: () => '/checkout',
    title: () => 'Checkout',
    main: [
      h('h1', {}, 'Checkout'),
      h(
        'form',
        { id: 'checkout-form', class: 'card', autocomplete: 'on' },
        ...field('Email', h('input', { type: 'email', id: 'email', name: 'email', autocomplete: 'email' })),
        ...field('Full name', h('input', { id: 'name', name: 'name', autocomplete: 'name' })),
        ...field('Address', h('input', { id: 'address', name: 'address', autocomplete: 'street-address' })),
        ...field('City', h('input', { id: 'city', name: 'city' })),
        ...field('Postcode', h('input', { id: 'zip', name: 'zip', inputmode: 'numeric' })),
        ...field(
          'Country',
          h(
            'select',
            {
              id: 'country',
              name: 'country',
              value: maskedValue('Portugal'),
              rr_maskedSelect: (f) => (f.masked ? true : undefined),
            },
            ...COUNTRIES.map((c) => h('option', {}, c)),
          ),
        ),
        h(
          'fieldset',
          { class: 'row' },
          h('legend', {}, 'Delivery'),
          ...['standard', 'express', 'pickup'].map((v) =>
            h(
              'label',
              {},
              h('input', { type: 'radio', name: 'delivery', value: v }),
              ` ${v.charAt(0).toUpperCase()}${v.slice(1)}`,
            ),
          ),
        ),
        h(
          'label',
          {},
          h('input', { type: 'checkbox', id: 'terms', name: 'terms', required: '' }),
          ' I accept the terms',
        ),
        ...field(
          'Order notes',
          h('textarea', { id: 'notes', name: 'notes', rows: '3', placeholder: 'Anything we should know?' }),
        ),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'place-order' }, 'Place order'),
      ),
    ],
  },
  login: {
    kind: 'login',
    path: () => '/login',
    title: () => 'Sign in',
    main: [
      h(
        'form',
        { id: 'login-form', class: 'card' },
        h('h1', {}, 'Sign in'),
        ...field('Email', h('input', { type: 'email', id: 'login-email', name: 'email', autocomplete: 'username' })),
        ...field(
          'Password',
          h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password' }),
        ),
        h('label', {}, h('input', { type: 'checkbox', id: 'remember', name: 'remember' }), ' Remember me'),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'login' }, 'Sign in'),
        h('p', {}, h('a', { href: abs('/login/forgot') }, 'Forgot your password?')),
      ),
    ],
  },
  settings: {
    kind: 'settings',
    path: () => '/account/settings',
    title: () => 'Account settings',
    main: [
      h('h1', {}, 'Account settings'),
      h(
        'form',
        { id: 'settings-form', class: 'card' },
        ...field(
          'Display name',
          h('input', { id: 'display-name', name: 'displayName', value: maskedValue('alice.novak') }),
        ),
        ...field(
          'Language',
          h(
            'select',
            { id: 'language', value: maskedValue('English'), rr_maskedSelect: (f) => (f.masked ? true : undefined) },
            ...['English', 'Deutsch', 'Português', 'Français'].map((l) => h('option', {}, l)),
          ),
        ),
        ...['Order updates', 'Newsletter', 'Product recommendations', 'Dark mode'].map((label, i) =>
          h('label', {}, h('input', { type: 'checkbox', name: `pref-${i}` }), ` ${label}`),
        ),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'save' }, 'Save changes'),
      ),
      h(
        'section',
        { class: 'card danger' },
        h('h2', {}, 'Danger zone'),
        h('button', { class: 'button', 'data-action': 'toggle' }, 'Delete account'),
      ),
    ],
  },
};

const NEXT_PAGE: Readonly<Record<PageKind, Readonly<Partial<Record<PageKind, number>>>>> = {
  home: { product: 5, search: 4, cart: 1, login: 1 },
  product: { product: 3, search: 2, cart: 3, home: 1 },
  search: { product: 6, search: 2, home: 1 },
  cart: { checkout: 5, product: 2, home: 1 },
  checkout: { home: 2, cart: 1, settings: 1 },
  login: { settings: 3, home: 2 },
  settings: { home: 2, product: 1, search: 1 },
};

function shell(main: readonly TElement[], title: (f: Fill) => string): TElement {
  const script = (src: (f: Fill) => string, async?: true) =>
    h('script', { type: 'text/javascript', crossorigin: 'anonymous', ...(async ? { async: '' } : {}), src });
  const navLink = (path: string, label: string) => h('a', { href: abs(path) }, label);
  return h(
    'html',
    { lang: 'en' },
    h(
      'head',
      {},
      h('meta', { charset: 'utf-8' }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('title', {}, (f) => `${title(f)} – ${f.site.name}`),
      h('link', { rel: 'icon', href: abs('/favicon.svg') }),
      h('style', {}, SITE_CSS),
      h('script', { type: 'module', crossorigin: '', src: (f) => `${f.site.origin}/assets/index-${f.assetHash}.js` }),
      script((f) => `${f.site.posthogHost}/static/array.js`, true),
      h('script', {}, 'SCRIPT_PLACEHOLDER'),
    ),
    h(
      'body',
      {},
      h(
        'header',
        { class: 'site-header' },
        h(
          'nav',
          { class: 'top row' },
          h('a', { href: abs('/'), id: 'logo' }, (f) => f.site.name),
          navLink('/search?q=new', 'Shop'),
          navLink('/search?q=sale', 'Sale'),
          navLink('/account/settings', 'Account'),
          h(
            'a',
            { href: abs('/cart'), id: 'cart-link' },
            'Cart ',
            h('span', { class: 'badge', id: 'cart-count' }, '0'),
          ),
        ),
      ),
      h('main', { id: 'content' }, ...main),
      h(
        'footer',
        {},
        h('p', {}, (f) => `© 2026 ${f.site.name}`),
        h(
          'nav',
          { class: 'row' },
          navLink('/login', 'Sign in'),
          navLink('/privacy', 'Privacy'),
          navLink('/contact', 'Contact'),
        ),
      ),
      h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }),
      h('script', {}, 'SCRIPT_PLACEHOLDER'),
    ),
  );
}

/** Tags after which an HTML source has no newline-and-indent text nodes inside them. */
const INLINE_TAGS = new Set([
  'a',
  'button',
  'span',
  'label',
  'option',
  'p',
  'h1',
  'h2',
  'h3',
  'td',
  'li',
  'legend',
  'title',
]);

/** Serializes template trees with rrweb's pre-order ids (a node's id precedes its children's). */
class Serializer {
  readonly named = new Map<string, DomElement>();
  constructor(
    private readonly fill: Fill,
    /** Server-rendered HTML keeps the source's whitespace as text nodes; framework-rendered DOM has none. */
    private readonly whitespace: boolean,
    public nextId: number,
  ) {}

  text(textContent: string, isStyle = false): DomText {
    return isStyle
      ? { type: NodeType.Text, textContent, isStyle: true, id: this.nextId++ }
      : { type: NodeType.Text, textContent, id: this.nextId++ };
  }

  element(t: TElement, depth: number): DomElement {
    const attributes: Record<string, string | true> = {};
    for (const [k, v] of Object.entries(t.attrs)) {
      const value = resolve(v, this.fill);
      if (value !== undefined) attributes[k] = value;
    }
    const node: DomElement = { type: NodeType.Element, tagName: t.tag, attributes, childNodes: [], id: this.nextId++ };
    const id = attributes['id'];
    if (typeof id === 'string') this.named.set(id, node);
    const indent = this.whitespace && !INLINE_TAGS.has(t.tag) && t.children.some((c) => typeof c === 'object');
    for (const c of t.children) {
      if (indent) node.childNodes.push(this.text(`\n${'  '.repeat(depth + 1)}`));
      if (typeof c === 'object') node.childNodes.push(this.element(c, depth + 1));
      else
        node.childNodes.push(
          this.text(t.tag === 'script' ? 'SCRIPT_PLACEHOLDER' : resolve(c, this.fill), t.tag === 'style'),
        );
    }
    if (indent) node.childNodes.push(this.text(`\n${'  '.repeat(depth)}`));
    return node;
  }
}

/** rrweb emits added subtrees flattened: each node with empty childNodes, its children as later entries. */
function shallow(node: DomNode): DomNode {
  if (node.type === NodeType.Element) return { ...node, attributes: { ...node.attributes }, childNodes: [] };
  return { ...node };
}

function flattenAdds(parent: DomElement, node: DomNode, nextId: number | null): addedNodeMutation[] {
  const out: addedNodeMutation[] = [{ parentId: parent.id, nextId, node: shallow(node) }];
  const queue: DomElement[] = node.type === NodeType.Element ? [node] : [];
  for (let q = 0; q < queue.length; q++) {
    const el = queue[q];
    if (!el) continue;
    for (let i = el.childNodes.length - 1; i >= 0; i--) {
      const child = el.childNodes[i];
      if (!child) continue;
      out.push({ parentId: el.id, nextId: el.childNodes[i + 1]?.id ?? null, node: shallow(child) });
      if (child.type === NodeType.Element) queue.push(child);
    }
  }
  return out;
}

type Role = 'link' | 'button' | 'text' | 'checkbox' | 'radio' | 'select';

interface Box {
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Target extends Box {
  role: Role;
  el: DomElement;
}

const BLOCK_HEIGHT: Readonly<Record<string, number>> = {
  h1: 56,
  h2: 40,
  h3: 28,
  p: 60,
  li: 44,
  label: 30,
  input: 44,
  select: 44,
  textarea: 96,
  img: 240,
  tr: 44,
  form: 16,
  section: 24,
  fieldset: 20,
  legend: 24,
  footer: 24,
  button: 48,
  a: 40,
};

function roleOf(el: DomElement): Role | undefined {
  switch (el.tagName) {
    case 'a':
      return 'link';
    case 'button':
      return 'button';
    case 'select':
      return 'select';
    case 'textarea':
      return 'text';
    case 'img':
      return el.attributes['data-action'] ? 'button' : undefined;
    case 'input': {
      const type = el.attributes['type'];
      if (type === 'checkbox' || type === 'radio') return type;
      return type === 'submit' ? 'button' : 'text';
    }
    default:
      return undefined;
  }
}

/** Characters of text inside a node, counted only up to `cap`: layout needs a rough width, not the text. */
function textLength(node: DomNode, cap: number): number {
  if (node.type === NodeType.Text) return Math.min(cap, node.textContent.trim().length);
  if (node.type !== NodeType.Element) return 0;
  let n = 0;
  for (const c of node.childNodes) {
    n += textLength(c, cap - n);
    if (n >= cap) return cap;
  }
  return n;
}

function textOf(node: DomNode): string {
  if (node.type === NodeType.Text) return node.textContent;
  if (node.type === NodeType.Element) return node.childNodes.map(textOf).join('');
  return '';
}

/** One loaded document in a window: its live serialized DOM, the ids rrweb gave it and a rough layout. */
class Page {
  targets: Target[] = [];
  boxes: Box[] = [];
  height = 0;
  constructor(
    readonly template: PageTemplate,
    readonly url: string,
    readonly doc: DomDocument,
    readonly named: Map<string, DomElement>,
    public nextId: number,
    readonly timeOrigin: number,
    readonly navigationId: number,
  ) {}

  el(id: string): DomElement | undefined {
    return this.named.get(id);
  }

  /** Block elements stack down the page; children of `.row`/`nav`/`tr` sit side by side. */
  layout(viewportWidth: number): void {
    const width = Math.min(960, viewportWidth - 24);
    const left = Math.max(12, Math.floor((viewportWidth - width) / 2));
    let y = 0;
    this.targets = [];
    this.boxes = [];
    const visit = (node: DomNode, row: { x: number; y: number } | null): void => {
      if (node.type !== NodeType.Element) return;
      const tag = node.tagName;
      if (tag === 'head' || tag === 'script' || tag === 'style' || node.attributes['hidden'] !== undefined) return;
      const w =
        tag === 'input' || tag === 'select'
          ? 280
          : tag === 'textarea'
            ? 480
            : Math.min(width, 32 + 8 * textLength(node, 40));
      let box: Box;
      if (row) {
        if (row.x + w > left + width) {
          row.x = left;
          row.y += 52;
        }
        box = { id: node.id, x: row.x, y: row.y, w, h: 40 };
        row.x += w + 12;
      } else {
        const hgt = BLOCK_HEIGHT[tag] ?? 0;
        box = {
          id: node.id,
          x: left,
          y,
          w: BLOCK_HEIGHT[tag] !== undefined && tag !== 'p' ? w : width,
          h: Math.max(hgt, 24),
        };
        y += hgt;
      }
      this.boxes.push(box);
      const role = roleOf(node);
      if (role) this.targets.push({ ...box, role, el: node });
      const cls = node.attributes['class'];
      if (!row && (tag === 'nav' || tag === 'tr' || (typeof cls === 'string' && /\brow\b/.test(cls)))) {
        const r = { x: left, y };
        for (const c of node.childNodes) visit(c, r);
        y = r.y + 52;
      } else {
        for (const c of node.childNodes) visit(c, row);
      }
    };
    const html = this.doc.childNodes.find((n): n is DomElement => n.type === NodeType.Element);
    for (const c of html?.childNodes ?? []) visit(c, null);
    this.height = y + 80;
  }

  /** The innermost laid-out element under a page point, for MouseMove ids. */
  idAt(x: number, y: number): number {
    let best = this.named.get('content')?.id ?? 1;
    for (const b of this.boxes) if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) best = b.id;
    return best;
  }

  parentOf(id: number): DomElement | undefined {
    const find = (el: DomElement): DomElement | undefined => {
      for (const c of el.childNodes) {
        if (c.id === id) return el;
        if (c.type === NodeType.Element) {
          const found = find(c);
          if (found) return found;
        }
      }
      return undefined;
    };
    for (const c of this.doc.childNodes) if (c.type === NodeType.Element) return find(c);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Web: one session's shared facts, and one window (tab) replaying a user
// ---------------------------------------------------------------------------------------------------------------

interface Device {
  touch: boolean;
  width: number;
  height: number;
}

const DESKTOP_VIEWPORTS: readonly [number, number][] = [
  [1280, 720],
  [1366, 657],
  [1440, 789],
  [1536, 730],
  [1920, 937],
];
const TOUCH_VIEWPORTS: readonly [number, number][] = [
  [390, 664],
  [412, 839],
  [393, 727],
  [360, 640],
];

class WebSession {
  readonly site: Site;
  readonly sdk: SdkProfile;
  readonly device: Device;
  readonly masked: boolean;
  readonly capturePageview: boolean;
  readonly assetHash: string;
  rageLeft: number;
  constructor(
    readonly spec: SessionContentSpec,
    readonly rng: Rng,
  ) {
    this.site = makeSite(rng);
    this.sdk = spec.compressed ? MODERN_SDK : LEGACY_SDK;
    const touch = chance(rng, 0.2);
    const [width, height] = rng.pick(touch ? TOUCH_VIEWPORTS : DESKTOP_VIEWPORTS);
    this.device = { touch, width, height };
    // posthog-js masks all inputs by default; some projects turn it off.
    this.masked = chance(rng, 0.8);
    // Without capture_pageview posthog-js marks SPA navigation with $url_changed instead of $pageview.
    this.capturePageview = chance(rng, 0.75);
    this.assetHash = rng.hex(8);
    this.rageLeft = spec.rageClicks ? 1 : 0;
  }
}

/** Longest any single action runs, so a window can stop in time for its segment's end. */
const ACTION_BUDGET_MS = 9_000;
/** Beyond this many events a window only idles: huge sessions stay big without growing without bound. */
const MAX_EVENTS_PER_WINDOW = 40_000;

type WebAction =
  | 'click'
  | 'type'
  | 'scroll'
  | 'navigate'
  | 'toggle'
  | 'select'
  | 'dblclick'
  | 'contextmenu'
  | 'resize'
  | 'console'
  | 'hover';

const ACTION_WEIGHTS: Readonly<Record<WebAction, number>> = {
  click: 26,
  type: 12,
  scroll: 16,
  navigate: 9,
  toggle: 5,
  select: 3,
  dblclick: 2,
  contextmenu: 1,
  resize: 0.6,
  console: 5,
  hover: 10,
};

class WebWindow {
  readonly events: RrwebEvent[] = [];
  private page: Page | undefined;
  private t = 0;
  private scrollY = 0;
  private viewport: { width: number; height: number };
  private mouse = { x: 0, y: 0 };
  private focused: number | undefined;
  private lastClick = { t: -Infinity, x: 0, y: 0 };
  private lastActivity = 0;
  private lastCheckout = 0;
  private idle = false;
  private cartCount = 0;
  private pendingRemovals: { parent: DomElement; node: DomElement; at: number }[] = [];
  /** Set when events past a segment's end were dropped, so the DOM model is ahead of the recorded stream. */
  private stale = false;

  constructor(
    private readonly s: WebSession,
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
      this.loadPage(TEMPLATES[kind], start - rng.int(250, 900), start);
    } else {
      this.activity();
      this.custom('window visible', {});
    }
    const stopAt = end - Math.min(ACTION_BUDGET_MS, (end - start) / 4);
    // A requested rage burst happens by mid-segment at the latest, so even a short session has room for it.
    const rageBy = start + Math.min(30_000, (end - start) / 2);
    while (this.t < stopAt && this.events.length < MAX_EVENTS_PER_WINDOW) {
      this.flushRemovals();
      if (this.s.rageLeft > 0 && (this.t >= rageBy || chance(rng, 0.05))) {
        this.s.rageLeft--;
        this.rageClick();
      } else {
        this.act(weighted(rng, ACTION_WEIGHTS));
      }
      this.maybeCheckout();
      this.think(stopAt);
    }
    if (this.s.rageLeft > 0 && this.t + 5_000 <= end) {
      this.s.rageLeft--;
      this.rageClick();
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

  // ---- emission ------------------------------------------------------------------------------------------------

  private push(event: RrwebEvent): void {
    const last = this.events[this.events.length - 1];
    if (last && event.timestamp < last.timestamp)
      throw new Error(`out-of-order event at ${event.timestamp} after ${last.timestamp}`);
    this.events.push(event);
  }

  private incremental(data: incrementalData, at = this.t): void {
    this.push({ type: EventType.IncrementalSnapshot, data, timestamp: at });
  }

  private custom(tag: string, payload: unknown, at = this.t): void {
    this.push({ type: EventType.Custom, data: { tag, payload }, timestamp: at });
  }

  private plugin(plugin: string, payload: unknown, at = this.t): void {
    this.push({ type: EventType.Plugin, data: { plugin, payload }, timestamp: at });
  }

  private meta(): void {
    const page = this.requirePage();
    this.push({ type: EventType.Meta, data: { href: page.url, ...this.viewport }, timestamp: this.t });
  }

  private fullSnapshot(): void {
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

  private mutation(m: {
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
  private log(level: ConsoleLevel = weighted(this.s.rng, CONSOLE_LEVEL_WEIGHTS), args?: unknown[]): void {
    // posthog-js drops non-interactive events while the tab is idle.
    if (this.idle) return;
    const { rng, site, assetHash } = this.s;
    const path = new URL(this.requirePage().url).pathname;
    this.plugin('rrweb/console@1', consolePayload(rng, site, level, args ?? consoleArgs(rng, level, path), assetHash));
  }

  // ---- page lifecycle ------------------------------------------------------------------------------------------

  private requirePage(): Page {
    if (!this.page) throw new Error('no page loaded');
    return this.page;
  }

  private fill(): Fill {
    const { rng } = this.s;
    return {
      rng,
      site: this.s.site,
      masked: this.s.masked,
      products: Array.from({ length: 8 }, () => makeProduct(rng)),
      query: rng.pick(SEARCH_TERMS),
      assetHash: this.s.assetHash,
    };
  }

  /**
   * A full page load as the fixture shows it: Meta, FullSnapshot, the network entries buffered before the recorder
   * started (isInitial), posthog-js's start-up custom events, then the navigation timing entry.
   */
  private loadPage(template: PageTemplate, timeOrigin: number, metaAt: number): void {
    const { rng, site, sdk } = this.s;
    const f = this.fill();
    const serializer = new Serializer(f, !site.spa, 1);
    const html = shell(template.main, template.title);
    const lateScripts = sdk.lateScripts.map((p) =>
      h('script', {
        type: 'text/javascript',
        crossorigin: 'anonymous',
        src: `${site.posthogHost}${p.replace('{token}', site.token)}`,
      }),
    );
    const withScripts: TElement = {
      ...html,
      children: html.children.map((c) =>
        typeof c === 'object' && c.tag === 'body' ? { ...c, children: [...c.children, ...lateScripts] } : c,
      ),
    };
    const doctype: DomDoctype = { type: NodeType.DocumentType, name: 'html', publicId: '', systemId: '', id: 2 };
    serializer.nextId = 3;
    const root = serializer.element(withScripts, 0);
    const doc: DomDocument = { type: NodeType.Document, childNodes: [doctype, root], id: 1 };
    const navigationId = rng.int(1000, 9999);
    const page = new Page(
      template,
      `${site.origin}${template.path(f)}`,
      doc,
      serializer.named,
      serializer.nextId,
      timeOrigin,
      navigationId,
    );
    page.layout(this.viewport.width);
    this.page = page;
    this.scrollY = 0;
    this.focused = undefined;
    this.pendingRemovals = [];
    const cart = page.el('cart-count');
    const badge = cart?.childNodes[0];
    if (badge && badge.type === NodeType.Text) badge.textContent = String(this.cartCount);

    this.t = metaAt;
    this.meta();
    this.t += rng.int(4, 12);
    this.fullSnapshot();
    const domComplete = tenth(Math.max(60, metaAt - timeOrigin - between(rng, 20, 120)));
    this.t += rng.int(8, 20);
    const initial = this.initialRequests(page, domComplete);
    this.plugin('rrweb/network@1', { requests: initial, isInitial: true });
    this.t += rng.int(0, 2);
    for (const tag of sdk.startTags) {
      if (tag === '$recording_started') this.t += rng.int(0, 2);
      if (tag === '$remote_config_received')
        this.custom(tag, remoteConfigPayload(timeOrigin + Math.round(domComplete * 0.8)));
      else if (tag === '$session_options') this.custom(tag, sessionOptionsPayload(this.s.masked));
      else if (tag === '$posthog_config') this.custom(tag, posthogConfigPayload(site, this.s.capturePageview));
      else this.custom(tag, { reason: 'recording_initialized' });
    }
    if (sdk.compressed) {
      // Scripts that finish loading after the recorder started arrive as ordinary resource entries, without isInitial.
      this.t += rng.int(2, 8);
      this.plugin('rrweb/network@1', {
        requests: [
          this.resourceEntry(
            page,
            `${site.posthogHost}/static/${sdk.version}/surveys.js`,
            'script',
            'text/javascript',
            between(rng, domComplete / 2, domComplete),
          ),
        ],
      });
    }
    this.t += rng.int(5, 20);
    const navTimings = timings(rng, between(rng, 0.5, 8), between(rng, 8, 60), between(rng, 1, 10));
    const nav = navigationEntry(
      rng,
      {
        name: page.url,
        entryType: 'navigation',
        initiatorType: 'navigation',
        contentType: 'text/html',
        navigationId,
        timeOrigin,
        t: navTimings,
        bodySize: rng.int(6_000, 60_000),
        status: 200,
      },
      domComplete,
    );
    this.plugin('rrweb/network@1', { requests: [nav] });
    this.lastActivity = this.t;
    this.idle = false;
  }

  private initialRequests(page: Page, domComplete: number): Record<string, unknown>[] {
    const { site, sdk } = this.s;
    const assets: [string, string, string][] = [
      [`${site.origin}/assets/index-${this.s.assetHash}.js`, 'script', 'text/javascript'],
      [`${site.posthogHost}/static/array.js`, 'script', 'text/javascript'],
      ...sdk.lateScripts
        .filter((p) => !p.endsWith('surveys.js'))
        .map((p): [string, string, string] => [
          `${site.posthogHost}${p.replace('{token}', site.token)}`,
          'script',
          'text/javascript',
        ]),
      [`${site.origin}/favicon.svg`, 'link', 'image/svg+xml'],
    ];
    const { rng } = this.s;
    return assets.map(([name, initiatorType, contentType]) => ({
      ...this.resourceEntry(page, name, initiatorType, contentType, between(rng, 20, Math.max(21, domComplete - 40))),
      isInitial: true,
    }));
  }

  /** A resource timing entry (script, image, stylesheet) as the performance observer reports it. */
  private resourceEntry(
    page: Page,
    name: string,
    initiatorType: string,
    contentType: string,
    start: number,
  ): Record<string, unknown> {
    const { rng } = this.s;
    const o: ResourceOptions = {
      name,
      entryType: 'resource',
      initiatorType,
      contentType,
      navigationId: page.navigationId,
      timeOrigin: page.timeOrigin,
      t: timings(rng, start, between(rng, 1, 25), between(rng, 0.5, 8)),
      bodySize: rng.int(900, 380_000),
      status: 200,
    };
    return { ...resourceFields(o), ...posthogTimingFields(o) };
  }

  /** A fetch/XHR the page makes; the plugin event is emitted once the response is in, then the caller reacts. */
  private request(call: ApiCall): void {
    const { rng, site } = this.s;
    const page = this.requirePage();
    const startRel = this.t - page.timeOrigin + between(rng, 0.5, 4);
    const ttfb = call.slow ? between(rng, 600, 2600) : between(rng, 15, 180);
    const t = timings(rng, startRel, ttfb, between(rng, 0.2, 6));
    const responseBody = JSON.stringify(call.responseBody);
    const o: ResourceOptions = {
      name: `${site.origin}${call.path}`,
      entryType: 'resource',
      initiatorType: call.xhr ? 'xmlhttprequest' : 'fetch',
      contentType: 'application/json',
      navigationId: page.navigationId,
      timeOrigin: page.timeOrigin,
      t,
      bodySize: Buffer.byteLength(responseBody),
      status: call.status,
    };
    const date = new Date(page.timeOrigin + t.responseStart).toUTCString();
    const request = {
      ...resourceFields(o),
      ...posthogTimingFields(o),
      method: call.method,
      status: call.status,
      requestHeaders: call.requestBody === undefined ? {} : { 'content-type': 'application/json' },
      // posthog-js reports a fetch without body as '' and an XHR without body as null, as the fixture shows.
      requestBody: call.requestBody === undefined ? (call.xhr ? null : '') : JSON.stringify(call.requestBody),
      responseHeaders: {
        'cache-control': 'no-store',
        'content-length': String(o.bodySize),
        'content-type': 'application/json; charset=utf-8',
        date,
        server: 'nginx',
        'x-request-id': rng.hex(16),
      },
      responseBody,
    };
    this.t = Math.max(this.t, Math.ceil(page.timeOrigin + t.responseEnd) + rng.int(2, 12));
    this.plugin('rrweb/network@1', { requests: [request] });
  }

  // ---- user actions --------------------------------------------------------------------------------------------

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
  private activity(): void {
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

  private act(action: WebAction): void {
    const { rng } = this.s;
    const page = this.requirePage();
    const targets = (roles: readonly Role[]) => page.targets.filter((x) => roles.includes(x.role));
    switch (action) {
      case 'click': {
        // Most clicks stay on the page; following links is what 'navigate' is for.
        const candidates = targets(chance(rng, 0.8) ? ['button'] : ['button', 'link']);
        const target = candidates.length ? rng.pick(candidates) : undefined;
        if (target) this.clickAndReact(target);
        return;
      }
      case 'navigate': {
        const links = targets(['link']);
        const target = links.length ? rng.pick(links) : undefined;
        if (target) this.clickAndReact(target, true);
        return;
      }
      case 'type': {
        const inputs = targets(['text']);
        const target = inputs.length ? rng.pick(inputs) : undefined;
        if (target) this.typeInto(target);
        return;
      }
      case 'toggle': {
        const boxes = targets(['checkbox', 'radio']);
        const target = boxes.length ? rng.pick(boxes) : undefined;
        if (target) this.toggle(target);
        return;
      }
      case 'select': {
        const selects = targets(['select']);
        const target = selects.length ? rng.pick(selects) : undefined;
        if (target) this.choose(target);
        return;
      }
      case 'dblclick': {
        const target = page.boxes.length ? rng.pick(page.boxes) : undefined;
        if (target && !this.s.device.touch) this.doubleClick(target);
        return;
      }
      case 'contextmenu': {
        const target = page.boxes.length ? rng.pick(page.boxes) : undefined;
        if (target && !this.s.device.touch) this.contextMenu(target);
        return;
      }
      case 'scroll':
        this.scrollBy(rng.int(-2, 6) * rng.int(80, 240));
        return;
      case 'resize':
        if (!this.s.device.touch) this.resize();
        return;
      case 'console':
        this.log();
        return;
      case 'hover': {
        const target = page.boxes.length ? rng.pick(page.boxes) : undefined;
        if (target && !this.s.device.touch) this.moveTo(this.pointIn(target), rng.int(300, 1500));
        return;
      }
    }
  }

  private pointIn(box: Box): { x: number; y: number } {
    const { rng } = this.s;
    return {
      x: Math.min(this.viewport.width - 2, box.x + between(rng, 0.15, 0.85) * box.w),
      y: box.y - this.scrollY + between(rng, 0.2, 0.8) * box.h,
    };
  }

  /** rrweb's mousemove: positions sampled every ~50 ms, flushed every 500 ms with negative timeOffsets. */
  private moveTo(to: { x: number; y: number }, durationMs: number): void {
    if (this.s.device.touch) return;
    const { rng } = this.s;
    const page = this.requirePage();
    this.activity();
    const from = this.mouse;
    const steps = Math.max(1, Math.round(durationMs / rng.int(50, 90)));
    const t0 = this.t;
    let batch: { p: mousePosition; at: number }[] = [];
    let batchStart = t0;
    const flush = () => {
      const last = batch[batch.length - 1];
      if (!last) return;
      const emitAt = last.at;
      this.t = emitAt;
      this.incremental({
        source: IncrementalSource.MouseMove,
        positions: batch.map((b) => ({ ...b.p, timeOffset: b.at - emitAt })),
      });
      batch = [];
    };
    for (let i = 1; i <= steps; i++) {
      const k = i / steps;
      const ease = k * k * (3 - 2 * k);
      const x = Math.round(from.x + (to.x - from.x) * ease + between(rng, -3, 3));
      const y = Math.round(from.y + (to.y - from.y) * ease + between(rng, -3, 3));
      const at = t0 + Math.round((durationMs * i) / steps);
      if (at - batchStart >= 500) {
        flush();
        batchStart = at;
      }
      batch.push({ p: { x, y, id: page.idAt(x, y + this.scrollY), timeOffset: 0 }, at });
    }
    flush();
    this.t = t0 + durationMs;
    this.mouse = { x: Math.round(to.x), y: Math.round(to.y) };
    this.lastActivity = this.t;
  }

  /** Scroll the target into view first, as a user would before clicking it. */
  private reveal(box: Box): void {
    const top = box.y - this.scrollY;
    if (top < 60 || top + box.h > this.viewport.height - 40)
      this.scrollBy(box.y - this.scrollY - Math.round(this.viewport.height / 3));
  }

  private scrollBy(delta: number): void {
    const { rng } = this.s;
    const page = this.requirePage();
    const max = Math.max(0, page.height - this.viewport.height);
    const goal = Math.max(0, Math.min(max, this.scrollY + delta));
    if (goal === this.scrollY) return;
    if (this.s.device.touch) {
      // A swipe: pointerdown is TouchStart, the finger's path is TouchMove, native scrolling cancels the pointer.
      const x = between(rng, 40, this.viewport.width - 40);
      const y0 = between(rng, this.viewport.height * 0.4, this.viewport.height * 0.8);
      this.activity();
      this.incremental({
        source: IncrementalSource.MouseInteraction,
        type: MouseInteractions.TouchStart,
        id: this.requirePage().idAt(x, y0 + this.scrollY),
        x,
        y: y0,
      });
      const at = this.t + rng.int(80, 200);
      const positions: mousePosition[] = [0, 1, 2, 3].map((i) => ({
        x: Math.round(x + between(rng, -4, 4)),
        y: Math.round(y0 - ((goal - this.scrollY) * i) / 6),
        id: page.idAt(x, y0 + this.scrollY),
        timeOffset: -(3 - i) * rng.int(15, 30),
      }));
      this.t = at;
      this.incremental({ source: IncrementalSource.TouchMove, positions });
    }
    const steps = Math.max(1, Math.min(12, Math.round(Math.abs(goal - this.scrollY) / rng.int(90, 260))));
    const from = this.scrollY;
    for (let i = 1; i <= steps; i++) {
      this.t += rng.int(60, 200);
      this.activity();
      this.scrollY = Math.round(from + ((goal - from) * i) / steps);
      this.incremental({ source: IncrementalSource.Scroll, id: 1, x: 0, y: this.scrollY });
    }
  }

  private resize(): void {
    const { rng } = this.s;
    const steps = rng.int(3, 8);
    const dw = rng.int(-30, 30);
    const dh = rng.int(-12, 12);
    for (let i = 0; i < steps; i++) {
      this.t += rng.int(16, 60);
      this.activity();
      this.viewport = {
        width: Math.max(800, this.viewport.width + dw),
        height: Math.max(480, this.viewport.height + dh),
      };
      this.incremental({ source: IncrementalSource.ViewportResize, ...this.viewport });
    }
    this.requirePage().layout(this.viewport.width);
  }

  /** Focus moves on pointerdown: Blur of the old element, then Focus of a focusable new one (no coordinates). */
  private moveFocus(el: DomElement | undefined): void {
    const focusable = el && ['a', 'button', 'input', 'select', 'textarea'].includes(el.tagName);
    const next = focusable ? el.id : undefined;
    if (next === this.focused) return;
    if (this.focused !== undefined)
      this.incremental({ source: IncrementalSource.MouseInteraction, type: MouseInteractions.Blur, id: this.focused });
    if (next !== undefined)
      this.incremental({ source: IncrementalSource.MouseInteraction, type: MouseInteractions.Focus, id: next });
    this.focused = next;
  }

  /**
   * One click as rrweb records it in Chromium. Mouse: MouseDown and MouseUp from pointer events (float client
   * coordinates, pointerType omitted as redundant), Click a PointerEvent with integer coordinates and pointerType 0.
   * Touch: TouchStart/TouchEnd replace MouseDown/MouseUp and Click carries pointerType 2
   * (rrweb packages/rrweb/src/record/observer.ts initMouseInteractionObserver).
   */
  private pointerClick(id: number, el: DomElement | undefined, p: { x: number; y: number }, focus = true): void {
    const { rng } = this.s;
    const x = Math.fround(Math.round(p.x * 100) / 100);
    const y = Math.fround(Math.round(p.y * 100) / 100);
    const touch = this.s.device.touch;
    this.activity();
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: touch ? MouseInteractions.TouchStart : MouseInteractions.MouseDown,
      id,
      x,
      y,
    });
    if (focus) this.moveFocus(el);
    this.t += touch ? rng.int(40, 120) : rng.int(1, 4);
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: touch ? MouseInteractions.TouchEnd : MouseInteractions.MouseUp,
      id,
      x,
      y,
    });
    this.t += rng.int(0, 3);
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.Click,
      id,
      x: Math.trunc(x),
      y: Math.trunc(y),
      pointerType: touch ? PointerTypes.Touch : PointerTypes.Mouse,
    });
  }

  private click(target: Box & { el?: DomElement }): void {
    const { rng } = this.s;
    this.reveal(target);
    const p = this.pointIn(target);
    this.moveTo(p, rng.int(250, 900));
    this.t += rng.int(40, 200);
    this.spaceFromLastClick(p);
    this.pointerClick(target.id, target.el, p);
    this.lastClick = { t: this.t, ...p };
  }

  /**
   * Outside a deliberate burst, a click near the previous one waits out PostHog's rage-click window (rageclick.ts
   * compares positions, not elements), so rage clicks exist exactly where the spec asked for them.
   */
  private spaceFromLastClick(p: { x: number; y: number }): void {
    const last = this.lastClick;
    if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) < 40 && this.t - last.t < RAGE_TIMEOUT_MS + 100) {
      this.t = last.t + RAGE_TIMEOUT_MS + this.s.rng.int(100, 600);
    }
  }

  private doubleClick(target: Box): void {
    const { rng } = this.s;
    this.reveal(target);
    const p = this.pointIn(target);
    this.moveTo(p, rng.int(250, 700));
    this.spaceFromLastClick(p);
    this.pointerClick(target.id, undefined, p);
    this.t += rng.int(80, 180);
    this.pointerClick(target.id, undefined, p, false);
    this.t += rng.int(0, 2);
    // dblclick is a MouseEvent, not a PointerEvent, so rrweb records no pointerType for it.
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.DblClick,
      id: target.id,
      x: Math.trunc(p.x),
      y: Math.trunc(p.y),
    });
    this.lastClick = { t: this.t, ...p };
    if (chance(rng, 0.3)) {
      // Double-clicking text selects a word; some apps then toggle an editing state.
      this.t += rng.int(5, 40);
      this.mutation({ attributes: [{ id: target.id, attributes: { 'data-selected': 'true' } }] });
    }
  }

  /** Right button: pointerdown, then contextmenu (a PointerEvent, so pointerType stays), then pointerup; no click. */
  private contextMenu(target: Box): void {
    const { rng } = this.s;
    this.reveal(target);
    const p = this.pointIn(target);
    this.moveTo(p, rng.int(250, 700));
    this.activity();
    const x = Math.fround(Math.round(p.x * 100) / 100);
    const y = Math.fround(Math.round(p.y * 100) / 100);
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.MouseDown,
      id: target.id,
      x,
      y,
    });
    this.t += rng.int(0, 2);
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.ContextMenu,
      id: target.id,
      x: Math.trunc(x),
      y: Math.trunc(y),
      pointerType: PointerTypes.Mouse,
    });
    this.t += rng.int(60, 200);
    this.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.MouseUp,
      id: target.id,
      x,
      y,
    });
  }

  /** 3-6 frantic clicks on one unresponsive button, each within RAGE_TIMEOUT_MS and a few px of the last. */
  private rageClick(): void {
    const { rng } = this.s;
    const page = this.requirePage();
    const buttons = page.targets.filter((x) => x.role === 'button');
    const target = buttons.length ? rng.pick(buttons) : page.targets[0];
    if (!target) return;
    this.reveal(target);
    const p = this.pointIn(target);
    this.moveTo(p, rng.int(250, 700));
    const n = rng.int(3, 6);
    for (let i = 0; i < n; i++) {
      if (i > 0) this.t += rng.int(110, 260);
      const jitter = { x: p.x + between(rng, -3, 3), y: p.y + between(rng, -3, 3) };
      this.pointerClick(target.id, target.el, jitter, i === 0);
      if (i % 2 === 1 && !this.s.device.touch) {
        this.t += rng.int(0, 2);
        this.incremental({
          source: IncrementalSource.MouseInteraction,
          type: MouseInteractions.DblClick,
          id: target.id,
          x: Math.trunc(jitter.x),
          y: Math.trunc(jitter.y),
        });
      }
    }
    this.lastClick = { t: this.t, ...p };
    if (chance(rng, 0.5)) {
      this.t += rng.int(5, 60);
      this.log('warn');
    }
  }

  private clickAndReact(target: Target, navigate = false): void {
    this.click(target);
    const action = target.el.attributes['data-action'];
    if (target.role === 'link' || navigate) {
      const href = target.el.attributes['href'];
      if (typeof href === 'string') this.navigate(href);
      return;
    }
    if (typeof action === 'string') this.react(action, target);
  }

  private typeInto(target: Target): void {
    const { rng } = this.s;
    this.click(target);
    const password = target.el.attributes['type'] === 'password';
    const text =
      target.el.attributes['type'] === 'email'
        ? `${rng.pick(FIRST_NAMES).toLowerCase()}.${rng.pick(LAST_NAMES).toLowerCase()}@example.com`
        : target.el.attributes['type'] === 'search'
          ? rng.pick(SEARCH_TERMS)
          : target.el.tagName === 'textarea'
            ? sentence(rng, 3, 8)
            : rng.pick([
                `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
                `${rng.int(1, 220)} ${rng.pick(STREETS)}`,
                rng.pick(CITIES),
                `${rng.int(1000, 9999)}`,
              ]);
    const typed = text.slice(0, 16);
    let value = '';
    for (const ch of typed) {
      this.t += rng.int(70, 260);
      if (value.length > 2 && chance(rng, 0.04)) {
        value = value.slice(0, -1);
      } else value += ch;
      const shown = this.s.masked || password ? '*'.repeat(value.length) : value;
      this.activity();
      this.incremental({ source: IncrementalSource.Input, text: shown, isChecked: false, id: target.id });
    }
    // Later full snapshots serialize the field's current value.
    target.el.attributes['value'] = this.s.masked || password ? '*'.repeat(value.length) : value;
    if (target.el.attributes['type'] === 'search' && chance(rng, 0.7)) {
      this.t += rng.int(200, 700);
      this.react('search', target);
    }
  }

  private toggle(target: Target): void {
    const { rng } = this.s;
    const page = this.requirePage();
    this.click(target);
    const el = target.el;
    const radio = el.attributes['type'] === 'radio';
    const checked = radio ? true : el.attributes['checked'] !== true;
    this.t += rng.int(1, 4);
    if (radio) {
      // rrweb reports every radio of the group: the newly checked one and the ones that got unchecked.
      for (const other of page.targets) {
        if (other.role === 'radio' && other.el !== el && other.el.attributes['name'] === el.attributes['name']) {
          if (other.el.attributes['checked'] === true) {
            delete other.el.attributes['checked'];
            this.incremental({
              source: IncrementalSource.Input,
              text: String(other.el.attributes['value'] ?? 'on'),
              isChecked: false,
              id: other.id,
            });
          }
        }
      }
    }
    if (checked) el.attributes['checked'] = true;
    else delete el.attributes['checked'];
    this.incremental({
      source: IncrementalSource.Input,
      text: String(radio ? (el.attributes['value'] ?? 'on') : 'on'),
      isChecked: checked,
      id: target.id,
    });
  }

  /** Native <select>: the dropdown is browser chrome, so only the click and the resulting Input are recorded. */
  private choose(target: Target): void {
    const { rng } = this.s;
    this.click(target);
    const options = target.el.childNodes.filter(
      (c): c is DomElement => c.type === NodeType.Element && c.tagName === 'option',
    );
    const option = options.length ? rng.pick(options) : undefined;
    const value = option
      ? typeof option.attributes['value'] === 'string'
        ? option.attributes['value']
        : textOf(option)
      : '';
    this.t += rng.int(600, 2500);
    const shown = this.s.masked ? '*'.repeat(value.length) : value;
    target.el.attributes['value'] = shown;
    this.activity();
    this.incremental({ source: IncrementalSource.Input, text: shown, isChecked: false, id: target.id });
  }

  // ---- reactions of the page -----------------------------------------------------------------------------------

  private react(action: string, target: Target): void {
    const { rng } = this.s;
    const page = this.requirePage();
    switch (action) {
      case 'add-to-cart': {
        const ok = chance(rng, 0.92);
        this.request({
          method: 'POST',
          path: '/api/cart/items',
          status: ok ? 200 : 500,
          requestBody: { sku: target.el.attributes['data-sku'] ?? 'SKU-0', qty: 1 },
          responseBody: ok
            ? { ok: true, items: this.cartCount + 1 }
            : { ok: false, error: 'internal error', trace_id: rng.hex(12) },
        });
        if (ok) {
          this.cartCount++;
          this.setCartCount();
          this.toast('Added to cart');
          if (chance(rng, 0.4)) this.log('log', ['cart updated', { items: this.cartCount, currency: 'EUR' }]);
        } else {
          this.log('error', ['request failed', '/api/cart/items', 500]);
          this.toast('Something went wrong, please try again', true);
        }
        return;
      }
      case 'search':
        this.request({
          method: 'GET',
          path: `/api/search?q=${encodeURIComponent(rng.pick(SEARCH_TERMS))}&page=${rng.int(1, 3)}`,
          status: 200,
          responseBody: { total: rng.int(3, 140), items: [0, 1, 2].map(() => makeProduct(rng).sku) },
          xhr: chance(rng, 0.2),
          slow: chance(rng, 0.1),
        });
        this.replaceResults();
        return;
      case 'load-more': {
        const found = chance(rng, 0.75);
        this.request({
          method: 'GET',
          path: `/api/products/${rng.hex(6)}/reviews?page=2`,
          status: found ? 200 : 404,
          responseBody: found ? { reviews: [rng.pick(REVIEWS), rng.pick(REVIEWS)] } : { ok: false, error: 'not found' },
        });
        const list = page.el('review-list');
        if (found && list) {
          const adds: addedNodeMutation[] = [];
          for (let i = 0; i < 2; i++) {
            const li: DomElement = {
              type: NodeType.Element,
              tagName: 'li',
              attributes: {},
              childNodes: [],
              id: page.nextId++,
            };
            li.childNodes.push({ type: NodeType.Text, textContent: rng.pick(REVIEWS), id: page.nextId++ });
            list.childNodes.push(li);
            adds.unshift(...flattenAdds(list, li, null));
          }
          this.mutation({ adds });
          page.layout(this.viewport.width);
        } else if (!found) this.log('warn', ['no more reviews', 404]);
        return;
      }
      case 'place-order': {
        const ok = chance(rng, 0.8);
        this.request({
          method: 'POST',
          path: '/api/orders',
          status: ok ? 200 : 500,
          requestBody: { delivery: rng.pick(['standard', 'express', 'pickup']), items: this.cartCount },
          responseBody: ok
            ? { ok: true, order: `A-${rng.int(100000, 999999)}` }
            : { ok: false, error: 'payment provider unavailable' },
          slow: chance(rng, 0.3),
        });
        if (ok) this.navigate(`${this.s.site.origin}/`);
        else {
          this.log('error', ['request failed', '/api/orders', 500]);
          this.toast('Payment failed', true);
        }
        return;
      }
      case 'login':
      case 'save':
      case 'subscribe': {
        const ok = chance(rng, 0.85);
        const path =
          action === 'login' ? '/api/session' : action === 'save' ? '/api/account/settings' : '/api/newsletter';
        const status = ok ? 200 : rng.pick([404, 500]);
        this.request({
          method: action === 'save' ? 'PUT' : 'POST',
          path,
          status,
          requestBody: { form: action },
          responseBody: ok ? { ok: true } : { ok: false, error: 'request failed' },
          xhr: action === 'subscribe',
        });
        if (!ok) this.log('error', ['request failed', path, status]);
        this.toast(ok ? 'Saved' : 'Could not save, try again', !ok);
        if (ok && action === 'login') this.navigate(`${this.s.site.origin}/account/settings`);
        return;
      }
      case 'remove-item': {
        const row = page.parentOf(page.parentOf(target.id)?.id ?? -1);
        const tbody = row ? page.parentOf(row.id) : undefined;
        this.request({
          method: 'DELETE',
          path: `/api/cart/items/${rng.hex(6)}`,
          status: 200,
          responseBody: { ok: true },
        });
        if (row && tbody) {
          tbody.childNodes = tbody.childNodes.filter((c) => c !== row);
          this.mutation({ removes: [{ parentId: tbody.id, id: row.id }] });
          this.cartCount = Math.max(0, this.cartCount - 1);
          this.setCartCount();
          page.layout(this.viewport.width);
        }
        return;
      }
      case 'thumb': {
        const main = page.el('main-image');
        const thumbs = page.targets.filter((x) => x.el.attributes['data-action'] === 'thumb');
        const attributes: attributeMutation[] = thumbs.map((x) => ({
          id: x.id,
          attributes: { class: x.id === target.id ? 'thumb active' : 'thumb' },
        }));
        if (main) {
          const color = String(target.el.attributes['data-color'] ?? 'blue');
          const src = String(main.attributes['src'] ?? '').replace(/(-[a-z]+)?-1200\.webp$/, `-${color}-1200.webp`);
          main.attributes['src'] = src;
          attributes.push({ id: main.id, attributes: { src, alt: color } });
        }
        this.t += rng.int(2, 20);
        this.mutation({ attributes });
        return;
      }
      case 'filter':
      case 'toggle': {
        const cls = String(target.el.attributes['class'] ?? 'button');
        const next = /\bactive\b/.test(cls) ? cls.replace(/\s*\bactive\b/, '') : `${cls} active`;
        target.el.attributes['class'] = next;
        this.t += rng.int(2, 20);
        this.mutation({
          attributes: [{ id: target.id, attributes: { class: next, 'aria-pressed': String(/\bactive\b/.test(next)) } }],
        });
        if (action === 'filter') this.react('search', target);
        return;
      }
      case 'open-modal':
      case 'close-modal': {
        const modal = page.el('modal');
        if (!modal) return;
        this.t += rng.int(2, 30);
        if (action === 'open-modal') delete modal.attributes['hidden'];
        else modal.attributes['hidden'] = '';
        // rrweb reports a removed attribute as null.
        this.mutation({ attributes: [{ id: modal.id, attributes: { hidden: action === 'open-modal' ? null : '' } }] });
        page.layout(this.viewport.width);
        return;
      }
      default:
        return;
    }
  }

  /** Cart badge: a characterData change, which rrweb reports in `texts`. */
  private setCartCount(): void {
    const page = this.requirePage();
    const badge = page.el('cart-count')?.childNodes[0];
    if (!badge || badge.type !== NodeType.Text) return;
    badge.textContent = String(this.cartCount);
    this.t += this.s.rng.int(1, 15);
    this.mutation({ texts: [{ id: badge.id, value: badge.textContent }] });
  }

  private toast(message: string, error = false): void {
    const { rng } = this.s;
    const page = this.requirePage();
    const container = page.el('toasts');
    if (!container) return;
    const node: DomElement = {
      type: NodeType.Element,
      tagName: 'div',
      attributes: { class: error ? 'toast error' : 'toast', role: 'status' },
      childNodes: [],
      id: page.nextId++,
    };
    node.childNodes.push({ type: NodeType.Text, textContent: message, id: page.nextId++ });
    container.childNodes.push(node);
    this.t += rng.int(5, 40);
    this.mutation({ adds: flattenAdds(container, node, null) });
    this.pendingRemovals.push({ parent: container, node, at: this.t + rng.int(2500, 5000) });
  }

  private flushRemovals(): void {
    const due = this.pendingRemovals.filter((r) => r.at <= this.t);
    if (due.length === 0) return;
    this.pendingRemovals = this.pendingRemovals.filter((r) => r.at > this.t);
    for (const r of due) r.parent.childNodes = r.parent.childNodes.filter((c) => c !== r.node);
    // posthog-js drops non-interactive events while idle; the snapshot it takes on return carries the change.
    if (!this.idle) this.mutation({ removes: due.map((r) => ({ parentId: r.parent.id, id: r.node.id })) });
  }

  /** New search results: the old list items go, new ones arrive flattened, the count text is replaced. */
  private replaceResults(): void {
    const { rng } = this.s;
    const page = this.requirePage();
    const list = page.el('results') ?? page.el('review-list');
    if (!list) return;
    const f = this.fill();
    const serializer = new Serializer(f, !this.s.site.spa, page.nextId);
    const removes: removedNodeMutation[] = list.childNodes.map((c) => ({ parentId: list.id, id: c.id }));
    const fresh = Array.from({ length: rng.int(2, 8) }, (_, i) =>
      serializer.element(
        list.tagName === 'ul' && list.attributes['id'] === 'results' ? productCard(i) : h('li', {}, rng.pick(REVIEWS)),
        2,
      ),
    );
    list.childNodes = fresh;
    const adds: addedNodeMutation[] = [];
    for (let i = fresh.length - 1; i >= 0; i--) {
      const node = fresh[i];
      if (node) adds.push(...flattenAdds(list, node, fresh[i + 1]?.id ?? null));
    }
    const count = page.el('result-count');
    const oldText = count?.childNodes[0];
    if (count && oldText) {
      const text: DomText = {
        type: NodeType.Text,
        textContent: `${rng.int(fresh.length, 140)} results`,
        id: serializer.nextId++,
      };
      removes.push({ parentId: count.id, id: oldText.id });
      count.childNodes = [text];
      adds.push({ parentId: count.id, nextId: null, node: { ...text } });
    }
    page.nextId = serializer.nextId;
    this.t += rng.int(3, 30);
    this.mutation({ removes, adds });
    page.layout(this.viewport.width);
  }

  /** SPA: history.pushState, posthog-js's $pageview (or $url_changed) custom event, data fetch, content swap. */
  private navigate(href: string): void {
    const { rng, site } = this.s;
    const page = this.requirePage();
    const path = href.startsWith(site.origin) ? href.slice(site.origin.length) : '/';
    const kind = kindOfPath(path) ?? weighted(rng, NEXT_PAGE[page.template.kind]);
    const template = TEMPLATES[kind];
    if (!site.spa) {
      // Full navigation: the old document unloads, the new one loads and posthog-js starts again.
      const timeOrigin = this.t + rng.int(5, 40);
      this.loadPage(template, timeOrigin, timeOrigin + rng.int(200, 1200));
      return;
    }
    const main = page.el('content');
    if (!main) return;
    const f = this.fill();
    const url = `${site.origin}${template.path(f)}`;
    this.t += rng.int(2, 15);
    if (this.s.capturePageview) this.custom('$pageview', { href: url });
    const fetchCall: ApiCall = {
      method: 'GET',
      path: `/api/pages${new URL(url).pathname}`,
      status: 200,
      responseBody: { page: kind, version: rng.int(1, 40) },
    };
    if (!this.s.capturePageview) {
      // posthog-js notices the new URL when the next rrweb event (here the fetch's network event) is emitted.
      const before = this.events.length;
      this.request(fetchCall);
      const networkEvent = this.events.pop();
      if (networkEvent && this.events.length === before) {
        this.custom('$url_changed', { href: url }, networkEvent.timestamp);
        this.push(networkEvent);
      }
    } else this.request(fetchCall);
    const serializer = new Serializer(f, false, page.nextId);
    const fresh = template.main.map((t) => serializer.element(t, 2));
    const removes = main.childNodes.map((c) => ({ parentId: main.id, id: c.id }));
    const gone = new Set<number>();
    for (const c of main.childNodes) collectIds(c, gone);
    for (const [id, el] of page.named) if (gone.has(el.id)) page.named.delete(id);
    main.childNodes = fresh;
    const adds: addedNodeMutation[] = [];
    for (let i = fresh.length - 1; i >= 0; i--) {
      const node = fresh[i];
      if (node) adds.push(...flattenAdds(main, node, fresh[i + 1]?.id ?? null));
    }
    for (const [id, el] of serializer.named) page.named.set(id, el);
    const spaPage = new Page(
      template,
      url,
      page.doc,
      page.named,
      serializer.nextId,
      page.timeOrigin,
      page.navigationId,
    );
    this.page = spaPage;
    this.t += rng.int(3, 25);
    this.mutation({ removes, adds });
    spaPage.layout(this.viewport.width);
    const images = fresh.flatMap((n) => imageSources(n)).slice(0, 6);
    if (images.length) {
      this.t += rng.int(40, 400);
      this.plugin('rrweb/network@1', {
        requests: images.map((src) =>
          this.resourceEntry(spaPage, src, 'img', 'image/webp', this.t - spaPage.timeOrigin - between(rng, 40, 300)),
        ),
      });
    }
    this.focused = undefined;
    if (this.scrollY > 0) {
      this.t += rng.int(1, 10);
      this.scrollY = 0;
      this.incremental({ source: IncrementalSource.Scroll, id: 1, x: 0, y: 0 });
    }
    if (chance(rng, 0.3)) this.log('log', ['[router] navigated', new URL(url).pathname]);
  }
}

let gzEmptyArray: string | undefined;

/** posthog-js caches the gzip of `[]` too (CHANGELOG #3323); most mutations have several empty fields. */
function gz(value: readonly unknown[]): string {
  if (value.length === 0) return (gzEmptyArray ??= gzipLatin1([]));
  return gzipLatin1(value);
}

function imageSources(node: DomNode): string[] {
  if (node.type !== NodeType.Element) return [];
  const src = node.tagName === 'img' ? node.attributes['src'] : undefined;
  return [...(typeof src === 'string' ? [src] : []), ...node.childNodes.flatMap(imageSources)];
}

function collectIds(node: DomNode, into: Set<number>): void {
  into.add(node.id);
  if (node.type === NodeType.Element) for (const c of node.childNodes) collectIds(c, into);
}

function kindOfPath(path: string): PageKind | undefined {
  if (path === '/' || path === '') return 'home';
  if (path.startsWith('/products/')) return 'product';
  if (path.startsWith('/search')) return 'search';
  if (path.startsWith('/cart')) return 'cart';
  if (path.startsWith('/checkout')) return 'checkout';
  if (path === '/login') return 'login';
  if (path.startsWith('/account')) return 'settings';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Mobile: posthog-android in wireframe mode (posthog-android/src/main/java/com/posthog/android/replay/
// PostHogReplayIntegration.kt). No cv compression; every capture goes out on its own.
// ---------------------------------------------------------------------------------------------------------------

const MOBILE_WIDTH = 411;
const MOBILE_HEIGHT = 914;
const MOBILE_PACKAGE = 'com.acme.outdoor';
/** A 1x1 webp, as Drawable.base64() would send for an unmasked icon. */
const TINY_WEBP = 'data:image/webp;base64,UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA';

type MobileScreen = 'MainActivity' | 'ProductActivity' | 'CartActivity' | 'CheckoutActivity' | 'SettingsActivity';

const MOBILE_NEXT: Readonly<Record<MobileScreen, Readonly<Partial<Record<MobileScreen, number>>>>> = {
  MainActivity: { ProductActivity: 6, CartActivity: 1, SettingsActivity: 1 },
  ProductActivity: { MainActivity: 3, CartActivity: 3, ProductActivity: 1 },
  CartActivity: { CheckoutActivity: 4, MainActivity: 2 },
  CheckoutActivity: { MainActivity: 3, CartActivity: 1 },
  SettingsActivity: { MainActivity: 3 },
};

type MobileLevel = 'info' | 'debug' | 'warn' | 'error';

class MobileApp {
  private t = 0;
  private events: RrwebEvent[] = [];
  private screen: MobileScreen = 'MainActivity';
  private root: Wireframe | undefined;
  private keyboardOpen = false;
  /** The RecyclerView of list screens, whose rows move when the user scrolls. */
  private list: Wireframe | undefined;

  constructor(
    private readonly spec: SessionContentSpec,
    private readonly rng: Rng,
  ) {}

  run(start: number, end: number): RrwebEvent[] {
    const { rng } = this;
    this.events = [];
    this.t = start;
    this.open(this.root ? this.screen : 'MainActivity');
    const stopAt = end - Math.min(ACTION_BUDGET_MS, (end - start) / 4);
    let rage = this.spec.rageClicks;
    while (this.t < stopAt && this.events.length < MAX_EVENTS_PER_WINDOW) {
      if (rage && this.t > start + 3000 && chance(rng, 0.2)) {
        rage = false;
        this.rageTap();
      } else {
        const action = weighted(rng, { tap: 30, type: 10, scroll: 20, toggle: 6, navigate: 12, log: 8, request: 6 });
        this.act(action);
      }
      const room = stopAt - this.t;
      if (room > 0)
        this.t += Math.round(Math.min(room, chance(rng, 0.05) ? between(rng, 5_000, 60_000) : between(rng, 400, 3000)));
    }
    if (rage && this.t + 2000 < end) this.rageTap();
    // Captures after the segment's end never happened: the app was already in the background.
    const cut = this.events.findIndex((e) => e.timestamp > end);
    if (cut >= 0) this.events.length = cut;
    return this.events;
  }

  private push(event: RrwebEvent): void {
    this.events.push(event);
  }

  private wf(
    type: Wireframe['type'] | undefined,
    x: number,
    y: number,
    width: number,
    height: number,
    extra: Partial<Wireframe> = {},
  ): Wireframe {
    const w: Wireframe = {
      id: this.rng.int(10_000_000, 2_147_483_647),
      x,
      y,
      width,
      height,
      style: {},
      disabled: false,
    };
    if (type) w.type = type;
    return orderWireframe({ ...w, ...extra });
  }

  private text(x: number, y: number, width: number, height: number, text: string, fontSize = 14): Wireframe {
    return this.wf('text', x, y, width, height, {
      text,
      style: {
        color: '#1C1F27',
        fontSize,
        fontFamily: 'sans-serif',
        horizontalAlign: 'left',
        verticalAlign: 'center',
        paddingLeft: 0,
        paddingRight: 0,
      },
    });
  }

  private button(x: number, y: number, width: number, value: string): Wireframe {
    return this.wf('input', x, y, width, 48, {
      inputType: 'button',
      value,
      style: {
        color: '#FFFFFF',
        backgroundColor: '#1D4AFF',
        borderWidth: 1,
        borderColor: '#000000',
        fontSize: 14,
        fontFamily: 'sans-serif',
        horizontalAlign: 'center',
        verticalAlign: 'center',
      },
    });
  }

  /** The decor view of an Activity: status bar, toolbar, content, navigation bar. */
  private build(screen: MobileScreen): Wireframe {
    const { rng } = this;
    const content: Wireframe[] = [];
    const listScreen = screen === 'MainActivity' || screen === 'CartActivity';
    let y = 80;
    const row = (h: number) => {
      const top = y;
      y += h;
      return top;
    };
    switch (screen) {
      case 'MainActivity':
        for (let i = 0; i < 6; i++) {
          const p = makeProduct(rng);
          const top = row(96);
          content.push(
            this.wf(undefined, 0, top, MOBILE_WIDTH, 96, {
              childWireframes: [
                this.wf('image', 16, top + 8, 80, 80, chance(rng, 0.3) ? { base64: TINY_WEBP } : {}),
                this.text(108, top + 12, 280, 24, p.name, 16),
                this.text(108, top + 44, 120, 20, p.price),
              ],
            }),
          );
        }
        content.push(this.button(MOBILE_WIDTH - 88, MOBILE_HEIGHT - 160, 64, '+'));
        break;
      case 'ProductActivity': {
        const p = makeProduct(rng);
        content.push(this.wf('image', 0, row(280), MOBILE_WIDTH, 280));
        content.push(this.text(16, row(40), 379, 32, p.name, 22));
        content.push(this.text(16, row(32), 200, 24, p.price, 18));
        content.push(
          this.wf('input', 16, row(56), 200, 48, { inputType: 'select', value: rng.pick(SIZES), options: [...SIZES] }),
        );
        content.push(
          this.wf('input', 16, row(40), 160, 24, {
            inputType: 'progress',
            value: rng.int(6, 10) / 2,
            max: 5,
            style: { bar: 'rating' },
          }),
        );
        content.push(this.text(16, row(120), 379, 110, sentence(rng, 20, 40)));
        content.push(this.button(16, row(64), 379, 'Add to cart'));
        break;
      }
      case 'CartActivity':
        for (let i = 0; i < 3; i++) {
          const p = makeProduct(rng);
          const top = row(72);
          content.push(
            this.wf(undefined, 0, top, MOBILE_WIDTH, 72, {
              childWireframes: [
                this.text(16, top + 8, 260, 24, p.name),
                this.text(16, top + 36, 100, 20, p.price),
                this.button(320, top + 12, 72, 'Remove'),
              ],
            }),
          );
        }
        content.push(this.text(16, row(40), 200, 28, `Total €${rng.int(40, 600)}.00`, 18));
        content.push(this.button(16, row(64), 379, 'Checkout'));
        break;
      case 'CheckoutActivity':
        for (const label of ['Full name', 'Address', 'City']) {
          content.push(this.text(16, row(24), 200, 20, label, 12));
          content.push(
            this.wf('input', 16, row(56), 379, 48, {
              inputType: 'text_area',
              value: '',
              style: { backgroundColor: '#FFFFFF', borderWidth: 1, borderColor: '#D1D5DB' },
            }),
          );
        }
        content.push(
          this.wf('radio_group', 16, row(120), 379, 112, {
            childWireframes: ['Standard', 'Express', 'Pickup'].map((label, i) =>
              this.wf('input', 16, y - 112 + i * 36, 379, 32, { inputType: 'radio', checked: i === 0, label }),
            ),
          }),
        );
        content.push(
          this.wf('input', 16, row(48), 379, 40, {
            inputType: 'checkbox',
            checked: false,
            label: 'I accept the terms',
          }),
        );
        content.push(
          this.wf('input', 16, row(48), 379, 40, {
            inputType: 'toggle',
            checked: true,
            label: 'Save card for next time',
          }),
        );
        content.push(this.button(16, row(64), 379, 'Pay now'));
        break;
      case 'SettingsActivity':
        for (const label of ['Order updates', 'Newsletter', 'Dark mode', 'Biometric login']) {
          content.push(
            this.wf('input', 16, row(56), 379, 48, { inputType: 'toggle', checked: chance(rng, 0.5), label }),
          );
        }
        content.push(
          this.wf('input', 16, row(56), 379, 48, {
            inputType: 'select',
            value: 'English',
            options: ['English', 'Deutsch', 'Português'],
          }),
        );
        content.push(this.wf('web_view', 0, row(240), MOBILE_WIDTH, 240));
        break;
    }
    const toolbar = this.wf(undefined, 0, 24, MOBILE_WIDTH, 56, {
      style: { backgroundColor: '#FFFFFF' },
      childWireframes: [
        this.text(
          16,
          36,
          300,
          32,
          screen.replace('Activity', '') === 'Main' ? 'Acme Outdoor' : screen.replace('Activity', ''),
          20,
        ),
      ],
    });
    const container = this.wf(undefined, 0, 80, MOBILE_WIDTH, MOBILE_HEIGHT - 128, { childWireframes: content });
    this.list = listScreen ? container : undefined;
    return this.wf(undefined, 0, 0, MOBILE_WIDTH, MOBILE_HEIGHT, {
      style: { backgroundColor: '#FAFAF9' },
      childWireframes: [
        this.wf('status_bar', 0, 0, MOBILE_WIDTH, 24, { style: { backgroundColor: '#1D4AFF' } }),
        toolbar,
        container,
        this.wf('navigation_bar', 0, MOBILE_HEIGHT - 48, MOBILE_WIDTH, 48, { style: { backgroundColor: '#000000' } }),
      ],
    });
  }

  /** A new Activity's decor view: Meta (href is the window title, i.e. the Activity) and a wireframe FullSnapshot. */
  private open(screen: MobileScreen): void {
    this.screen = screen;
    this.root = this.build(screen);
    this.keyboardOpen = false;
    this.push({
      type: EventType.Meta,
      data: { href: `${MOBILE_PACKAGE}.${screen}`, width: MOBILE_WIDTH, height: MOBILE_HEIGHT },
      timestamp: this.t,
    });
    this.push({
      type: EventType.FullSnapshot,
      data: { wireframes: [structuredClone(this.root)], initialOffset: { top: 0, left: 0 } },
      timestamp: this.t,
    });
  }

  /** All wireframes with their parent, flattened like the SDK's flattenChildren. */
  private all(): { w: Wireframe; parent: Wireframe | undefined }[] {
    const out: { w: Wireframe; parent: Wireframe | undefined }[] = [];
    const visit = (w: Wireframe, parent: Wireframe | undefined) => {
      out.push({ w, parent });
      for (const c of w.childWireframes ?? []) visit(c, w);
    };
    if (this.root) visit(this.root, undefined);
    return out;
  }

  /** The mutation the SDK's snapshot diff would produce (adds/removes/updates, absent when empty). */
  private diff(m: {
    adds?: MobileMutatedNode[];
    removes?: { id: number; parentId?: number }[];
    updates?: MobileMutatedNode[];
  }): void {
    // The SDK sends nothing when a snapshot equals the previous one.
    if (!m.adds?.length && !m.removes?.length && !m.updates?.length) return;
    const data: {
      adds?: MobileMutatedNode[];
      removes?: { id: number; parentId?: number }[];
      updates?: MobileMutatedNode[];
      source: IncrementalSource.Mutation;
    } = {
      source: IncrementalSource.Mutation,
    };
    if (m.adds?.length) data.adds = m.adds;
    if (m.removes?.length) data.removes = m.removes;
    if (m.updates?.length) data.updates = m.updates;
    // Gson writes the fields in declaration order: adds, removes, updates, source.
    const { source, ...rest } = data;
    this.push({ type: EventType.IncrementalSnapshot, data: { ...rest, source }, timestamp: this.t });
  }

  private update(w: Wireframe, parent: Wireframe | undefined): MobileMutatedNode {
    const copy = structuredClone(w);
    return parent ? { wireframe: copy, parentId: parent.id } : { wireframe: copy };
  }

  /** TouchStart on ACTION_DOWN and TouchEnd on ACTION_UP, pointer id as node id, pointerType 2 (Touch). */
  private touch(x: number, y: number): void {
    const { rng } = this;
    const base = {
      id: 0,
      x: Math.round(x),
      y: Math.round(y),
      source: IncrementalSource.MouseInteraction,
      pointerType: PointerTypes.Touch,
    } as const;
    this.push({
      type: EventType.IncrementalSnapshot,
      data: {
        id: base.id,
        type: MouseInteractions.TouchStart,
        x: base.x,
        y: base.y,
        source: base.source,
        pointerType: base.pointerType,
      },
      timestamp: this.t,
    });
    this.t += rng.int(60, 160);
    this.push({
      type: EventType.IncrementalSnapshot,
      data: {
        id: base.id,
        type: MouseInteractions.TouchEnd,
        x: base.x,
        y: base.y,
        source: base.source,
        pointerType: base.pointerType,
      },
      timestamp: this.t,
    });
  }

  private act(action: 'tap' | 'type' | 'scroll' | 'toggle' | 'navigate' | 'log' | 'request'): void {
    const { rng } = this;
    const items = this.all();
    const pick = (pred: (w: Wireframe) => boolean) => {
      const found = items.filter((x) => pred(x.w));
      return found.length ? rng.pick(found) : undefined;
    };
    switch (action) {
      case 'tap': {
        const hit = pick((w) => w.inputType === 'button' || w.type === 'image');
        if (!hit) return;
        this.touch(hit.w.x + hit.w.width / 2, hit.w.y + hit.w.height / 2);
        this.t += rng.int(150, 900);
        if (hit.w.inputType === 'button') {
          hit.w.style = {
            ...hit.w.style,
            backgroundColor: hit.w.style.backgroundColor === '#1D4AFF' ? '#1538C7' : '#1D4AFF',
          };
          this.diff({ updates: [this.update(hit.w, hit.parent)] });
          if (chance(rng, 0.5)) this.request();
          if (chance(rng, 0.4)) this.navigateTo(weighted(rng, MOBILE_NEXT[this.screen]));
        }
        return;
      }
      case 'type': {
        const hit = pick((w) => w.inputType === 'text_area');
        if (!hit) return;
        this.touch(hit.w.x + 40, hit.w.y + 20);
        this.t += rng.int(200, 500);
        if (!this.keyboardOpen) {
          this.keyboardOpen = true;
          this.push({
            type: EventType.Custom,
            data: { tag: 'keyboard', payload: { open: true, height: rng.pick([268, 291, 336]) } },
            timestamp: this.t,
          });
        }
        const length = rng.int(4, 18);
        // Snapshots are throttled to about one a second, so a burst of typing shows up as a few value updates.
        for (let n = Math.min(length, rng.int(2, 5)); n <= length; n += rng.int(3, 6)) {
          this.t += rng.int(700, 1300);
          hit.w.value = '*'.repeat(n);
          this.diff({ updates: [this.update(hit.w, hit.parent)] });
        }
        if (chance(rng, 0.6)) {
          this.t += rng.int(300, 1500);
          this.keyboardOpen = false;
          this.push({ type: EventType.Custom, data: { tag: 'keyboard', payload: { open: false } }, timestamp: this.t });
        }
        return;
      }
      case 'scroll': {
        this.touch(MOBILE_WIDTH / 2, rng.int(400, 700));
        this.t += rng.int(250, 900);
        const list = this.list;
        if (!list?.childWireframes) return;
        const dy = rng.int(80, 300);
        const updates: MobileMutatedNode[] = [];
        const removes: { id: number; parentId?: number }[] = [];
        const keep: Wireframe[] = [];
        for (const row of list.childWireframes) {
          shiftY(row, -dy);
          if (row.y + row.height < list.y) removes.push({ id: row.id, parentId: list.id });
          else {
            keep.push(row);
            updates.push(this.update(row, list));
          }
        }
        const adds: MobileMutatedNode[] = [];
        const last = keep[keep.length - 1];
        if (removes.length || !last) {
          const p = makeProduct(rng);
          const top = last ? last.y + last.height : list.y;
          const row = this.wf(undefined, 0, top, MOBILE_WIDTH, 96, {
            childWireframes: [
              this.wf('image', 16, top + 8, 80, 80),
              this.text(108, top + 12, 280, 24, p.name, 16),
              this.text(108, top + 44, 120, 20, p.price),
            ],
          });
          keep.push(row);
          // The SDK's flattened diff lists the new row and, again, each of its children.
          adds.push({ wireframe: structuredClone(row), parentId: list.id });
          for (const c of row.childWireframes ?? []) adds.push({ wireframe: structuredClone(c), parentId: row.id });
        }
        list.childWireframes = keep;
        this.diff({ adds, removes, updates });
        return;
      }
      case 'toggle': {
        const hit = pick((w) => w.inputType === 'checkbox' || w.inputType === 'toggle' || w.inputType === 'radio');
        if (!hit) return;
        this.touch(hit.w.x + 20, hit.w.y + hit.w.height / 2);
        this.t += rng.int(200, 900);
        hit.w.checked = !hit.w.checked;
        this.diff({ updates: [this.update(hit.w, hit.parent)] });
        return;
      }
      case 'navigate':
        this.touch(rng.int(20, MOBILE_WIDTH - 20), rng.int(100, MOBILE_HEIGHT - 100));
        this.t += rng.int(250, 700);
        this.navigateTo(weighted(rng, MOBILE_NEXT[this.screen]));
        return;
      case 'log':
        this.log(weighted(rng, { info: 50, debug: 20, warn: 15, error: 15 }));
        return;
      case 'request':
        this.request();
        return;
    }
  }

  private navigateTo(screen: MobileScreen): void {
    this.t += this.rng.int(100, 400);
    this.open(screen);
  }

  /** Rapid taps on one button: touch events only, no Click, so nothing here counts as a web rage click. */
  private rageTap(): void {
    const { rng } = this;
    const target = this.all().find((x) => x.w.inputType === 'button');
    const x = target ? target.w.x + target.w.width / 2 : MOBILE_WIDTH / 2;
    const y = target ? target.w.y + target.w.height / 2 : MOBILE_HEIGHT / 2;
    const n = rng.int(3, 6);
    for (let i = 0; i < n; i++) {
      if (i > 0) this.t += rng.int(60, 200);
      this.touch(x + rng.int(-2, 2), y + rng.int(-2, 2));
    }
  }

  /** Logcat lines as PostHogLogCatIntegration sends them: {level, payload: ["Tag: message"]}, no trace. */
  private log(level: MobileLevel): void {
    const { rng } = this;
    const line: Record<MobileLevel, readonly string[]> = {
      info: [
        'ActivityTaskManager: Displayed com.acme.outdoor/.ProductActivity',
        'OkHttp: <-- 200 https://api.acme-outdoor.test/v1/products',
      ],
      debug: [
        'ProfileInstaller: Installing profile for com.acme.outdoor',
        'Glide: Finished loading Bitmap from DATA_DISK_CACHE',
      ],
      warn: [
        'System: A resource failed to call close.',
        'Choreographer: Skipped 41 frames!  The application may be doing too much work on its main thread.',
      ],
      error: [
        'AndroidRuntime: FATAL EXCEPTION: OkHttp Dispatcher',
        'CartRepository: java.net.SocketTimeoutException: timeout',
      ],
    };
    this.push({
      type: EventType.Plugin,
      data: { plugin: 'rrweb/console@1', payload: { level, payload: [rng.pick(line[level])] } },
      timestamp: this.t,
    });
  }

  /** PostHogOkHttpInterceptor: one request per plugin event, stamped at the response. */
  private request(): void {
    const { rng } = this;
    const start = this.t;
    const duration = rng.int(40, 1200);
    const status = weighted(rng, { '200': 85, '404': 8, '500': 7 });
    this.t += duration;
    const requests = [
      {
        transferSize: rng.int(200, 40_000),
        name: `https://api.acme-outdoor.test/v1/${rng.pick(['products', 'cart', 'orders', 'recommendations', 'profile'])}`,
        method: rng.pick(['GET', 'GET', 'POST']),
        responseStatus: Number(status),
        timestamp: start,
        duration,
        initiatorType: 'fetch',
        entryType: 'resource',
      },
    ];
    this.push({
      type: EventType.Plugin,
      data: { plugin: 'rrweb/network@1', payload: { requests } },
      timestamp: this.t,
    });
  }
}

function shiftY(w: Wireframe, dy: number): void {
  w.y += dy;
  for (const c of w.childWireframes ?? []) shiftY(c, dy);
}

const WIREFRAME_KEY_ORDER: readonly (keyof Wireframe)[] = [
  'id',
  'x',
  'y',
  'width',
  'height',
  'childWireframes',
  'type',
  'inputType',
  'text',
  'label',
  'value',
  'base64',
  'style',
  'disabled',
  'checked',
  'options',
  'max',
];

/** Gson serializes fields in declaration order; keeping it makes the JSON look like the SDK's. */
function orderWireframe(w: Wireframe): Wireframe {
  const out: Record<string, unknown> = {};
  for (const k of WIREFRAME_KEY_ORDER) if (w[k] !== undefined) out[k] = w[k];
  return out as unknown as Wireframe;
}

/**
 * The network plugin (rrweb/network@1): PerformanceResourceTiming.toJSON() plus what posthog-js adds
 * (packages/browser/src/extensions/replay/external/network-plugin.ts); key order as in the fixture.
 */
import type { Rng } from '../rng';
import { between } from '../rng';
import type { Page } from './page';
import { lateScriptUrl } from './posthog-js';
import type { WebSession } from './session';

/** performance.now() values are reported to 0.1 ms. */
export function tenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}

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

/** The document's own navigation timing entry. */
export function navigationEntry(
  rng: Rng,
  page: Pick<Page, 'url' | 'navigationId' | 'timeOrigin'>,
  domComplete: number,
): Record<string, unknown> {
  const o: ResourceOptions = {
    name: page.url,
    entryType: 'navigation',
    initiatorType: 'navigation',
    contentType: 'text/html',
    navigationId: page.navigationId,
    timeOrigin: page.timeOrigin,
    t: timings(rng, between(rng, 0.5, 8), between(rng, 8, 60), between(rng, 1, 10)),
    bodySize: rng.int(6_000, 60_000),
    status: 200,
  };
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

/** A resource timing entry (script, image, stylesheet) as the performance observer reports it. */
export function resourceEntry(
  rng: Rng,
  page: Pick<Page, 'navigationId' | 'timeOrigin'>,
  name: string,
  initiatorType: string,
  contentType: string,
  start: number,
): Record<string, unknown> {
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

/** What the document loaded before the recorder started, which posthog-js reports once with isInitial. */
export function initialRequests(s: WebSession, page: Page, domComplete: number): Record<string, unknown>[] {
  const { rng, site, sdk } = s;
  const assets: [string, string, string][] = [
    [`${site.origin}/assets/index-${s.assetHash}.js`, 'script', 'text/javascript'],
    [`${site.posthogHost}/static/array.js`, 'script', 'text/javascript'],
    ...sdk.lateScripts
      .filter((p) => !p.endsWith('surveys.js'))
      .map((p): [string, string, string] => [lateScriptUrl(site, p), 'script', 'text/javascript']),
    [`${site.origin}/favicon.svg`, 'link', 'image/svg+xml'],
  ];
  return assets.map(([name, initiatorType, contentType]) => ({
    ...resourceEntry(rng, page, name, initiatorType, contentType, between(rng, 20, Math.max(21, domComplete - 40))),
    isInitial: true,
  }));
}

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  status: number;
  requestBody?: unknown;
  responseBody: unknown;
  slow?: boolean;
  xhr?: boolean;
}

/** A fetch/XHR the page starts at `at`; posthog-js reports it once the response is in, at `respondedAt`. */
export function apiRequest(
  s: WebSession,
  page: Page,
  at: number,
  call: ApiCall,
): { entry: Record<string, unknown>; respondedAt: number } {
  const { rng, site } = s;
  const startRel = at - page.timeOrigin + between(rng, 0.5, 4);
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
  const entry = {
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
  return { entry, respondedAt: Math.ceil(page.timeOrigin + t.responseEnd) + rng.int(2, 12) };
}

/** Getting to another page: a full load (a new document, posthog-js starting again) or an SPA route change. */
import { IncrementalSource, NodeType } from '@rrweb/types';
import { between, chance, weighted } from '../rng';
import { collectIds, imageSources, replaceChildren } from './dom';
import type { ApiCall } from './network';
import { initialRequests, navigationEntry, resourceEntry, tenth } from './network';
import { Page, renderPage } from './page';
import { posthogConfigPayload, remoteConfigPayload, sessionOptionsPayload } from './posthog-js';
import type { PageTemplate } from './shop-pages';
import { kindOfPath, NEXT_PAGE, TEMPLATES } from './shop-pages';
import { Serializer } from './template';
import type { WebWindow } from './window';

/**
 * A full page load as the fixture shows it: Meta, FullSnapshot, the network entries buffered before the recorder
 * started (isInitial), posthog-js's start-up custom events, then the navigation timing entry.
 */
export function loadPage(w: WebWindow, template: PageTemplate, timeOrigin: number, metaAt: number): void {
  const { rng, site, sdk } = w.s;
  const page = renderPage(w.s, template, timeOrigin, w.viewport.width);
  w.page = page;
  w.scrollY = 0;
  w.focused = undefined;
  w.pendingRemovals = [];
  const cart = page.el('cart-count');
  const badge = cart?.childNodes[0];
  if (badge && badge.type === NodeType.Text) badge.textContent = String(w.cartCount);

  w.t = metaAt;
  w.meta();
  w.t += rng.int(4, 12);
  w.fullSnapshot();
  const domComplete = tenth(Math.max(60, metaAt - timeOrigin - between(rng, 20, 120)));
  w.t += rng.int(8, 20);
  w.plugin('rrweb/network@1', { requests: initialRequests(w.s, page, domComplete), isInitial: true });
  w.t += rng.int(0, 2);
  for (const tag of sdk.startTags) {
    if (tag === '$recording_started') w.t += rng.int(0, 2);
    if (tag === '$remote_config_received')
      w.custom(tag, remoteConfigPayload(timeOrigin + Math.round(domComplete * 0.8)));
    else if (tag === '$session_options') w.custom(tag, sessionOptionsPayload(w.s.masked));
    else if (tag === '$posthog_config') w.custom(tag, posthogConfigPayload(site, w.s.capturePageview));
    else w.custom(tag, { reason: 'recording_initialized' });
  }
  if (sdk.compressed) {
    // Scripts that finish loading after the recorder started arrive as ordinary resource entries, without isInitial.
    w.t += rng.int(2, 8);
    w.plugin('rrweb/network@1', {
      requests: [
        resourceEntry(
          rng,
          page,
          `${site.posthogHost}/static/${sdk.version}/surveys.js`,
          'script',
          'text/javascript',
          between(rng, domComplete / 2, domComplete),
        ),
      ],
    });
  }
  w.t += rng.int(5, 20);
  w.plugin('rrweb/network@1', { requests: [navigationEntry(rng, page, domComplete)] });
  w.lastActivity = w.t;
  w.idle = false;
}

/** SPA: history.pushState, posthog-js's $pageview (or $url_changed) custom event, data fetch, content swap. */
export function navigate(w: WebWindow, href: string): void {
  const { rng, site } = w.s;
  const page = w.requirePage();
  const path = href.startsWith(site.origin) ? href.slice(site.origin.length) : '/';
  const kind = kindOfPath(path) ?? weighted(rng, NEXT_PAGE[page.template.kind]);
  const template = TEMPLATES[kind];
  if (!site.spa) {
    // Full navigation: the old document unloads, the new one loads and posthog-js starts again.
    const timeOrigin = w.t + rng.int(5, 40);
    loadPage(w, template, timeOrigin, timeOrigin + rng.int(200, 1200));
    return;
  }
  const main = page.el('content');
  if (!main) return;
  const f = w.s.fill();
  const url = `${site.origin}${template.path(f)}`;
  w.t += rng.int(2, 15);
  if (w.s.capturePageview) w.custom('$pageview', { href: url });
  const fetchCall: ApiCall = {
    method: 'GET',
    path: `/api/pages${new URL(url).pathname}`,
    status: 200,
    responseBody: { page: kind, version: rng.int(1, 40) },
  };
  if (!w.s.capturePageview) {
    // posthog-js notices the new URL when the next rrweb event (here the fetch's network event) is emitted.
    const before = w.events.length;
    w.request(fetchCall);
    const networkEvent = w.events.pop();
    if (networkEvent && w.events.length === before) {
      w.custom('$url_changed', { href: url }, networkEvent.timestamp);
      w.push(networkEvent);
    }
  } else w.request(fetchCall);
  const serializer = new Serializer(f, false, page.nextId);
  const fresh = template.main.map((t) => serializer.element(t, 2));
  const gone = new Set<number>();
  for (const c of main.childNodes) collectIds(c, gone);
  for (const [id, el] of page.named) if (gone.has(el.id)) page.named.delete(id);
  const { removes, adds } = replaceChildren(main, fresh);
  for (const [id, el] of serializer.named) page.named.set(id, el);
  const spaPage = new Page(template, url, page.doc, page.named, serializer.nextId, page.timeOrigin, page.navigationId);
  w.page = spaPage;
  w.t += rng.int(3, 25);
  w.mutation({ removes, adds });
  spaPage.layout(w.viewport.width);
  const images = fresh.flatMap((n) => imageSources(n)).slice(0, 6);
  if (images.length) {
    w.t += rng.int(40, 400);
    w.plugin('rrweb/network@1', {
      requests: images.map((src) =>
        resourceEntry(rng, spaPage, src, 'img', 'image/webp', w.t - spaPage.timeOrigin - between(rng, 40, 300)),
      ),
    });
  }
  w.focused = undefined;
  if (w.scrollY > 0) {
    w.t += rng.int(1, 10);
    w.scrollY = 0;
    w.incremental({ source: IncrementalSource.Scroll, id: 1, x: 0, y: 0 });
  }
  if (chance(rng, 0.3)) w.log('log', ['[router] navigated', new URL(url).pathname]);
}

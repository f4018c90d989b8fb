/** How the shop's pages answer the user: API calls, cart badge, toasts, search results, modals and toggles. */
import type { addedNodeMutation, attributeMutation } from '@rrweb/types';
import { NodeType } from '@rrweb/types';
import { makeProduct } from '../products';
import { chance } from '../rng';
import words from '../words.json';
import type { DomText } from './dom';
import { flattenAdds, replaceChildren } from './dom';
import { navigate } from './navigation';
import type { Target } from './page';
import { productCard } from './shop-pages';
import { h, Serializer } from './template';
import type { WebWindow } from './window';

export function react(w: WebWindow, action: string, target: Target): void {
  const { rng } = w.s;
  const page = w.requirePage();
  switch (action) {
    case 'add-to-cart': {
      const ok = chance(rng, 0.92);
      w.request({
        method: 'POST',
        path: '/api/cart/items',
        status: ok ? 200 : 500,
        requestBody: { sku: target.el.attributes['data-sku'] ?? 'SKU-0', qty: 1 },
        responseBody: ok
          ? { ok: true, items: w.cartCount + 1 }
          : { ok: false, error: 'internal error', trace_id: rng.hex(12) },
      });
      if (ok) {
        w.cartCount++;
        setCartCount(w);
        toast(w, 'Added to cart');
        if (chance(rng, 0.4)) w.log('log', ['cart updated', { items: w.cartCount, currency: 'EUR' }]);
      } else {
        w.log('error', ['request failed', '/api/cart/items', 500]);
        toast(w, 'Something went wrong, please try again', true);
      }
      return;
    }
    case 'search':
      w.request({
        method: 'GET',
        path: `/api/search?q=${encodeURIComponent(rng.pick(words.searchTerms))}&page=${rng.int(1, 3)}`,
        status: 200,
        responseBody: { total: rng.int(3, 140), items: [0, 1, 2].map(() => makeProduct(rng).sku) },
        xhr: chance(rng, 0.2),
        slow: chance(rng, 0.1),
      });
      replaceResults(w);
      return;
    case 'load-more': {
      const found = chance(rng, 0.75);
      w.request({
        method: 'GET',
        path: `/api/products/${rng.hex(6)}/reviews?page=2`,
        status: found ? 200 : 404,
        responseBody: found
          ? { reviews: [rng.pick(words.reviews), rng.pick(words.reviews)] }
          : { ok: false, error: 'not found' },
      });
      const list = page.el('review-list');
      if (found && list) {
        const adds: addedNodeMutation[] = [];
        for (let i = 0; i < 2; i++) {
          const li = page.createElement('li', {}, rng.pick(words.reviews));
          list.childNodes.push(li);
          adds.unshift(...flattenAdds(list, li, null));
        }
        w.mutation({ adds });
        page.layout(w.viewport.width);
      } else if (!found) w.log('warn', ['no more reviews', 404]);
      return;
    }
    case 'place-order': {
      const ok = chance(rng, 0.8);
      w.request({
        method: 'POST',
        path: '/api/orders',
        status: ok ? 200 : 500,
        requestBody: { delivery: rng.pick(['standard', 'express', 'pickup']), items: w.cartCount },
        responseBody: ok
          ? { ok: true, order: `A-${rng.int(100000, 999999)}` }
          : { ok: false, error: 'payment provider unavailable' },
        slow: chance(rng, 0.3),
      });
      if (ok) navigate(w, `${w.s.site.origin}/`);
      else {
        w.log('error', ['request failed', '/api/orders', 500]);
        toast(w, 'Payment failed', true);
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
      w.request({
        method: action === 'save' ? 'PUT' : 'POST',
        path,
        status,
        requestBody: { form: action },
        responseBody: ok ? { ok: true } : { ok: false, error: 'request failed' },
        xhr: action === 'subscribe',
      });
      if (!ok) w.log('error', ['request failed', path, status]);
      toast(w, ok ? 'Saved' : 'Could not save, try again', !ok);
      if (ok && action === 'login') navigate(w, `${w.s.site.origin}/account/settings`);
      return;
    }
    case 'remove-item': {
      const row = page.parentOf(page.parentOf(target.id)?.id ?? -1);
      const tbody = row ? page.parentOf(row.id) : undefined;
      w.request({
        method: 'DELETE',
        path: `/api/cart/items/${rng.hex(6)}`,
        status: 200,
        responseBody: { ok: true },
      });
      if (row && tbody) {
        tbody.childNodes = tbody.childNodes.filter((c) => c !== row);
        w.mutation({ removes: [{ parentId: tbody.id, id: row.id }] });
        w.cartCount = Math.max(0, w.cartCount - 1);
        setCartCount(w);
        page.layout(w.viewport.width);
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
      w.t += rng.int(2, 20);
      w.mutation({ attributes });
      return;
    }
    case 'filter':
    case 'toggle': {
      const cls = String(target.el.attributes['class'] ?? 'button');
      const next = /\bactive\b/.test(cls) ? cls.replace(/\s*\bactive\b/, '') : `${cls} active`;
      target.el.attributes['class'] = next;
      w.t += rng.int(2, 20);
      w.mutation({
        attributes: [{ id: target.id, attributes: { class: next, 'aria-pressed': String(/\bactive\b/.test(next)) } }],
      });
      if (action === 'filter') react(w, 'search', target);
      return;
    }
    case 'open-modal':
    case 'close-modal': {
      const modal = page.el('modal');
      if (!modal) return;
      w.t += rng.int(2, 30);
      if (action === 'open-modal') delete modal.attributes['hidden'];
      else modal.attributes['hidden'] = '';
      // rrweb reports a removed attribute as null.
      w.mutation({ attributes: [{ id: modal.id, attributes: { hidden: action === 'open-modal' ? null : '' } }] });
      page.layout(w.viewport.width);
      return;
    }
    default:
      return;
  }
}

/** Cart badge: a characterData change, which rrweb reports in `texts`. */
function setCartCount(w: WebWindow): void {
  const page = w.requirePage();
  const badge = page.el('cart-count')?.childNodes[0];
  if (!badge || badge.type !== NodeType.Text) return;
  badge.textContent = String(w.cartCount);
  w.t += w.s.rng.int(1, 15);
  w.mutation({ texts: [{ id: badge.id, value: badge.textContent }] });
}

function toast(w: WebWindow, message: string, error = false): void {
  const { rng } = w.s;
  const page = w.requirePage();
  const container = page.el('toasts');
  if (!container) return;
  const node = page.createElement('div', { class: error ? 'toast error' : 'toast', role: 'status' }, message);
  container.childNodes.push(node);
  w.t += rng.int(5, 40);
  w.mutation({ adds: flattenAdds(container, node, null) });
  w.pendingRemovals.push({ parent: container, node, at: w.t + rng.int(2500, 5000) });
}

export function flushRemovals(w: WebWindow): void {
  const due = w.pendingRemovals.filter((r) => r.at <= w.t);
  if (due.length === 0) return;
  w.pendingRemovals = w.pendingRemovals.filter((r) => r.at > w.t);
  for (const r of due) r.parent.childNodes = r.parent.childNodes.filter((c) => c !== r.node);
  // posthog-js drops non-interactive events while idle; the snapshot it takes on return carries the change.
  if (!w.idle) w.mutation({ removes: due.map((r) => ({ parentId: r.parent.id, id: r.node.id })) });
}

/** New search results: the old list items go, new ones arrive flattened, the count text is replaced. */
function replaceResults(w: WebWindow): void {
  const { rng } = w.s;
  const page = w.requirePage();
  const list = page.el('results') ?? page.el('review-list');
  if (!list) return;
  const f = w.s.fill();
  const serializer = new Serializer(f, !w.s.site.spa, page.nextId);
  const fresh = Array.from({ length: rng.int(2, 8) }, (_, i) =>
    serializer.element(
      list.tagName === 'ul' && list.attributes['id'] === 'results'
        ? productCard(i)
        : h('li', {}, rng.pick(words.reviews)),
      2,
    ),
  );
  const { removes, adds } = replaceChildren(list, fresh);
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
  w.t += rng.int(3, 30);
  w.mutation({ removes, adds });
  page.layout(w.viewport.width);
}

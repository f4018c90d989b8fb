/** The shop's pages as templates: the site shell, one template per kind of page, and how users move between them. */
import type { Product } from '../products';
import { capitalize, sentence } from '../products';
import words from '../words.json';
import { maskInput } from './dom';
import { SITE_CSS } from './site';
import type { Fill, TElement } from './template';
import { h } from './template';

function product(f: Fill, i: number): Product {
  const p = f.products[i % f.products.length];
  if (!p) throw new RangeError('a page needs products');
  return p;
}

const abs = (path: string) => (f: Fill) => `${f.site.origin}${path}`;
const maskedValue = (value: string) => (f: Fill) => (f.masked ? maskInput(value) : value);
const selectValue = (value: string) => ({
  value: maskedValue(value),
  rr_maskedSelect: (f: Fill) => (f.masked ? true : undefined),
});

type PageKind = 'home' | 'product' | 'search' | 'cart' | 'checkout' | 'login' | 'settings';

export interface PageTemplate {
  kind: PageKind;
  path: (f: Fill) => string;
  title: (f: Fill) => string;
  main: readonly TElement[];
}

export function productCard(i: number): TElement {
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

export const TEMPLATES: Readonly<Record<PageKind, PageTemplate>> = {
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
          { id: 'size', name: 'size', ...selectValue('42') },
          ...words.sizes.map((s) => h('option', { value: s }, s)),
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
        h('ul', { id: 'review-list' }, ...[0, 1].map(() => h('li', {}, (f: Fill) => f.rng.pick(words.reviews)))),
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
            ...words.sizes.slice(0, 4).map((s) => h('tr', {}, h('td', {}, s), h('td', {}, `${Number(s) / 1.6} cm`))),
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
          value: (f) => (f.masked ? maskInput(f.query) : f.query),
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
            { id: 'country', name: 'country', ...selectValue('Portugal') },
            ...words.countries.map((c) => h('option', {}, c)),
          ),
        ),
        h(
          'fieldset',
          { class: 'row' },
          h('legend', {}, 'Delivery'),
          ...['standard', 'express', 'pickup'].map((v) =>
            h('label', {}, h('input', { type: 'radio', name: 'delivery', value: v }), ` ${capitalize(v)}`),
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
            { id: 'language', ...selectValue('English') },
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

export const NEXT_PAGE: Readonly<Record<PageKind, Readonly<Partial<Record<PageKind, number>>>>> = {
  home: { product: 5, search: 4, cart: 1, login: 1 },
  product: { product: 3, search: 2, cart: 3, home: 1 },
  search: { product: 6, search: 2, home: 1 },
  cart: { checkout: 5, product: 2, home: 1 },
  checkout: { home: 2, cart: 1, settings: 1 },
  login: { settings: 3, home: 2 },
  settings: { home: 2, product: 1, search: 1 },
};

export function shell(main: readonly TElement[], title: (f: Fill) => string): TElement {
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

export function kindOfPath(path: string): PageKind | undefined {
  if (path === '/' || path === '') return 'home';
  if (path.startsWith('/products/')) return 'product';
  if (path.startsWith('/search')) return 'search';
  if (path.startsWith('/cart')) return 'cart';
  if (path.startsWith('/checkout')) return 'checkout';
  if (path === '/login') return 'login';
  if (path.startsWith('/account')) return 'settings';
  return undefined;
}

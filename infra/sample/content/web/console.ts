/** The console plugin (rrweb/console@1): {level, trace, payload}, each argument JSON-stringified, as in the fixture. */
import type { Rng } from '../rng';
import { between } from '../rng';
import type { Site } from './site';

export type ConsoleLevel = 'log' | 'info' | 'debug' | 'warn' | 'error' | 'assert' | 'count' | 'countReset' | 'table';

export const CONSOLE_LEVEL_WEIGHTS: Readonly<Record<ConsoleLevel, number>> = {
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

export function consoleArgs(rng: Rng, level: ConsoleLevel, page: string): unknown[] {
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

export function consolePayload(
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

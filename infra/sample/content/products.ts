/** The made-up shop both platforms show: products and description text, drawn from the word lists in words.json. */
import type { Rng } from './rng';
import words from './words.json';

export interface Product {
  name: string;
  slug: string;
  sku: string;
  price: string;
  cents: number;
}

export function makeProduct(rng: Rng): Product {
  const name = `${rng.pick(words.productAdjectives)} ${rng.pick(words.productNouns)} ${rng.pick(words.productSuffixes)}`;
  const cents = rng.int(19, 349) * 100 + rng.pick([0, 50, 95, 99]);
  return {
    name,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    sku: `SKU-${rng.hex(6).toUpperCase()}`,
    price: `€${(cents / 100).toFixed(2)}`,
    cents,
  };
}

export function sentence(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const picked: string[] = [];
  for (let i = 0; i < n; i++) picked.push(rng.pick(words.description));
  return `${capitalize(picked.join(' '))}.`;
}

export function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

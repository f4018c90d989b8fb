/** The shop a web session visits: one of the made-up sites in sites.json, with its PostHog project. */
import { createHash } from 'node:crypto';
import type { Rng } from '../rng';
import { chance } from '../rng';
import sites from './sites.json';

export interface Site {
  origin: string;
  name: string;
  posthogHost: string;
  token: string;
  /** Framework-rendered single-page app (no whitespace text nodes, client-side routing) or server-rendered pages. */
  spa: boolean;
}

/** rrweb inlines a <style> as its rules' cssText joined with nothing between (rrweb-snapshot stringifyStylesheet). */
export const SITE_CSS = sites.stylesheet.join('');

export function makeSite(rng: Rng): Site {
  const { host, name } = rng.pick(sites.domains);
  const domain = host.split('.').slice(1).join('.');
  return {
    origin: `https://${host}`,
    name,
    posthogHost: `https://posthog.${domain}`,
    token: `phc_${stableHex(domain, 43)}`,
    spa: chance(rng, 0.6),
  };
}

/** A project token that looks random but is the same for every session of a site. */
function stableHex(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

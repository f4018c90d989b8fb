/** What stays the same across a web session's windows: the site, the SDK, the device and the project's settings. */
import type { SessionContentSpec } from '../events';
import { makeProduct } from '../products';
import type { Rng } from '../rng';
import { chance } from '../rng';
import words from '../words.json';
import type { SdkProfile } from './posthog-js';
import { LEGACY_SDK, MODERN_SDK } from './posthog-js';
import type { Site } from './site';
import { makeSite } from './site';
import type { Fill } from './template';
import viewports from './viewports.json';

interface Device {
  touch: boolean;
  width: number;
  height: number;
}

export class WebSession {
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
    const { width, height } = rng.pick(touch ? viewports.touch : viewports.desktop);
    this.device = { touch, width, height };
    // posthog-js masks all inputs by default; some projects turn it off.
    this.masked = chance(rng, 0.8);
    // Without capture_pageview posthog-js marks SPA navigation with $url_changed instead of $pageview.
    this.capturePageview = chance(rng, 0.75);
    this.assetHash = rng.hex(8);
    this.rageLeft = spec.rageClicks ? 1 : 0;
  }

  /** Every render draws its own products, so each page shows different ones. */
  fill(): Fill {
    const { rng } = this;
    return {
      rng,
      site: this.site,
      masked: this.masked,
      products: Array.from({ length: 8 }, () => makeProduct(rng)),
      query: rng.pick(words.searchTerms),
      assetHash: this.assetHash,
    };
  }
}

/** What the generator is asked for and what it emits: posthog-js's rrweb events, compressed or not, and Android's. */
import type { eventWithTime, EventType, IncrementalSource } from '@rrweb/types';
import type { CV_2024_10 } from '../cv';
import type { Wireframe } from './mobile/wireframe';

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

export interface MobileMutatedNode {
  wireframe: Wireframe;
  parentId?: number;
}

export interface MobileMutation {
  adds?: MobileMutatedNode[];
  removes?: { id: number; parentId?: number }[];
  updates?: MobileMutatedNode[];
  source: IncrementalSource.Mutation;
}

/** Events only posthog-android sends: wireframes in place of a DOM (PostHog/posthog ee/frontend/mobile-replay/mobile.types.ts). */
export type MobileEvent = Timed &
  (
    | { type: EventType.FullSnapshot; data: { wireframes: Wireframe[]; initialOffset: { top: number; left: number } } }
    | { type: EventType.IncrementalSnapshot; data: MobileMutation }
  );

export type RrwebEvent = eventWithTime | CompressedEvent | MobileEvent;

export interface GeneratedEvent {
  windowId: string;
  event: RrwebEvent;
}

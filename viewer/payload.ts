/**
 * What `replaylake play` hands the page: one session's rrweb events split by window, its `sessions` row for the side
 * panel and the timeline markers. The server sends it as JSON; an exported file carries it gzip-compressed inline.
 * Shared by the Node side (client/play) and the browser side (viewer/main.ts), so it holds types only.
 */

/** An rrweb event as the raw blob stores it; mobile (wireframe) events do not fit rrweb's own types. */
export interface RecordedEvent {
  type: number;
  timestamp: number;
  data?: unknown;
}

export interface PayloadWindow {
  /** posthog-js's $window_id; '' when the recording has none. */
  id: string;
  /** Time-ordered, as in the raw blob. */
  events: RecordedEvent[];
}

/** The `sessions` columns the side panel shows; timestamps as epoch ms. */
export interface PanelSession {
  sessionId: string;
  teamId: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  activeMs: number | null;
  clickCount: number | null;
  consoleErrorCount: number | null;
  firstUrl: string | null;
  windowCount: number;
  eventCount: number;
  snapshotSource: string | null;
  generation: string;
}

export type MarkerKind = 'pageview' | 'console-error' | 'rage-click';

export interface Marker {
  kind: MarkerKind;
  timestampMs: number;
  /** The window to switch to when the marker is clicked; '' when unknown. */
  windowId: string;
  label: string;
}

export interface ReplayPayload {
  format: 'replaylake.play/v1';
  session: PanelSession;
  /** 'mobile' sessions hold wireframes, which the stock rrweb player cannot render. */
  platform: 'web' | 'mobile';
  /** Ordered by each window's first event. */
  windows: PayloadWindow[];
  /** Ordered by time. */
  markers: Marker[];
}

/** The body of a failed data request: one line for a human. */
export interface PayloadError {
  error: string;
}

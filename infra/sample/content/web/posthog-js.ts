/** Facts about posthog-js that shape a web recording: SDK generations, its timers, and its start-up payloads. */
import posthogConfig from './payloads/posthog-config.json';
import remoteConfig from './payloads/remote-config-received.json';
import sessionOptions from './payloads/session-options.json';
import type { Site } from './site';

/** The SDK a web session was recorded with: compression arrived in posthog-js 1.165.0 (CHANGELOG, 2024-09-25). */
export interface SdkProfile {
  version: string;
  compressed: boolean;
  /** Scripts posthog-js injects at the end of <body>. */
  lateScripts: readonly string[];
  /** 1.164 emitted $session_options and $posthog_config on start; $remote_config_received and $recording_started came later. */
  startTags: readonly ('$remote_config_received' | '$session_options' | '$posthog_config' | '$recording_started')[];
  /** sessionIdle carries sessionId/windowId and is re-stamped to lastActivity + threshold in current posthog-js. */
  modernIdle: boolean;
}

export const MODERN_SDK: SdkProfile = {
  version: '1.449.2',
  compressed: true,
  lateScripts: ['/static/1.449.2/lazy-recorder.js', '/static/1.449.2/surveys.js', '/array/{token}/config.js'],
  startTags: ['$remote_config_received', '$session_options', '$posthog_config', '$recording_started'],
  modernIdle: true,
};

export const LEGACY_SDK: SdkProfile = {
  version: '1.164.3',
  compressed: false,
  lateScripts: ['/static/recorder.js?v=1.164.3'],
  startTags: ['$session_options', '$posthog_config'],
  modernIdle: false,
};

export function lateScriptUrl(site: Site, path: string): string {
  return `${site.posthogHost}${path.replace('{token}', site.token)}`;
}

/** posthog-js RECORDING_IDLE_THRESHOLD_MS default; the session itself rotates after 30 idle minutes. */
export const IDLE_THRESHOLD_MS = 5 * 60_000;
/** session_recording.full_snapshot_interval_millis default (lazy-loaded-session-recorder.ts). */
export const FULL_SNAPSHOT_INTERVAL_MS = 5 * 60_000;

/**
 * PostHog's rage click (posthog-js packages/browser/src/extensions/rageclick.ts): 3 clicks, each within 1000 ms and
 * less than 30 px (|dx| + |dy|) of the previous one.
 */
export const RAGE_TIMEOUT_MS = 1000;

// The payloads are copies, not the imported JSON itself, so no event shares an object with another.

/** posthog-js's $remote_config_received payload, as in the fixture (the project's remote replay settings). */
export function remoteConfigPayload(cacheTimestamp: number): Record<string, unknown> {
  return { ...structuredClone(remoteConfig.payload), cache_timestamp: cacheTimestamp };
}

export function sessionOptionsPayload(maskAllInputs: boolean): Record<string, unknown> {
  const payload = structuredClone(sessionOptions.payload);
  return { ...payload, sessionRecordingOptions: { ...payload.sessionRecordingOptions, maskAllInputs } };
}

/** `posthog.config` as posthog-js 1.449.2 reports it in $posthog_config (key set from the fixture). */
export function posthogConfigPayload(site: Site, capturePageview: boolean): Record<string, unknown> {
  const payload = structuredClone(posthogConfig.payload);
  return {
    ...payload,
    config: { ...payload.config, api_host: site.posthogHost, token: site.token, capture_pageview: capturePageview },
  };
}

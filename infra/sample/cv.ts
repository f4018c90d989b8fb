/**
 * posthog-js's partial event compression, `cv: '2024-10'` (since 1.165): the FullSnapshot `data` and the Mutation
 * `texts/attributes/removes/adds` fields are gzip bytes carried as a latin1 "binary string", one char per byte
 * (`strFromU8(gzipSync(strToU8(JSON.stringify(x))), true)` in packages/browser/src/extensions/replay/external/
 * lazy-loaded-session-recorder.ts). StyleSheetRule `adds/removes` are compressed the same way.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

export const CV_2024_10 = '2024-10';

/** Level 6 is zlib's default, which leaves the gzip header identical to what Chromium's CompressionStream writes. */
export function gzipLatin1(value: unknown): string {
  return gzipSync(JSON.stringify(value), { level: 6 }).toString('latin1');
}

function gunzipLatin1(value: string): unknown {
  return JSON.parse(gunzipSync(Buffer.from(value, 'latin1')).toString('utf8'));
}

interface LooseEvent {
  type: number;
  data?: unknown;
  cv?: unknown;
}

const MUTATION_FIELDS = ['texts', 'attributes', 'removes', 'adds'] as const;
const STYLE_SHEET_RULE_FIELDS = ['adds', 'removes'] as const;

/** The event as rrweb emitted it before posthog-js compressed it (without `cv`); other events come back unchanged. */
export function decodeCv<E extends LooseEvent>(event: E): E {
  if (event.cv !== CV_2024_10) return event;
  const { cv: _cv, ...rest } = event;
  if (rest.type === 2 && typeof rest.data === 'string') return { ...rest, data: gunzipLatin1(rest.data) } as E;
  if (rest.type !== 3 || typeof rest.data !== 'object' || rest.data === null) return rest as E;
  const data = { ...(rest.data as Record<string, unknown>) };
  const fields = data['source'] === 0 ? MUTATION_FIELDS : data['source'] === 8 ? STYLE_SHEET_RULE_FIELDS : [];
  for (const field of fields) {
    const v = data[field];
    if (typeof v === 'string') data[field] = gunzipLatin1(v);
  }
  return { ...rest, data } as E;
}

/**
 * Privacy at export: what of a recording leaves PostHog. A policy is applied to every event before it reaches the
 * raw blob or the tables, and to the metadata columns of `sessions`, so nothing it removes is written anywhere:
 *
 *   inputs       form values: rrweb Input events' `text`, and the `value` attribute of input, textarea, select and
 *                option elements in snapshots and attribute mutations — kept, masked (each character → `*`, the
 *                length kept, as rrweb's maskAllInputs does) or dropped (emptied)
 *   text         the page's text: text and comment nodes of snapshots and mutations, except the CSS of <style>
 *                elements, which the player needs to lay the page out — kept or masked
 *   urls         the query string (all parameters, or all but an allow-list) and the fragment of every URL: every
 *                absolute http(s) URL in any string (a Meta href, a request name, a console message, a stack trace,
 *                CSS), URL attributes of elements (href, src, action, …, relative ones included), and PostHog's
 *                first_url and urls
 *   network      rrweb/network@1 requests: headers kept, redacted by name (value → "redacted") or dropped; request
 *                and response bodies kept or dropped
 *   distinctId   PostHog's distinct_id kept or replaced by a keyed hash (HMAC-SHA256, hex): stable per key, so rows
 *                of one person still join, and not reversible without the key
 *
 * Under any policy but "keep everything" an event is rewritten from its parsed form (posthog-js's `cv` payloads are
 * decoded, changed and written uncompressed), so the raw blob is still a stock rrweb recording that replays, with the
 * masked text where the page had its own. The neutral policy costs nothing: events are copied as stored.
 */
import { createHmac } from 'node:crypto';
import { CvDecodeError, inflateCvPayload, isCompressed, mapCompressedFields } from './source/snapshot-events';
import type { RrwebEvent } from './source/snapshot-events';

export interface PrivacyPolicy {
  inputs: 'keep' | 'mask' | 'drop';
  text: 'keep' | 'mask';
  urls: { query: 'keep' | 'strip'; keepParams: string[]; fragment: 'keep' | 'strip' };
  network: { headers: 'keep' | 'redact' | 'drop'; redactHeaders: string[]; bodies: 'keep' | 'drop' };
  distinctId: 'keep' | 'hash';
}

/** The policies of an export: one for every team, overridden per team. */
export interface PrivacySettings {
  policy: PrivacyPolicy;
  /** Whole policies by team id, for the teams whose entry overrides the default. */
  teams: Record<string, PrivacyPolicy>;
  /** The key of the distinct_id hash; set whenever some policy hashes. A secret: never logged or written. */
  hashKey?: string;
}

/** What a partition's manifest records about the policy that produced it (the key only as a fingerprint). */
export interface PrivacyRecord extends PrivacyPolicy {
  /** HMAC of a fixed text under the hash key, 12 hex digits: which key hashed, without the key. */
  hash_key_id: string | null;
}

export const KEEP_EVERYTHING: PrivacyPolicy = {
  inputs: 'keep',
  text: 'keep',
  urls: { query: 'keep', keepParams: [], fragment: 'keep' },
  network: { headers: 'keep', redactHeaders: [], bodies: 'keep' },
  distinctId: 'keep',
};

export function policyFor(settings: PrivacySettings, teamId: number): PrivacyPolicy {
  return settings.teams[String(teamId)] ?? settings.policy;
}

function keyId(key: string | undefined): string | null {
  return key === undefined
    ? null
    : createHmac('sha256', key).update('replaylake hash key id').digest('hex').slice(0, 12);
}

export function privacyRecord(settings: PrivacySettings, teamId: number): PrivacyRecord {
  const policy = policyFor(settings, teamId);
  return { ...policy, hash_key_id: policy.distinctId === 'hash' ? keyId(settings.hashKey) : null };
}

/** The settings as they shape output bytes (for file names): every policy, and the key by its fingerprint only. */
export function privacyFingerprint(settings: PrivacySettings): unknown {
  return { policy: settings.policy, teams: settings.teams, key: keyId(settings.hashKey) };
}

/** Elements whose `value` attribute is what the user typed or chose. */
const FORM_TAGS: ReadonlySet<string> = new Set(['input', 'textarea', 'select', 'option']);
/** Element attributes that hold a URL (relative or absolute). */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'poster',
  'cite',
  'background',
  'longdesc',
  'ping',
  'data-src',
]);
/** An absolute http(s) URL inside any text: a whole value, a console message, a stack trace, CSS. */
const URL_IN_TEXT = /https?:\/\/[^\s"'<>()\\]+/gi;

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every character but whitespace becomes `*`: the length and the line breaks stay, so the layout does too. */
export function maskText(s: string): string {
  return s.replace(/\S/gu, '*');
}

export class Redactor {
  private readonly keep: ReadonlySet<string>;
  private readonly redact: ReadonlySet<string>;
  /** False when events leave as stored (only distinct_id, a metadata column, may change). */
  readonly rewritesEvents: boolean;

  constructor(
    readonly policy: PrivacyPolicy,
    private readonly hashKey: string | undefined,
    /** A decoded `cv` payload longer than this is refused rather than parsed (ReadLimits.maxLineBytes). */
    private readonly maxPayloadBytes = Number.POSITIVE_INFINITY,
  ) {
    this.keep = new Set(policy.urls.keepParams);
    this.redact = new Set(policy.network.redactHeaders.map((h) => h.toLowerCase()));
    this.rewritesEvents =
      policy.inputs !== 'keep' ||
      policy.text !== 'keep' ||
      this.stripsUrls ||
      policy.network.headers !== 'keep' ||
      policy.network.bodies !== 'keep';
    if (policy.distinctId === 'hash' && !hashKey)
      throw new RangeError('privacy.distinctId is "hash" but privacy.hashKey is not set');
  }

  static for(settings: PrivacySettings, teamId: number, maxPayloadBytes?: number): Redactor {
    return new Redactor(policyFor(settings, teamId), settings.hashKey, maxPayloadBytes);
  }

  private get stripsUrls(): boolean {
    return this.policy.urls.query === 'strip' || this.policy.urls.fragment === 'strip';
  }

  distinctId(id: string): string {
    if (this.policy.distinctId === 'keep') return id;
    return createHmac('sha256', this.hashKey!).update(id).digest('hex');
  }

  /** The URL without its query (or the parameters not on the allow-list) and fragment, as the policy says. */
  url(value: string): string {
    if (!this.stripsUrls) return value;
    let rest = value;
    let fragment = '';
    const hash = rest.indexOf('#');
    if (hash !== -1) {
      fragment = this.policy.urls.fragment === 'strip' ? '' : rest.slice(hash);
      rest = rest.slice(0, hash);
    }
    const q = rest.indexOf('?');
    if (q !== -1 && this.policy.urls.query === 'strip') {
      const kept = rest
        .slice(q + 1)
        .split('&')
        .filter((pair) => {
          const name = pair.split('=', 1)[0] ?? '';
          let decoded = name;
          try {
            decoded = decodeURIComponent(name.replace(/\+/g, ' '));
          } catch {
            // A malformed escape is compared as written.
          }
          return pair !== '' && this.keep.has(decoded);
        });
      rest = kept.length > 0 ? `${rest.slice(0, q)}?${kept.join('&')}` : rest.slice(0, q);
    }
    return rest + fragment;
  }

  /** The event as the policy lets it leave, with cv payloads decoded. Throws CvDecodeError for a bad payload. */
  event(event: RrwebEvent): RrwebEvent {
    const decoded = isCompressed(event) ? decodeCv(event, this.maxPayloadBytes) : event;
    const out = structuredClone(decoded);
    const data = out.data;
    if (out.type === 2 && isRecord(data) && isRecord(data['node'])) this.node(data['node'], false);
    else if (out.type === 3 && isRecord(data)) this.incremental(data);
    else if (out.type === 6 && isRecord(data) && data['plugin'] === 'rrweb/network@1') this.network(data['payload']);
    if (this.stripsUrls) out.data = this.urlsIn(out.data);
    return out;
  }

  private incremental(data: Json): void {
    const { inputs, text } = this.policy;
    if (data['source'] === 5 && typeof data['text'] === 'string' && inputs !== 'keep')
      data['text'] = inputs === 'mask' ? maskText(data['text']) : '';
    if (data['source'] !== 0) return;
    if (text === 'mask' && Array.isArray(data['texts']))
      for (const t of data['texts'])
        if (isRecord(t) && typeof t['value'] === 'string') t['value'] = maskText(t['value']);
    if (Array.isArray(data['attributes']))
      for (const a of data['attributes'])
        if (isRecord(a) && isRecord(a['attributes'])) this.attributes(a['attributes'], null);
    if (Array.isArray(data['adds']))
      for (const add of data['adds']) if (isRecord(add) && isRecord(add['node'])) this.node(add['node'], false);
  }

  /** A serialized DOM node and its subtree; `raw` when the parent is <script> or <style>, whose text is not text. */
  private node(node: Json, raw: boolean): void {
    const type = node['type'];
    if ((type === 3 || type === 5) && typeof node['textContent'] === 'string') {
      if (this.policy.text === 'mask' && !raw && node['isStyle'] !== true)
        node['textContent'] = maskText(node['textContent']);
      return;
    }
    let childrenRaw = false;
    if (type === 2) {
      const tag = typeof node['tagName'] === 'string' ? node['tagName'].toLowerCase() : '';
      childrenRaw = tag === 'script' || tag === 'style';
      if (isRecord(node['attributes'])) this.attributes(node['attributes'], tag);
    }
    if (Array.isArray(node['childNodes']))
      for (const child of node['childNodes']) if (isRecord(child)) this.node(child, childrenRaw);
  }

  /** Element attributes; `tag` null for attribute mutations, which do not say which element they change. */
  private attributes(attrs: Json, tag: string | null): void {
    const { inputs } = this.policy;
    if (inputs !== 'keep' && typeof attrs['value'] === 'string' && (tag === null || FORM_TAGS.has(tag)))
      attrs['value'] = inputs === 'mask' ? maskText(attrs['value']) : '';
    if (this.stripsUrls)
      for (const [k, v] of Object.entries(attrs)) {
        if (typeof v !== 'string') continue;
        if (URL_ATTRIBUTES.has(k.toLowerCase())) attrs[k] = this.url(v);
        else if (k.toLowerCase() === 'srcset')
          attrs[k] = v
            .split(',')
            .map((candidate) => candidate.trim().replace(/^\S+/, (u) => this.url(u)))
            .join(', ');
      }
  }

  private network(payload: unknown): void {
    if (!isRecord(payload) || !Array.isArray(payload['requests'])) return;
    const { headers, bodies } = this.policy.network;
    for (const req of payload['requests']) {
      if (!isRecord(req)) continue;
      for (const field of ['requestHeaders', 'responseHeaders']) {
        if (headers === 'drop') delete req[field];
        else if (headers === 'redact' && isRecord(req[field])) {
          const h = req[field];
          for (const name of Object.keys(h)) if (this.redact.has(name.toLowerCase())) h[name] = 'redacted';
        }
      }
      if (bodies === 'drop') {
        delete req['requestBody'];
        delete req['responseBody'];
      }
    }
  }

  /** Every absolute URL in every string of the value, without what the policy strips. */
  private urlsIn(value: unknown): unknown {
    if (typeof value === 'string')
      return value.includes('://') ? value.replace(URL_IN_TEXT, (u) => this.url(u)) : value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.urlsIn(value[i]);
      return value;
    }
    if (isRecord(value)) for (const k of Object.keys(value)) value[k] = this.urlsIn(value[k]);
    return value;
  }
}

/** posthog-js's `cv: "2024-10"` undone: the compressed fields (gzip held as a latin1 string) parsed back. */
function decodeCv(event: RrwebEvent, maxBytes: number): RrwebEvent {
  return mapCompressedFields(event, (value) => {
    const text = inflateCvPayload(value, event.timestamp);
    if (text.length > maxBytes)
      throw new CvDecodeError(
        `the cv payload at ${event.timestamp} inflates to ${text.length} bytes, more than a batch thread parses at once (${maxBytes}) to apply the privacy policy; raise worker.threadHeapMB`,
      );
    return JSON.parse(text.toString('utf8')) as unknown;
  });
}

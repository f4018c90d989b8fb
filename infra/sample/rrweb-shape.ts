/**
 * Structural signatures of rrweb events, so generated events can be compared with real posthog-js output without
 * comparing values.
 *
 * A shape is the set of leaf paths with their value kinds, one `path: kind` line each, sorted:
 *
 *   $: object
 *   $.data: object
 *   $.data.positions: array
 *   $.data.positions[].x: number
 *   ...
 *
 * - Keys are taken in sorted order; kinds are string, number, boolean, null, object, array.
 * - Array elements all share the path `[]`, so an array is summarised by the union of its elements' shapes.
 * - Objects whose keys are data rather than schema (DOM attribute maps, HTTP header maps) have their keys folded to
 *   `*`, else every page would have its own shape.
 * - Recursive trees (`childNodes` of serialized DOM nodes, `childWireframes` of mobile wireframes) are folded onto
 *   one path, so a node at depth 9 has the same path as one at depth 2 and the shape does not encode the tree's depth.
 */
import { EventType, IncrementalSource, MouseInteractions } from '@rrweb/types';
import { decodeCv } from './cv';

const DICTIONARY_KEYS = new Set(['attributes', 'requestHeaders', 'responseHeaders']);
const RECURSIVE_KEYS = new Set(['childNodes', 'childWireframes']);

function collect(value: unknown, path: string, out: Set<string>): void {
  if (value === null) {
    out.add(`${path}: null`);
  } else if (Array.isArray(value)) {
    out.add(`${path}: array`);
    for (const item of value) collect(item, `${path}[]`, out);
  } else if (typeof value === 'object') {
    out.add(`${path}: object`);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      const child = record[key];
      let childPath = `${path}.${key}`;
      if (RECURSIVE_KEYS.has(key) && path.endsWith(`.${key}[]`)) childPath = path.slice(0, -2);
      if (DICTIONARY_KEYS.has(key) && child !== null && typeof child === 'object' && !Array.isArray(child)) {
        out.add(`${childPath}: object`);
        for (const v of Object.values(child)) collect(v, `${childPath}.*`, out);
      } else {
        collect(child, childPath, out);
      }
    }
  } else {
    out.add(`${path}: ${typeof value}`);
  }
}

/** The shape as a set of `path: kind` lines. */
export function shapePaths(value: unknown): Set<string> {
  const out = new Set<string>();
  collect(value, '$', out);
  return out;
}

/** The canonical signature: the shape's lines, sorted, one per line. */
export function shapeOf(value: unknown): string {
  return [...shapePaths(value)].sort().join('\n');
}

interface LooseEvent {
  type: number;
  data?: unknown;
  cv?: unknown;
}

/** The shape of the event rrweb emitted: posthog-js's cv compression is undone first. */
export function eventShape(event: LooseEvent): Set<string> {
  return shapePaths(decodeCv(event));
}

function field(data: unknown, key: string): unknown {
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[key] : undefined;
}

function enumName(names: Record<number, string>, value: unknown): string {
  return typeof value === 'number' ? (names[value] ?? 'Unknown') : 'Unknown';
}

/**
 * A label for what an event is: `4 Meta`, `2 FullSnapshot`, `3/1 MouseMove`, `3/2/2 MouseInteraction Click`,
 * `5 $pageview` (custom events by tag), `6 rrweb/console@1` (plugin events by plugin name).
 */
export function eventKind(event: LooseEvent): string {
  const { type, data } = event;
  // Compared as plain numbers: `type` comes from parsed JSON, not from rrweb's enum.
  if (type === 3) {
    const source = field(data, 'source');
    const label = `3/${String(source)} ${enumName(IncrementalSource, source)}`;
    if (source !== IncrementalSource.MouseInteraction) return label;
    const interaction = field(data, 'type');
    return `3/2/${String(interaction)} MouseInteraction ${enumName(MouseInteractions, interaction)}`;
  }
  if (type === 5) return `5 ${String(field(data, 'tag'))}`;
  if (type === 6) return `6 ${String(field(data, 'plugin'))}`;
  return `${type} ${enumName(EventType, type)}`;
}

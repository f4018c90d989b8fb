/** A small hyperscript for page templates, and its instantiation into rrweb's serialized DOM with rrweb's ids. */
import { NodeType } from '@rrweb/types';
import type { Product } from '../products';
import type { Rng } from '../rng';
import type { DomElement, DomText } from './dom';
import type { Site } from './site';

/** What a template's dynamic parts are filled from. */
export interface Fill {
  rng: Rng;
  site: Site;
  masked: boolean;
  products: readonly Product[];
  query: string;
  assetHash: string;
}

type Dyn<T> = T | ((f: Fill) => T);
export interface TElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, Dyn<string | true | undefined>>>;
  readonly children: readonly TChild[];
}
type TChild = TElement | Dyn<string>;

export function h(tag: string, attrs: TElement['attrs'] = {}, ...children: TChild[]): TElement {
  return { tag, attrs, children };
}

function resolve<T>(v: Dyn<T>, f: Fill): T {
  return typeof v === 'function' ? (v as (f: Fill) => T)(f) : v;
}

/** Tags after which an HTML source has no newline-and-indent text nodes inside them. */
const INLINE_TAGS = new Set([
  'a',
  'button',
  'span',
  'label',
  'option',
  'p',
  'h1',
  'h2',
  'h3',
  'td',
  'li',
  'legend',
  'title',
]);

/** Serializes template trees with rrweb's pre-order ids (a node's id precedes its children's). */
export class Serializer {
  readonly named = new Map<string, DomElement>();
  constructor(
    private readonly fill: Fill,
    /** Server-rendered HTML keeps the source's whitespace as text nodes; framework-rendered DOM has none. */
    private readonly whitespace: boolean,
    public nextId: number,
  ) {}

  text(textContent: string, isStyle = false): DomText {
    return isStyle
      ? { type: NodeType.Text, textContent, isStyle: true, id: this.nextId++ }
      : { type: NodeType.Text, textContent, id: this.nextId++ };
  }

  element(t: TElement, depth: number): DomElement {
    const attributes: Record<string, string | true> = {};
    for (const [k, v] of Object.entries(t.attrs)) {
      const value = resolve(v, this.fill);
      if (value !== undefined) attributes[k] = value;
    }
    const node: DomElement = { type: NodeType.Element, tagName: t.tag, attributes, childNodes: [], id: this.nextId++ };
    const id = attributes['id'];
    if (typeof id === 'string') this.named.set(id, node);
    const indent = this.whitespace && !INLINE_TAGS.has(t.tag) && t.children.some((c) => typeof c === 'object');
    for (const c of t.children) {
      if (indent) node.childNodes.push(this.text(`\n${'  '.repeat(depth + 1)}`));
      if (typeof c === 'object') node.childNodes.push(this.element(c, depth + 1));
      else
        node.childNodes.push(
          this.text(t.tag === 'script' ? 'SCRIPT_PLACEHOLDER' : resolve(c, this.fill), t.tag === 'style'),
        );
    }
    if (indent) node.childNodes.push(this.text(`\n${'  '.repeat(depth)}`));
    return node;
  }
}

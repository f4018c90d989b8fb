/** A loaded page, and how a template becomes one. */
import { NodeType } from '@rrweb/types';
import type { DomDoctype, DomDocument, DomElement, DomNode } from './dom';
import { lateScriptUrl } from './posthog-js';
import type { WebSession } from './session';
import type { PageTemplate } from './shop-pages';
import { shell } from './shop-pages';
import type { TElement } from './template';
import { h, Serializer } from './template';

export type Role = 'link' | 'button' | 'text' | 'checkbox' | 'radio' | 'select';

export interface Box {
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Target extends Box {
  role: Role;
  el: DomElement;
}

const BLOCK_HEIGHT: Readonly<Record<string, number>> = {
  h1: 56,
  h2: 40,
  h3: 28,
  p: 60,
  li: 44,
  label: 30,
  input: 44,
  select: 44,
  textarea: 96,
  img: 240,
  tr: 44,
  form: 16,
  section: 24,
  fieldset: 20,
  legend: 24,
  footer: 24,
  button: 48,
  a: 40,
};

function roleOf(el: DomElement): Role | undefined {
  switch (el.tagName) {
    case 'a':
      return 'link';
    case 'button':
      return 'button';
    case 'select':
      return 'select';
    case 'textarea':
      return 'text';
    case 'img':
      return el.attributes['data-action'] ? 'button' : undefined;
    case 'input': {
      const type = el.attributes['type'];
      if (type === 'checkbox' || type === 'radio') return type;
      return type === 'submit' ? 'button' : 'text';
    }
    default:
      return undefined;
  }
}

/** Characters of text inside a node, counted only up to `cap`: layout needs a rough width, not the text. */
function textLength(node: DomNode, cap: number): number {
  if (node.type === NodeType.Text) return Math.min(cap, node.textContent.trim().length);
  if (node.type !== NodeType.Element) return 0;
  let n = 0;
  for (const c of node.childNodes) {
    n += textLength(c, cap - n);
    if (n >= cap) return cap;
  }
  return n;
}

/** One loaded document in a window: its live serialized DOM, the ids rrweb gave it and a rough layout. */
export class Page {
  targets: Target[] = [];
  boxes: Box[] = [];
  height = 0;
  constructor(
    readonly template: PageTemplate,
    readonly url: string,
    readonly doc: DomDocument,
    readonly named: Map<string, DomElement>,
    public nextId: number,
    readonly timeOrigin: number,
    readonly navigationId: number,
  ) {}

  el(id: string): DomElement | undefined {
    return this.named.get(id);
  }

  /** An element holding one text node, numbered after every node rrweb has already seen on the page. */
  createElement(tagName: string, attributes: Record<string, string | true>, text: string): DomElement {
    const el: DomElement = { type: NodeType.Element, tagName, attributes, childNodes: [], id: this.nextId++ };
    el.childNodes.push({ type: NodeType.Text, textContent: text, id: this.nextId++ });
    return el;
  }

  /** Block elements stack down the page; children of `.row`/`nav`/`tr` sit side by side. */
  layout(viewportWidth: number): void {
    const width = Math.min(960, viewportWidth - 24);
    const left = Math.max(12, Math.floor((viewportWidth - width) / 2));
    let y = 0;
    this.targets = [];
    this.boxes = [];
    const visit = (node: DomNode, row: { x: number; y: number } | null): void => {
      if (node.type !== NodeType.Element) return;
      const tag = node.tagName;
      if (tag === 'head' || tag === 'script' || tag === 'style' || node.attributes['hidden'] !== undefined) return;
      const w =
        tag === 'input' || tag === 'select'
          ? 280
          : tag === 'textarea'
            ? 480
            : Math.min(width, 32 + 8 * textLength(node, 40));
      let box: Box;
      if (row) {
        if (row.x + w > left + width) {
          row.x = left;
          row.y += 52;
        }
        box = { id: node.id, x: row.x, y: row.y, w, h: 40 };
        row.x += w + 12;
      } else {
        const hgt = BLOCK_HEIGHT[tag] ?? 0;
        box = {
          id: node.id,
          x: left,
          y,
          w: BLOCK_HEIGHT[tag] !== undefined && tag !== 'p' ? w : width,
          h: Math.max(hgt, 24),
        };
        y += hgt;
      }
      this.boxes.push(box);
      const role = roleOf(node);
      if (role) this.targets.push({ ...box, role, el: node });
      const cls = node.attributes['class'];
      if (!row && (tag === 'nav' || tag === 'tr' || (typeof cls === 'string' && /\brow\b/.test(cls)))) {
        const r = { x: left, y };
        for (const c of node.childNodes) visit(c, r);
        y = r.y + 52;
      } else {
        for (const c of node.childNodes) visit(c, row);
      }
    };
    const html = this.doc.childNodes.find((n): n is DomElement => n.type === NodeType.Element);
    for (const c of html?.childNodes ?? []) visit(c, null);
    this.height = y + 80;
  }

  /** The innermost laid-out element under a page point, for MouseMove ids. */
  idAt(x: number, y: number): number {
    let best = this.named.get('content')?.id ?? 1;
    for (const b of this.boxes) if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) best = b.id;
    return best;
  }

  parentOf(id: number): DomElement | undefined {
    const find = (el: DomElement): DomElement | undefined => {
      for (const c of el.childNodes) {
        if (c.id === id) return el;
        if (c.type === NodeType.Element) {
          const found = find(c);
          if (found) return found;
        }
      }
      return undefined;
    };
    for (const c of this.doc.childNodes) if (c.type === NodeType.Element) return find(c);
    return undefined;
  }
}

/** Renders a template as a fresh document, with the scripts posthog-js injects at the end of <body>. */
export function renderPage(s: WebSession, template: PageTemplate, timeOrigin: number, viewportWidth: number): Page {
  const { rng, site, sdk } = s;
  const f = s.fill();
  const html = shell(template.main, template.title);
  const lateScripts = sdk.lateScripts.map((p) =>
    h('script', { type: 'text/javascript', crossorigin: 'anonymous', src: lateScriptUrl(site, p) }),
  );
  const withScripts: TElement = {
    ...html,
    children: html.children.map((c) =>
      typeof c === 'object' && c.tag === 'body' ? { ...c, children: [...c.children, ...lateScripts] } : c,
    ),
  };
  const doctype: DomDoctype = { type: NodeType.DocumentType, name: 'html', publicId: '', systemId: '', id: 2 };
  const serializer = new Serializer(f, !site.spa, 3);
  const root = serializer.element(withScripts, 0);
  const doc: DomDocument = { type: NodeType.Document, childNodes: [doctype, root], id: 1 };
  const navigationId = rng.int(1000, 9999);
  const page = new Page(
    template,
    `${site.origin}${template.path(f)}`,
    doc,
    serializer.named,
    serializer.nextId,
    timeOrigin,
    navigationId,
  );
  page.layout(viewportWidth);
  return page;
}

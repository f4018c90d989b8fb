/** The DOM as rrweb serializes it (rrweb-snapshot serializeNodeWithId), and the mutation records it reports. */
import type { addedNodeMutation, removedNodeMutation } from '@rrweb/types';
import { NodeType } from '@rrweb/types';

export interface DomElement {
  type: NodeType.Element;
  tagName: string;
  attributes: Record<string, string | true>;
  childNodes: DomNode[];
  id: number;
}
export interface DomText {
  type: NodeType.Text;
  textContent: string;
  isStyle?: true;
  id: number;
}
export interface DomDoctype {
  type: NodeType.DocumentType;
  name: string;
  publicId: string;
  systemId: string;
  id: number;
}
export interface DomDocument {
  type: NodeType.Document;
  childNodes: DomNode[];
  id: number;
}
export type DomNode = DomElement | DomText | DomDoctype;

/** rrweb's default input masking: one `*` per character. */
export function maskInput(value: string): string {
  return '*'.repeat(value.length);
}

/** rrweb emits added subtrees flattened: each node with empty childNodes, its children as later entries. */
function shallow(node: DomNode): DomNode {
  if (node.type === NodeType.Element) return { ...node, attributes: { ...node.attributes }, childNodes: [] };
  return { ...node };
}

export function flattenAdds(parent: DomElement, node: DomNode, nextId: number | null): addedNodeMutation[] {
  const out: addedNodeMutation[] = [{ parentId: parent.id, nextId, node: shallow(node) }];
  const queue: DomElement[] = node.type === NodeType.Element ? [node] : [];
  for (let q = 0; q < queue.length; q++) {
    const el = queue[q];
    if (!el) continue;
    for (let i = el.childNodes.length - 1; i >= 0; i--) {
      const child = el.childNodes[i];
      if (!child) continue;
      out.push({ parentId: el.id, nextId: el.childNodes[i + 1]?.id ?? null, node: shallow(child) });
      if (child.type === NodeType.Element) queue.push(child);
    }
  }
  return out;
}

/** Swaps a parent's children; rrweb reports the new ones last first, each pointing at its next sibling. */
export function replaceChildren(
  parent: DomElement,
  fresh: DomNode[],
): { removes: removedNodeMutation[]; adds: addedNodeMutation[] } {
  const removes = parent.childNodes.map((c) => ({ parentId: parent.id, id: c.id }));
  parent.childNodes = fresh;
  const adds: addedNodeMutation[] = [];
  for (let i = fresh.length - 1; i >= 0; i--) {
    const node = fresh[i];
    if (node) adds.push(...flattenAdds(parent, node, fresh[i + 1]?.id ?? null));
  }
  return { removes, adds };
}

export function textOf(node: DomNode): string {
  if (node.type === NodeType.Text) return node.textContent;
  if (node.type === NodeType.Element) return node.childNodes.map(textOf).join('');
  return '';
}

export function imageSources(node: DomNode): string[] {
  if (node.type !== NodeType.Element) return [];
  const src = node.tagName === 'img' ? node.attributes['src'] : undefined;
  return [...(typeof src === 'string' ? [src] : []), ...node.childNodes.flatMap(imageSources)];
}

export function collectIds(node: DomNode, into: Set<number>): void {
  into.add(node.id);
  if (node.type === NodeType.Element) for (const c of node.childNodes) collectIds(c, into);
}

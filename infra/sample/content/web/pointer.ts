/** Mouse, touch, scroll and resize input as rrweb records it, and the click pacing PostHog's rage-click rule sees. */
import type { mousePosition } from '@rrweb/types';
import { IncrementalSource, MouseInteractions, PointerTypes } from '@rrweb/types';
import { between, chance } from '../rng';
import type { DomElement } from './dom';
import type { Box } from './page';
import { RAGE_TIMEOUT_MS } from './posthog-js';
import type { WebWindow } from './window';

type Point = { x: number; y: number };

export function pointIn(w: WebWindow, box: Box): Point {
  const { rng } = w.s;
  return {
    x: Math.min(w.viewport.width - 2, box.x + between(rng, 0.15, 0.85) * box.w),
    y: box.y - w.scrollY + between(rng, 0.2, 0.8) * box.h,
  };
}

/** rrweb's mousemove: positions sampled every ~50 ms, flushed every 500 ms with negative timeOffsets. */
export function moveTo(w: WebWindow, to: Point, durationMs: number): void {
  if (w.s.device.touch) return;
  const { rng } = w.s;
  const page = w.requirePage();
  w.activity();
  const from = w.mouse;
  const steps = Math.max(1, Math.round(durationMs / rng.int(50, 90)));
  const t0 = w.t;
  let batch: { p: mousePosition; at: number }[] = [];
  let batchStart = t0;
  const flush = () => {
    const last = batch[batch.length - 1];
    if (!last) return;
    const emitAt = last.at;
    w.t = emitAt;
    w.incremental({
      source: IncrementalSource.MouseMove,
      positions: batch.map((b) => ({ ...b.p, timeOffset: b.at - emitAt })),
    });
    batch = [];
  };
  for (let i = 1; i <= steps; i++) {
    const k = i / steps;
    const ease = k * k * (3 - 2 * k);
    const x = Math.round(from.x + (to.x - from.x) * ease + between(rng, -3, 3));
    const y = Math.round(from.y + (to.y - from.y) * ease + between(rng, -3, 3));
    const at = t0 + Math.round((durationMs * i) / steps);
    if (at - batchStart >= 500) {
      flush();
      batchStart = at;
    }
    batch.push({ p: { x, y, id: page.idAt(x, y + w.scrollY), timeOffset: 0 }, at });
  }
  flush();
  w.t = t0 + durationMs;
  w.mouse = { x: Math.round(to.x), y: Math.round(to.y) };
  w.lastActivity = w.t;
}

/** Scroll the target into view first, as a user would before clicking it. */
function reveal(w: WebWindow, box: Box): void {
  const top = box.y - w.scrollY;
  if (top < 60 || top + box.h > w.viewport.height - 40)
    scrollBy(w, box.y - w.scrollY - Math.round(w.viewport.height / 3));
}

/** Brings the target into view and the pointer onto it, as a user does before pressing anything. */
function approach(w: WebWindow, target: Box, maxMoveMs: number): Point {
  reveal(w, target);
  const p = pointIn(w, target);
  moveTo(w, p, w.s.rng.int(250, maxMoveMs));
  return p;
}

export function scrollBy(w: WebWindow, delta: number): void {
  const { rng } = w.s;
  const page = w.requirePage();
  const max = Math.max(0, page.height - w.viewport.height);
  const goal = Math.max(0, Math.min(max, w.scrollY + delta));
  if (goal === w.scrollY) return;
  if (w.s.device.touch) {
    // A swipe: pointerdown is TouchStart, the finger's path is TouchMove, native scrolling cancels the pointer.
    const x = between(rng, 40, w.viewport.width - 40);
    const y0 = between(rng, w.viewport.height * 0.4, w.viewport.height * 0.8);
    w.activity();
    w.incremental({
      source: IncrementalSource.MouseInteraction,
      type: MouseInteractions.TouchStart,
      id: w.requirePage().idAt(x, y0 + w.scrollY),
      x,
      y: y0,
    });
    const at = w.t + rng.int(80, 200);
    const positions: mousePosition[] = [0, 1, 2, 3].map((i) => ({
      x: Math.round(x + between(rng, -4, 4)),
      y: Math.round(y0 - ((goal - w.scrollY) * i) / 6),
      id: page.idAt(x, y0 + w.scrollY),
      timeOffset: -(3 - i) * rng.int(15, 30),
    }));
    w.t = at;
    w.incremental({ source: IncrementalSource.TouchMove, positions });
  }
  const steps = Math.max(1, Math.min(12, Math.round(Math.abs(goal - w.scrollY) / rng.int(90, 260))));
  const from = w.scrollY;
  for (let i = 1; i <= steps; i++) {
    w.t += rng.int(60, 200);
    w.activity();
    w.scrollY = Math.round(from + ((goal - from) * i) / steps);
    w.incremental({ source: IncrementalSource.Scroll, id: 1, x: 0, y: w.scrollY });
  }
}

export function resize(w: WebWindow): void {
  const { rng } = w.s;
  const steps = rng.int(3, 8);
  const dw = rng.int(-30, 30);
  const dh = rng.int(-12, 12);
  for (let i = 0; i < steps; i++) {
    w.t += rng.int(16, 60);
    w.activity();
    w.viewport = {
      width: Math.max(800, w.viewport.width + dw),
      height: Math.max(480, w.viewport.height + dh),
    };
    w.incremental({ source: IncrementalSource.ViewportResize, ...w.viewport });
  }
  w.requirePage().layout(w.viewport.width);
}

/** Focus moves on pointerdown: Blur of the old element, then Focus of a focusable new one (no coordinates). */
function moveFocus(w: WebWindow, el: DomElement | undefined): void {
  const focusable = el && ['a', 'button', 'input', 'select', 'textarea'].includes(el.tagName);
  const next = focusable ? el.id : undefined;
  if (next === w.focused) return;
  if (w.focused !== undefined)
    w.incremental({ source: IncrementalSource.MouseInteraction, type: MouseInteractions.Blur, id: w.focused });
  if (next !== undefined)
    w.incremental({ source: IncrementalSource.MouseInteraction, type: MouseInteractions.Focus, id: next });
  w.focused = next;
}

/**
 * One click as rrweb records it in Chromium. Mouse: MouseDown and MouseUp from pointer events (float client
 * coordinates, pointerType omitted as redundant), Click a PointerEvent with integer coordinates and pointerType 0.
 * Touch: TouchStart/TouchEnd replace MouseDown/MouseUp and Click carries pointerType 2
 * (rrweb packages/rrweb/src/record/observer.ts initMouseInteractionObserver).
 */
function pointerClick(w: WebWindow, id: number, el: DomElement | undefined, p: Point, focus = true): void {
  const { rng } = w.s;
  const { x, y } = pointerEventPoint(p);
  const touch = w.s.device.touch;
  w.activity();
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: touch ? MouseInteractions.TouchStart : MouseInteractions.MouseDown,
    id,
    x,
    y,
  });
  if (focus) moveFocus(w, el);
  w.t += touch ? rng.int(40, 120) : rng.int(1, 4);
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: touch ? MouseInteractions.TouchEnd : MouseInteractions.MouseUp,
    id,
    x,
    y,
  });
  w.t += rng.int(0, 3);
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: MouseInteractions.Click,
    id,
    x: Math.trunc(x),
    y: Math.trunc(y),
    pointerType: touch ? PointerTypes.Touch : PointerTypes.Mouse,
  });
}

function pointerEventPoint(p: Point): Point {
  return { x: Math.fround(Math.round(p.x * 100) / 100), y: Math.fround(Math.round(p.y * 100) / 100) };
}

/** dblclick is a MouseEvent, not a PointerEvent, so rrweb records no pointerType for it. */
function dblClick(w: WebWindow, id: number, p: Point): void {
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: MouseInteractions.DblClick,
    id,
    x: Math.trunc(p.x),
    y: Math.trunc(p.y),
  });
}

export function click(w: WebWindow, target: Box & { el?: DomElement }): void {
  const { rng } = w.s;
  const p = approach(w, target, 900);
  w.t += rng.int(40, 200);
  spaceFromLastClick(w, p);
  pointerClick(w, target.id, target.el, p);
  w.lastClick = { t: w.t, ...p };
}

/**
 * Outside a deliberate burst, a click near the previous one waits out PostHog's rage-click window (rageclick.ts
 * compares positions, not elements), so rage clicks exist exactly where the spec asked for them.
 */
function spaceFromLastClick(w: WebWindow, p: Point): void {
  const last = w.lastClick;
  if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) < 40 && w.t - last.t < RAGE_TIMEOUT_MS + 100) {
    w.t = last.t + RAGE_TIMEOUT_MS + w.s.rng.int(100, 600);
  }
}

export function doubleClick(w: WebWindow, target: Box): void {
  const { rng } = w.s;
  const p = approach(w, target, 700);
  spaceFromLastClick(w, p);
  pointerClick(w, target.id, undefined, p);
  w.t += rng.int(80, 180);
  pointerClick(w, target.id, undefined, p, false);
  w.t += rng.int(0, 2);
  dblClick(w, target.id, p);
  w.lastClick = { t: w.t, ...p };
  if (chance(rng, 0.3)) {
    // Double-clicking text selects a word; some apps then toggle an editing state.
    w.t += rng.int(5, 40);
    w.mutation({ attributes: [{ id: target.id, attributes: { 'data-selected': 'true' } }] });
  }
}

/** Right button: pointerdown, then contextmenu (a PointerEvent, so pointerType stays), then pointerup; no click. */
export function contextMenu(w: WebWindow, target: Box): void {
  const { rng } = w.s;
  const p = approach(w, target, 700);
  w.activity();
  const { x, y } = pointerEventPoint(p);
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: MouseInteractions.MouseDown,
    id: target.id,
    x,
    y,
  });
  w.t += rng.int(0, 2);
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: MouseInteractions.ContextMenu,
    id: target.id,
    x: Math.trunc(x),
    y: Math.trunc(y),
    pointerType: PointerTypes.Mouse,
  });
  w.t += rng.int(60, 200);
  w.incremental({
    source: IncrementalSource.MouseInteraction,
    type: MouseInteractions.MouseUp,
    id: target.id,
    x,
    y,
  });
}

/** 3-6 frantic clicks on one unresponsive button, each within RAGE_TIMEOUT_MS and a few px of the last. */
export function rageClick(w: WebWindow): void {
  const { rng } = w.s;
  const page = w.requirePage();
  const buttons = page.targets.filter((x) => x.role === 'button');
  const target = buttons.length ? rng.pick(buttons) : page.targets[0];
  if (!target) return;
  const p = approach(w, target, 700);
  const n = rng.int(3, 6);
  for (let i = 0; i < n; i++) {
    if (i > 0) w.t += rng.int(110, 260);
    const jitter = { x: p.x + between(rng, -3, 3), y: p.y + between(rng, -3, 3) };
    pointerClick(w, target.id, target.el, jitter, i === 0);
    if (i % 2 === 1 && !w.s.device.touch) {
      w.t += rng.int(0, 2);
      dblClick(w, target.id, jitter);
    }
  }
  w.lastClick = { t: w.t, ...p };
  if (chance(rng, 0.5)) {
    w.t += rng.int(5, 60);
    w.log('warn');
  }
}

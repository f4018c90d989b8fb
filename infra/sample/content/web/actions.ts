/** What the user does next in a tab, and how often: the mix of actions and the page element each one is aimed at. */
import { chance } from '../rng';
import { choose, toggle, typeInto } from './forms';
import { navigate } from './navigation';
import type { Role, Target } from './page';
import { click, contextMenu, doubleClick, moveTo, pointIn, resize, scrollBy } from './pointer';
import { react } from './reactions';
import type { WebWindow } from './window';

type WebAction =
  | 'click'
  | 'type'
  | 'scroll'
  | 'navigate'
  | 'toggle'
  | 'select'
  | 'dblclick'
  | 'contextmenu'
  | 'resize'
  | 'console'
  | 'hover';

export const ACTION_WEIGHTS: Readonly<Record<WebAction, number>> = {
  click: 26,
  type: 12,
  scroll: 16,
  navigate: 9,
  toggle: 5,
  select: 3,
  dblclick: 2,
  contextmenu: 1,
  resize: 0.6,
  console: 5,
  hover: 10,
};

export function act(w: WebWindow, action: WebAction): void {
  const { rng } = w.s;
  const page = w.requirePage();
  const pickAny = <T>(xs: readonly T[]): T | undefined => (xs.length ? rng.pick(xs) : undefined);
  const pickTarget = (roles: readonly Role[]) => pickAny(page.targets.filter((x) => roles.includes(x.role)));
  switch (action) {
    case 'click': {
      // Most clicks stay on the page; following links is what 'navigate' is for.
      const target = pickTarget(chance(rng, 0.8) ? ['button'] : ['button', 'link']);
      if (target) clickAndReact(w, target);
      return;
    }
    case 'navigate': {
      const target = pickTarget(['link']);
      if (target) clickAndReact(w, target, true);
      return;
    }
    case 'type': {
      const target = pickTarget(['text']);
      if (target) typeInto(w, target);
      return;
    }
    case 'toggle': {
      const target = pickTarget(['checkbox', 'radio']);
      if (target) toggle(w, target);
      return;
    }
    case 'select': {
      const target = pickTarget(['select']);
      if (target) choose(w, target);
      return;
    }
    case 'dblclick': {
      const target = pickAny(page.boxes);
      if (target && !w.s.device.touch) doubleClick(w, target);
      return;
    }
    case 'contextmenu': {
      const target = pickAny(page.boxes);
      if (target && !w.s.device.touch) contextMenu(w, target);
      return;
    }
    case 'scroll':
      scrollBy(w, rng.int(-2, 6) * rng.int(80, 240));
      return;
    case 'resize':
      if (!w.s.device.touch) resize(w);
      return;
    case 'console':
      w.log();
      return;
    case 'hover': {
      const target = pickAny(page.boxes);
      if (target && !w.s.device.touch) moveTo(w, pointIn(w, target), rng.int(300, 1500));
      return;
    }
  }
}

function clickAndReact(w: WebWindow, target: Target, follow = false): void {
  click(w, target);
  const action = target.el.attributes['data-action'];
  if (target.role === 'link' || follow) {
    const href = target.el.attributes['href'];
    if (typeof href === 'string') navigate(w, href);
    return;
  }
  if (typeof action === 'string') react(w, action, target);
}

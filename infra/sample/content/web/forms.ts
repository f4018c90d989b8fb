/** Form inputs as rrweb records them: typing, checkboxes, radios and native selects, masked if the project masks. */
import { IncrementalSource, NodeType } from '@rrweb/types';
import { sentence } from '../products';
import { chance } from '../rng';
import words from '../words.json';
import type { DomElement } from './dom';
import { maskInput, textOf } from './dom';
import type { Target } from './page';
import { click } from './pointer';
import { react } from './reactions';
import type { WebWindow } from './window';

export function typeInto(w: WebWindow, target: Target): void {
  const { rng } = w.s;
  click(w, target);
  const password = target.el.attributes['type'] === 'password';
  const shown = (value: string) => (w.s.masked || password ? maskInput(value) : value);
  const text =
    target.el.attributes['type'] === 'email'
      ? `${rng.pick(words.firstNames).toLowerCase()}.${rng.pick(words.lastNames).toLowerCase()}@example.com`
      : target.el.attributes['type'] === 'search'
        ? rng.pick(words.searchTerms)
        : target.el.tagName === 'textarea'
          ? sentence(rng, 3, 8)
          : rng.pick([
              `${rng.pick(words.firstNames)} ${rng.pick(words.lastNames)}`,
              `${rng.int(1, 220)} ${rng.pick(words.streets)}`,
              rng.pick(words.cities),
              `${rng.int(1000, 9999)}`,
            ]);
  const typed = text.slice(0, 16);
  let value = '';
  for (const ch of typed) {
    w.t += rng.int(70, 260);
    if (value.length > 2 && chance(rng, 0.04)) {
      value = value.slice(0, -1);
    } else value += ch;
    w.activity();
    w.incremental({ source: IncrementalSource.Input, text: shown(value), isChecked: false, id: target.id });
  }
  // Later full snapshots serialize the field's current value.
  target.el.attributes['value'] = shown(value);
  if (target.el.attributes['type'] === 'search' && chance(rng, 0.7)) {
    w.t += rng.int(200, 700);
    react(w, 'search', target);
  }
}

export function toggle(w: WebWindow, target: Target): void {
  const { rng } = w.s;
  const page = w.requirePage();
  click(w, target);
  const el = target.el;
  const radio = el.attributes['type'] === 'radio';
  const checked = radio ? true : el.attributes['checked'] !== true;
  w.t += rng.int(1, 4);
  if (radio) {
    // rrweb reports every radio of the group: the newly checked one and the ones that got unchecked.
    for (const other of page.targets) {
      if (other.role === 'radio' && other.el !== el && other.el.attributes['name'] === el.attributes['name']) {
        if (other.el.attributes['checked'] === true) {
          delete other.el.attributes['checked'];
          w.incremental({
            source: IncrementalSource.Input,
            text: String(other.el.attributes['value'] ?? 'on'),
            isChecked: false,
            id: other.id,
          });
        }
      }
    }
  }
  if (checked) el.attributes['checked'] = true;
  else delete el.attributes['checked'];
  w.incremental({
    source: IncrementalSource.Input,
    text: String(radio ? (el.attributes['value'] ?? 'on') : 'on'),
    isChecked: checked,
    id: target.id,
  });
}

/** Native <select>: the dropdown is browser chrome, so only the click and the resulting Input are recorded. */
export function choose(w: WebWindow, target: Target): void {
  const { rng } = w.s;
  click(w, target);
  const options = target.el.childNodes.filter(
    (c): c is DomElement => c.type === NodeType.Element && c.tagName === 'option',
  );
  const option = options.length ? rng.pick(options) : undefined;
  const value = option
    ? typeof option.attributes['value'] === 'string'
      ? option.attributes['value']
      : textOf(option)
    : '';
  w.t += rng.int(600, 2500);
  const shown = w.s.masked ? maskInput(value) : value;
  target.el.attributes['value'] = shown;
  w.activity();
  w.incremental({ source: IncrementalSource.Input, text: shown, isChecked: false, id: target.id });
}

/**
 * posthog-android in wireframe mode (posthog-android/src/main/java/com/posthog/android/replay/
 * PostHogReplayIntegration.kt). No cv compression; every capture goes out on its own.
 */
import { EventType, IncrementalSource, MouseInteractions, PointerTypes } from '@rrweb/types';
import type { MobileMutatedNode, MobileMutation, RrwebEvent, SessionContentSpec } from '../events';
import type { Product } from '../products';
import { makeProduct, sentence } from '../products';
import type { Rng } from '../rng';
import { between, chance, weighted } from '../rng';
import { ACTION_BUDGET_MS, MAX_EVENTS_PER_WINDOW } from '../schedule';
import words from '../words.json';
import logcat from './logcat.json';
import type { Wireframe } from './wireframe';
import { orderWireframe, shiftY } from './wireframe';

const MOBILE_WIDTH = 411;
const MOBILE_HEIGHT = 914;
const MOBILE_PACKAGE = 'com.acme.outdoor';
/** A 1x1 webp, as Drawable.base64() would send for an unmasked icon. */
const TINY_WEBP = 'data:image/webp;base64,UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA';

type MobileScreen = 'MainActivity' | 'ProductActivity' | 'CartActivity' | 'CheckoutActivity' | 'SettingsActivity';

const MOBILE_NEXT: Readonly<Record<MobileScreen, Readonly<Partial<Record<MobileScreen, number>>>>> = {
  MainActivity: { ProductActivity: 6, CartActivity: 1, SettingsActivity: 1 },
  ProductActivity: { MainActivity: 3, CartActivity: 3, ProductActivity: 1 },
  CartActivity: { CheckoutActivity: 4, MainActivity: 2 },
  CheckoutActivity: { MainActivity: 3, CartActivity: 1 },
  SettingsActivity: { MainActivity: 3 },
};

type MobileLevel = keyof typeof logcat;

export class MobileApp {
  private t = 0;
  private events: RrwebEvent[] = [];
  private screen: MobileScreen = 'MainActivity';
  private root: Wireframe | undefined;
  private keyboardOpen = false;
  /** The RecyclerView of list screens, whose rows move when the user scrolls. */
  private list: Wireframe | undefined;

  constructor(
    private readonly spec: SessionContentSpec,
    private readonly rng: Rng,
  ) {}

  run(start: number, end: number): RrwebEvent[] {
    const { rng } = this;
    this.events = [];
    this.t = start;
    this.open(this.root ? this.screen : 'MainActivity');
    const stopAt = end - Math.min(ACTION_BUDGET_MS, (end - start) / 4);
    let rage = this.spec.rageClicks;
    while (this.t < stopAt && this.events.length < MAX_EVENTS_PER_WINDOW) {
      if (rage && this.t > start + 3000 && chance(rng, 0.2)) {
        rage = false;
        this.rageTap();
      } else {
        const action = weighted(rng, { tap: 30, type: 10, scroll: 20, toggle: 6, navigate: 12, log: 8, request: 6 });
        this.act(action);
      }
      const room = stopAt - this.t;
      if (room > 0)
        this.t += Math.round(Math.min(room, chance(rng, 0.05) ? between(rng, 5_000, 60_000) : between(rng, 400, 3000)));
    }
    if (rage && this.t + 2000 < end) this.rageTap();
    // Captures after the segment's end never happened: the app was already in the background.
    const cut = this.events.findIndex((e) => e.timestamp > end);
    if (cut >= 0) this.events.length = cut;
    return this.events;
  }

  private push(event: RrwebEvent): void {
    this.events.push(event);
  }

  private wf(
    type: Wireframe['type'] | undefined,
    x: number,
    y: number,
    width: number,
    height: number,
    extra: Partial<Wireframe> = {},
  ): Wireframe {
    const w: Wireframe = {
      id: this.rng.int(10_000_000, 2_147_483_647),
      x,
      y,
      width,
      height,
      style: {},
      disabled: false,
    };
    if (type) w.type = type;
    return orderWireframe({ ...w, ...extra });
  }

  private text(x: number, y: number, width: number, height: number, text: string, fontSize = 14): Wireframe {
    return this.wf('text', x, y, width, height, {
      text,
      style: {
        color: '#1C1F27',
        fontSize,
        fontFamily: 'sans-serif',
        horizontalAlign: 'left',
        verticalAlign: 'center',
        paddingLeft: 0,
        paddingRight: 0,
      },
    });
  }

  private button(x: number, y: number, width: number, value: string): Wireframe {
    return this.wf('input', x, y, width, 48, {
      inputType: 'button',
      value,
      style: {
        color: '#FFFFFF',
        backgroundColor: '#1D4AFF',
        borderWidth: 1,
        borderColor: '#000000',
        fontSize: 14,
        fontFamily: 'sans-serif',
        horizontalAlign: 'center',
        verticalAlign: 'center',
      },
    });
  }

  /** A product list entry: thumbnail, name and price. */
  private productRow(top: number, p: Product, image: Partial<Wireframe> = {}): Wireframe {
    return this.wf(undefined, 0, top, MOBILE_WIDTH, 96, {
      childWireframes: [
        this.wf('image', 16, top + 8, 80, 80, image),
        this.text(108, top + 12, 280, 24, p.name, 16),
        this.text(108, top + 44, 120, 20, p.price),
      ],
    });
  }

  /** The decor view of an Activity: status bar, toolbar, content, navigation bar. */
  private build(screen: MobileScreen): Wireframe {
    const { rng } = this;
    const content: Wireframe[] = [];
    const listScreen = screen === 'MainActivity' || screen === 'CartActivity';
    let y = 80;
    const row = (h: number) => {
      const top = y;
      y += h;
      return top;
    };
    switch (screen) {
      case 'MainActivity':
        for (let i = 0; i < 6; i++) {
          const p = makeProduct(rng);
          content.push(this.productRow(row(96), p, chance(rng, 0.3) ? { base64: TINY_WEBP } : {}));
        }
        content.push(this.button(MOBILE_WIDTH - 88, MOBILE_HEIGHT - 160, 64, '+'));
        break;
      case 'ProductActivity': {
        const p = makeProduct(rng);
        content.push(this.wf('image', 0, row(280), MOBILE_WIDTH, 280));
        content.push(this.text(16, row(40), 379, 32, p.name, 22));
        content.push(this.text(16, row(32), 200, 24, p.price, 18));
        content.push(
          this.wf('input', 16, row(56), 200, 48, {
            inputType: 'select',
            value: rng.pick(words.sizes),
            options: [...words.sizes],
          }),
        );
        content.push(
          this.wf('input', 16, row(40), 160, 24, {
            inputType: 'progress',
            value: rng.int(6, 10) / 2,
            max: 5,
            style: { bar: 'rating' },
          }),
        );
        content.push(this.text(16, row(120), 379, 110, sentence(rng, 20, 40)));
        content.push(this.button(16, row(64), 379, 'Add to cart'));
        break;
      }
      case 'CartActivity':
        for (let i = 0; i < 3; i++) {
          const p = makeProduct(rng);
          const top = row(72);
          content.push(
            this.wf(undefined, 0, top, MOBILE_WIDTH, 72, {
              childWireframes: [
                this.text(16, top + 8, 260, 24, p.name),
                this.text(16, top + 36, 100, 20, p.price),
                this.button(320, top + 12, 72, 'Remove'),
              ],
            }),
          );
        }
        content.push(this.text(16, row(40), 200, 28, `Total €${rng.int(40, 600)}.00`, 18));
        content.push(this.button(16, row(64), 379, 'Checkout'));
        break;
      case 'CheckoutActivity':
        for (const label of ['Full name', 'Address', 'City']) {
          content.push(this.text(16, row(24), 200, 20, label, 12));
          content.push(
            this.wf('input', 16, row(56), 379, 48, {
              inputType: 'text_area',
              value: '',
              style: { backgroundColor: '#FFFFFF', borderWidth: 1, borderColor: '#D1D5DB' },
            }),
          );
        }
        content.push(
          this.wf('radio_group', 16, row(120), 379, 112, {
            childWireframes: ['Standard', 'Express', 'Pickup'].map((label, i) =>
              this.wf('input', 16, y - 112 + i * 36, 379, 32, { inputType: 'radio', checked: i === 0, label }),
            ),
          }),
        );
        content.push(
          this.wf('input', 16, row(48), 379, 40, {
            inputType: 'checkbox',
            checked: false,
            label: 'I accept the terms',
          }),
        );
        content.push(
          this.wf('input', 16, row(48), 379, 40, {
            inputType: 'toggle',
            checked: true,
            label: 'Save card for next time',
          }),
        );
        content.push(this.button(16, row(64), 379, 'Pay now'));
        break;
      case 'SettingsActivity':
        for (const label of ['Order updates', 'Newsletter', 'Dark mode', 'Biometric login']) {
          content.push(
            this.wf('input', 16, row(56), 379, 48, { inputType: 'toggle', checked: chance(rng, 0.5), label }),
          );
        }
        content.push(
          this.wf('input', 16, row(56), 379, 48, {
            inputType: 'select',
            value: 'English',
            options: ['English', 'Deutsch', 'Português'],
          }),
        );
        content.push(this.wf('web_view', 0, row(240), MOBILE_WIDTH, 240));
        break;
    }
    const toolbar = this.wf(undefined, 0, 24, MOBILE_WIDTH, 56, {
      style: { backgroundColor: '#FFFFFF' },
      childWireframes: [
        this.text(
          16,
          36,
          300,
          32,
          screen.replace('Activity', '') === 'Main' ? 'Acme Outdoor' : screen.replace('Activity', ''),
          20,
        ),
      ],
    });
    const container = this.wf(undefined, 0, 80, MOBILE_WIDTH, MOBILE_HEIGHT - 128, { childWireframes: content });
    this.list = listScreen ? container : undefined;
    return this.wf(undefined, 0, 0, MOBILE_WIDTH, MOBILE_HEIGHT, {
      style: { backgroundColor: '#FAFAF9' },
      childWireframes: [
        this.wf('status_bar', 0, 0, MOBILE_WIDTH, 24, { style: { backgroundColor: '#1D4AFF' } }),
        toolbar,
        container,
        this.wf('navigation_bar', 0, MOBILE_HEIGHT - 48, MOBILE_WIDTH, 48, { style: { backgroundColor: '#000000' } }),
      ],
    });
  }

  /** A new Activity's decor view: Meta (href is the window title, i.e. the Activity) and a wireframe FullSnapshot. */
  private open(screen: MobileScreen): void {
    this.screen = screen;
    this.root = this.build(screen);
    this.keyboardOpen = false;
    this.push({
      type: EventType.Meta,
      data: { href: `${MOBILE_PACKAGE}.${screen}`, width: MOBILE_WIDTH, height: MOBILE_HEIGHT },
      timestamp: this.t,
    });
    this.push({
      type: EventType.FullSnapshot,
      data: { wireframes: [structuredClone(this.root)], initialOffset: { top: 0, left: 0 } },
      timestamp: this.t,
    });
  }

  /** All wireframes with their parent, flattened like the SDK's flattenChildren. */
  private all(): { w: Wireframe; parent: Wireframe | undefined }[] {
    const out: { w: Wireframe; parent: Wireframe | undefined }[] = [];
    const visit = (w: Wireframe, parent: Wireframe | undefined) => {
      out.push({ w, parent });
      for (const c of w.childWireframes ?? []) visit(c, w);
    };
    if (this.root) visit(this.root, undefined);
    return out;
  }

  /** The mutation the SDK's snapshot diff would produce (adds/removes/updates, absent when empty). */
  private diff(m: Omit<MobileMutation, 'source'>): void {
    // The SDK sends nothing when a snapshot equals the previous one.
    if (!m.adds?.length && !m.removes?.length && !m.updates?.length) return;
    const data: MobileMutation = { source: IncrementalSource.Mutation };
    if (m.adds?.length) data.adds = m.adds;
    if (m.removes?.length) data.removes = m.removes;
    if (m.updates?.length) data.updates = m.updates;
    // Gson writes the fields in declaration order: adds, removes, updates, source.
    const { source, ...rest } = data;
    this.push({ type: EventType.IncrementalSnapshot, data: { ...rest, source }, timestamp: this.t });
  }

  private update(w: Wireframe, parent: Wireframe | undefined): MobileMutatedNode {
    const copy = structuredClone(w);
    return parent ? { wireframe: copy, parentId: parent.id } : { wireframe: copy };
  }

  /** TouchStart on ACTION_DOWN and TouchEnd on ACTION_UP, pointer id as node id, pointerType 2 (Touch). */
  private touch(x: number, y: number): void {
    const { rng } = this;
    const data = (type: MouseInteractions.TouchStart | MouseInteractions.TouchEnd) => ({
      id: 0,
      type,
      x: Math.round(x),
      y: Math.round(y),
      source: IncrementalSource.MouseInteraction as const,
      pointerType: PointerTypes.Touch,
    });
    this.push({ type: EventType.IncrementalSnapshot, data: data(MouseInteractions.TouchStart), timestamp: this.t });
    this.t += rng.int(60, 160);
    this.push({ type: EventType.IncrementalSnapshot, data: data(MouseInteractions.TouchEnd), timestamp: this.t });
  }

  private act(action: 'tap' | 'type' | 'scroll' | 'toggle' | 'navigate' | 'log' | 'request'): void {
    const { rng } = this;
    const items = this.all();
    const pick = (pred: (w: Wireframe) => boolean) => {
      const found = items.filter((x) => pred(x.w));
      return found.length ? rng.pick(found) : undefined;
    };
    switch (action) {
      case 'tap': {
        const hit = pick((w) => w.inputType === 'button' || w.type === 'image');
        if (!hit) return;
        this.touch(hit.w.x + hit.w.width / 2, hit.w.y + hit.w.height / 2);
        this.t += rng.int(150, 900);
        if (hit.w.inputType === 'button') {
          hit.w.style = {
            ...hit.w.style,
            backgroundColor: hit.w.style.backgroundColor === '#1D4AFF' ? '#1538C7' : '#1D4AFF',
          };
          this.diff({ updates: [this.update(hit.w, hit.parent)] });
          if (chance(rng, 0.5)) this.request();
          if (chance(rng, 0.4)) this.navigateTo(weighted(rng, MOBILE_NEXT[this.screen]));
        }
        return;
      }
      case 'type': {
        const hit = pick((w) => w.inputType === 'text_area');
        if (!hit) return;
        this.touch(hit.w.x + 40, hit.w.y + 20);
        this.t += rng.int(200, 500);
        if (!this.keyboardOpen) {
          this.keyboardOpen = true;
          this.push({
            type: EventType.Custom,
            data: { tag: 'keyboard', payload: { open: true, height: rng.pick([268, 291, 336]) } },
            timestamp: this.t,
          });
        }
        const length = rng.int(4, 18);
        // Snapshots are throttled to about one a second, so a burst of typing shows up as a few value updates.
        for (let n = Math.min(length, rng.int(2, 5)); n <= length; n += rng.int(3, 6)) {
          this.t += rng.int(700, 1300);
          hit.w.value = '*'.repeat(n);
          this.diff({ updates: [this.update(hit.w, hit.parent)] });
        }
        if (chance(rng, 0.6)) {
          this.t += rng.int(300, 1500);
          this.keyboardOpen = false;
          this.push({ type: EventType.Custom, data: { tag: 'keyboard', payload: { open: false } }, timestamp: this.t });
        }
        return;
      }
      case 'scroll': {
        this.touch(MOBILE_WIDTH / 2, rng.int(400, 700));
        this.t += rng.int(250, 900);
        const list = this.list;
        if (!list?.childWireframes) return;
        const dy = rng.int(80, 300);
        const updates: MobileMutatedNode[] = [];
        const removes: NonNullable<MobileMutation['removes']> = [];
        const keep: Wireframe[] = [];
        for (const row of list.childWireframes) {
          shiftY(row, -dy);
          if (row.y + row.height < list.y) removes.push({ id: row.id, parentId: list.id });
          else {
            keep.push(row);
            updates.push(this.update(row, list));
          }
        }
        const adds: MobileMutatedNode[] = [];
        const last = keep[keep.length - 1];
        if (removes.length || !last) {
          const p = makeProduct(rng);
          const top = last ? last.y + last.height : list.y;
          const row = this.productRow(top, p);
          keep.push(row);
          // The SDK's flattened diff lists the new row and, again, each of its children.
          adds.push({ wireframe: structuredClone(row), parentId: list.id });
          for (const c of row.childWireframes ?? []) adds.push({ wireframe: structuredClone(c), parentId: row.id });
        }
        list.childWireframes = keep;
        this.diff({ adds, removes, updates });
        return;
      }
      case 'toggle': {
        const hit = pick((w) => w.inputType === 'checkbox' || w.inputType === 'toggle' || w.inputType === 'radio');
        if (!hit) return;
        this.touch(hit.w.x + 20, hit.w.y + hit.w.height / 2);
        this.t += rng.int(200, 900);
        hit.w.checked = !hit.w.checked;
        this.diff({ updates: [this.update(hit.w, hit.parent)] });
        return;
      }
      case 'navigate':
        this.touch(rng.int(20, MOBILE_WIDTH - 20), rng.int(100, MOBILE_HEIGHT - 100));
        this.t += rng.int(250, 700);
        this.navigateTo(weighted(rng, MOBILE_NEXT[this.screen]));
        return;
      case 'log':
        this.log(weighted(rng, { info: 50, debug: 20, warn: 15, error: 15 }));
        return;
      case 'request':
        this.request();
        return;
    }
  }

  private navigateTo(screen: MobileScreen): void {
    this.t += this.rng.int(100, 400);
    this.open(screen);
  }

  /** Rapid taps on one button: touch events only, no Click, so nothing here counts as a web rage click. */
  private rageTap(): void {
    const { rng } = this;
    const target = this.all().find((x) => x.w.inputType === 'button');
    const x = target ? target.w.x + target.w.width / 2 : MOBILE_WIDTH / 2;
    const y = target ? target.w.y + target.w.height / 2 : MOBILE_HEIGHT / 2;
    const n = rng.int(3, 6);
    for (let i = 0; i < n; i++) {
      if (i > 0) this.t += rng.int(60, 200);
      this.touch(x + rng.int(-2, 2), y + rng.int(-2, 2));
    }
  }

  /** Logcat lines as PostHogLogCatIntegration sends them: {level, payload: ["Tag: message"]}, no trace. */
  private log(level: MobileLevel): void {
    const { rng } = this;
    this.push({
      type: EventType.Plugin,
      data: { plugin: 'rrweb/console@1', payload: { level, payload: [rng.pick(logcat[level])] } },
      timestamp: this.t,
    });
  }

  /** PostHogOkHttpInterceptor: one request per plugin event, stamped at the response. */
  private request(): void {
    const { rng } = this;
    const start = this.t;
    const duration = rng.int(40, 1200);
    const status = weighted(rng, { '200': 85, '404': 8, '500': 7 });
    this.t += duration;
    const requests = [
      {
        transferSize: rng.int(200, 40_000),
        name: `https://api.acme-outdoor.test/v1/${rng.pick(['products', 'cart', 'orders', 'recommendations', 'profile'])}`,
        method: rng.pick(['GET', 'GET', 'POST']),
        responseStatus: Number(status),
        timestamp: start,
        duration,
        initiatorType: 'fetch',
        entryType: 'resource',
      },
    ];
    this.push({
      type: EventType.Plugin,
      data: { plugin: 'rrweb/network@1', payload: { requests } },
      timestamp: this.t,
    });
  }
}

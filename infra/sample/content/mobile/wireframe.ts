/** posthog-android's wireframe model, serialized the way its Gson writes it. */

/** posthog-android's RRStyle (posthog/src/main/java/com/posthog/internal/replay/RRStyle.kt); Gson drops nulls. */
export interface MobileStyle {
  color?: string;
  backgroundColor?: string;
  backgroundImage?: string;
  borderWidth?: number;
  borderRadius?: number;
  borderColor?: string;
  fontSize?: number;
  fontFamily?: string;
  horizontalAlign?: string;
  verticalAlign?: string;
  paddingTop?: number;
  paddingBottom?: number;
  paddingLeft?: number;
  paddingRight?: number;
  bar?: string;
}

/**
 * posthog-android's RRWireframe (…/internal/replay/RRWireframe.kt), field order as Gson writes it. `type` is absent
 * for plain ViewGroups (the player draws a div), `style` and `disabled` are always present.
 */
export interface Wireframe {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  childWireframes?: Wireframe[];
  type?: 'text' | 'image' | 'input' | 'radio_group' | 'web_view' | 'status_bar' | 'navigation_bar';
  inputType?: 'button' | 'text_area' | 'checkbox' | 'radio' | 'toggle' | 'select' | 'progress';
  text?: string;
  label?: string;
  value?: string | number;
  base64?: string;
  style: MobileStyle;
  disabled: boolean;
  checked?: boolean;
  options?: string[];
  max?: number;
}

const WIREFRAME_KEY_ORDER: readonly (keyof Wireframe)[] = [
  'id',
  'x',
  'y',
  'width',
  'height',
  'childWireframes',
  'type',
  'inputType',
  'text',
  'label',
  'value',
  'base64',
  'style',
  'disabled',
  'checked',
  'options',
  'max',
];

/** Gson serializes fields in declaration order; keeping it makes the JSON look like the SDK's. */
export function orderWireframe(w: Wireframe): Wireframe {
  const out: Record<string, unknown> = {};
  for (const k of WIREFRAME_KEY_ORDER) if (w[k] !== undefined) out[k] = w[k];
  return out as unknown as Wireframe;
}

export function shiftY(w: Wireframe, dy: number): void {
  w.y += dy;
  for (const c of w.childWireframes ?? []) shiftY(c, dy);
}

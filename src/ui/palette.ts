/**
 * Colours that keep their meaning. A group's colour follows from its own parameters, never from
 * its position in the list:
 * - its baseline picks the family: any baseline cool (blue first), none warm (orange first), so
 *   "no baseline" is orange on every chart, in every preset and with the toggle;
 * - among the groups of a family, the parameter that varies most (a sweep: lr 0.1, 1, 10) sets
 *   the shade, lighter for smaller values, so a sweep reads as a ramp;
 * - any other parameter that tells them apart (an entropy bonus on one of them, or different
 *   baseline modes) moves to the family's next hue: blue, teal, indigo, green; orange, red,
 *   ochre, magenta.
 * Every chart takes its colours from `groupColours`.
 *
 * Also: a categorical palette for arms (the inspector's swatches), the fixed shades the gradient
 * lab uses, and a white-to-colour ramp for the heatmap.
 */
import { type ExperimentConfig, distinguishingParams, resolveGroups } from '../core/config.ts';
import { type ParamKey, type Params, formatValue, kParamSpecs } from '../core/schema.ts';

export interface GroupColour {
  /** Lines, bars, legend markers. */
  readonly line: string;
  /** Text in the group's colour (line labels): the same hue, dark enough to read on white. */
  readonly text: string;
}

interface Hue {
  readonly h: number;
  readonly s: number;
  /** Lightness of a group alone in its shade ramp, and the ramp's lightest and darkest ends (percent). */
  readonly alone: number;
  readonly light: number;
  readonly dark: number;
}

/** With a baseline: blue, then teal, indigo, green. */
const kCool: readonly Hue[] = [
  { h: 213, s: 72, alone: 40, light: 62, dark: 22 },
  { h: 178, s: 72, alone: 31, light: 44, dark: 18 },
  { h: 255, s: 45, alone: 45, light: 66, dark: 28 },
  { h: 140, s: 50, alone: 33, light: 50, dark: 20 },
];
/** Without: orange, then red, ochre, magenta. */
const kWarm: readonly Hue[] = [
  { h: 26, s: 92, alone: 46, light: 60, dark: 29 },
  { h: 355, s: 70, alone: 45, light: 62, dark: 30 },
  { h: 42, s: 90, alone: 38, light: 48, dark: 27 },
  { h: 320, s: 55, alone: 42, light: 62, dark: 28 },
];

/** Keys that switch a feature on (an entropy bonus, a batch): a second choice for the shade ramp. */
const kFeatureKeys: ReadonlySet<string> = new Set(['entropy', 'batch', 'advantageNorm']);

/** Orders groups by `keys` (numbers by value, options by their order, lists as text). */
function compareBy(keys: readonly ParamKey[]) {
  return (a: Params, b: Params): number => {
    for (const key of keys) {
      const x = a[key];
      const y = b[key];
      let order = 0;
      if (typeof x === 'number' && typeof y === 'number') order = x - y;
      else if (Array.isArray(x) && Array.isArray(y)) order = String(x).localeCompare(String(y), 'en', { numeric: true });
      else {
        const spec = kParamSpecs.find((s) => s.key === key);
        const options: readonly string[] = spec?.type === 'enum' ? spec.options : [];
        order = options.indexOf(String(x)) - options.indexOf(String(y));
      }
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** Distinct values of `key` among `groups`, in order. */
function distinct(groups: readonly Params[], key: ParamKey): Params[] {
  const seen = new Map<string, Params>();
  for (const g of groups) if (!seen.has(formatValue(g[key]))) seen.set(formatValue(g[key]), g);
  return [...seen.values()].sort(compareBy([key]));
}

/** Each group's colour, by its parameters (see the top of this file). */
export function groupColours(config: ExperimentConfig): GroupColour[] {
  const groups = resolveGroups(config);
  const mixed = new Set(groups.map((g) => g.baseline).filter((m) => m !== 'none')).size > 1;
  const keys = distinguishingParams(config).filter((key) => key !== 'baseline' || mixed);
  const colours: GroupColour[] = new Array(groups.length);
  for (const family of [kCool, kWarm]) {
    const members = groups.map((params, index) => ({ params, index })).filter(({ params }) => (params.baseline === 'none') === (family === kWarm));
    if (members.length === 0) continue;
    const params = members.map((m) => m.params);
    const varying = keys.filter((key) => distinct(params, key).length > 1);
    // The shade ramp: the numeric key with the most values (a sweep), not a feature switch if a sweep is there.
    const numeric = varying.filter((key) => ['int', 'float'].includes(kParamSpecs.find((s) => s.key === key)?.type ?? ''));
    const primary = [...numeric].sort((a, b) => distinct(params, b).length - distinct(params, a).length
      || Number(kFeatureKeys.has(a)) - Number(kFeatureKeys.has(b)))[0];
    const others = varying.filter((key) => key !== primary);
    const shades = primary ? distinct(params, primary) : [];
    const variants = combinations(params, others);
    for (const { params: p, index } of members) {
      const variant = variants.findIndex((v) => compareBy(others)(v, p) === 0);
      const hue = family[Math.max(0, variant) % family.length];
      const rank = primary ? shades.findIndex((v) => formatValue(v[primary]) === formatValue(p[primary])) : 0;
      const lightness = shades.length < 2 ? hue.alone : hue.light + ((hue.dark - hue.light) * rank) / (shades.length - 1);
      colours[index] = { line: hsl(hue.h, hue.s, lightness), text: hsl(hue.h, hue.s, Math.min(lightness, hue.alone - 4)) };
    }
  }
  return colours;
}

/** The distinct combinations of `keys` among `groups`, in order. */
function combinations(groups: readonly Params[], keys: readonly ParamKey[]): Params[] {
  const compare = compareBy(keys);
  const out: Params[] = [];
  for (const g of [...groups].sort(compare)) if (out.length === 0 || compare(out[out.length - 1], g) !== 0) out.push(g);
  return out;
}

function hsl(h: number, s: number, l: number): string {
  const sat = s / 100;
  const light = l / 100;
  const a = sat * Math.min(light, 1 - light);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/**
 * Dark, medium and light shade of a few fixed hues, by index: the gradient lab's baselines
 * (which are not groups of a run) take theirs from here.
 */
const kGroupShades: readonly (readonly [string, string, string])[] = [
  ['#1d4f91', '#3b7dd8', '#8fb8ee'],
  ['#b34a00', '#f07f1a', '#f7bd85'],
  ['#1b7a2e', '#35a94b', '#97d6a3'],
  ['#a31f1f', '#d94444', '#eea0a0'],
  ['#5b3a8c', '#8a63c4', '#c5b0e3'],
  ['#6b4226', '#9c6b4a', '#d3b8a4'],
  ['#a1246b', '#d6519b', '#eeb0d2'],
  ['#0e6b6e', '#21a3a6', '#93d7d8'],
];

export function groupShade(index: number, shade: 0 | 1 | 2 = 0): string {
  return kGroupShades[index % kGroupShades.length][shade];
}

const kArmColours = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f7f7f',
] as const;

export function armColour(arm: number): string {
  return kArmColours[arm % kArmColours.length];
}

/** `#rrggbb` with an alpha, as rgba(). */
export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = rgb(hex);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a: readonly number[], b: readonly number[], t: number): number[] {
  return a.map((v, i) => v + (b[i] - v) * t);
}

/**
 * 256 RGBA entries from white through a tint of the group's colour, the colour itself and a
 * dark shade of it to near black: density in the heatmap, white where no agent is.
 */
export function heatRamp(colour: GroupColour): Uint8ClampedArray {
  const white = [255, 255, 255];
  const line = rgb(colour.line);
  const stops = [white, mix(white, line, 0.3), line, mix(line, [0, 0, 0], 0.5), [20, 20, 30]];
  const ramp = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const s = Math.min(stops.length - 2, Math.floor(t));
    const f = t - s;
    for (let c = 0; c < 3; c++) ramp[i * 4 + c] = stops[s][c] + (stops[s + 1][c] - stops[s][c]) * f;
    ramp[i * 4 + 3] = 255;
  }
  return ramp;
}

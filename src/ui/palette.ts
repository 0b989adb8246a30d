/**
 * Colours: one hue per group (the baseline comparison's second group is orange), a categorical
 * palette for arms, and a light-to-dark ramp in each group's hue for the heatmap.
 */

/** Dark, medium and light shade of each group's hue. */
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

export function groupShade(group: number, shade: 0 | 1 | 2 = 0): string {
  return kGroupShades[group % kGroupShades.length][shade];
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
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * 256 RGBA entries from white through the group's light, medium and dark shade to near black:
 * density in the heatmap, white where no agent is.
 */
export function heatRamp(group: number): Uint8ClampedArray {
  const stops = [[255, 255, 255], rgb(groupShade(group, 2)), rgb(groupShade(group, 1)), rgb(groupShade(group, 0)), [20, 20, 30]];
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

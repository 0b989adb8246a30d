/**
 * What the time charts write on themselves instead of long legends: a short label at the right
 * end of each group's line, and a marker on the time axis at every live change ("lr 0.1→5").
 * The text comes from the run's config and its live changes; the drawing is a uPlot draw hook.
 * Labels that would overlap are nudged apart vertically, markers' labels stack in rows.
 */
import uPlot from 'uplot';
import { type ExperimentConfig, distinguishingParams, resolveGroups } from '../../core/config.ts';
import type { ParamChange } from '../../core/groups.ts';
import { type ParamKey, type Params, formatValue } from '../../core/schema.ts';

/** Longest line label, in characters (a longer one is cut with an ellipsis). */
const kMaxLabelChars = 26;

function cut(text: string): string {
  return text.length > kMaxLabelChars ? `${text.slice(0, kMaxLabelChars - 1)}…` : text;
}

/** Values that mean "this feature is off": a group that has it so says nothing about it. */
const kOffValues: Readonly<Record<string, string>> = { entropy: '0', batch: '1', advantageNorm: 'none' };

/**
 * One short label per group from the parameters that tell the groups apart ('' for a single
 * group): "no baseline" / "baseline" (or the mode, when several run), "lr 0.1", joined by " · ".
 * A feature a group leaves off is not named ("lr 1", beside "lr 1 · entropy 0.1"), and a
 * normalised batch says "normalised" (its size is in the full label).
 */
export function shortGroupLabels(config: ExperimentConfig): string[] {
  const groups = resolveGroups(config);
  if (groups.length === 1) return [''];
  const keys = distinguishingParams(config);
  // A named group goes by its name.
  if (keys.length === 0) return groups.map((g, i) => (g.label ? cut(g.label) : `group ${i}`));
  const modes = new Set(groups.map((g) => g.baseline).filter((m) => m !== 'none'));
  const part = (params: Params, key: ParamKey): string => {
    const value = formatValue(params[key]);
    if (key === 'baseline') return params.baseline === 'none' ? 'no baseline' : modes.size > 1 ? params.baseline : 'baseline';
    if (kOffValues[key] === value) return '';
    if (key === 'advantageNorm') return value === 'batch' ? 'normalised' : value;
    if (key === 'batch' && formatValue(params['advantageNorm' as ParamKey]) === 'batch') return '';
    return `${key} ${value || '(empty)'}`;
  };
  return groups.map((params) => {
    if (params.label) return cut(params.label);
    const parts = keys.map((key) => part(params, key)).filter((p) => p !== '');
    return cut(parts.length > 0 ? parts.join(' · ') : keys.map((key) => `${key} ${formatValue(params[key])}`).join(' · '));
  });
}

export interface ChangeMarker {
  /** Steps done when the change was made: the line sits there, the new values apply after it. */
  step: number;
  /** "lr 0.1→5", "lr →5" (groups had different values), with the groups when not all took it. */
  text: string;
}

/**
 * One marker per step at which live changes took effect, saying what changed from what to what.
 * `labels` name the groups (shortGroupLabels) for a change not every group took.
 */
export function changeMarkers(config: ExperimentConfig, changes: readonly ParamChange[], labels: readonly string[]): ChangeMarker[] {
  const params = resolveGroups(config);
  const groups = params.length;
  const markers: ChangeMarker[] = [];
  const order = [...changes].sort((a, b) => a.afterStep - b.afterStep);
  for (let i = 0; i < order.length;) {
    const step = order[i].afterStep;
    const before = params.map((p) => ({ ...p }));
    for (; i < order.length && order[i].afterStep === step; i++) {
      const change = order[i];
      if (params[change.group]) params[change.group] = { ...params[change.group], ...change.patch } as Params;
    }
    const parts: string[] = [];
    const touched = new Set<number>();
    for (const key of Object.keys(params[0]) as ParamKey[]) {
      const moved = params.map((p, g) => ({ g, from: formatValue(before[g][key]), to: formatValue(p[key]) })).filter((m) => m.from !== m.to);
      if (moved.length === 0) continue;
      for (const m of moved) touched.add(m.g);
      const from = moved.every((m) => m.from === moved[0].from) ? moved[0].from : '';
      const to = moved.every((m) => m.to === moved[0].to) ? moved[0].to : '…';
      parts.push(`${key} ${from}→${to}`);
    }
    if (parts.length === 0) continue; // changed and changed back between two steps
    const who = groups > 1 && touched.size < groups ? ` (${[...touched].map((g) => labels[g] || `group ${g}`).join(', ')})` : '';
    markers.push({ step, text: cut(`${parts.join(', ')}${who}`) });
  }
  return markers;
}

/**
 * Moves labels (centre `y`, height `h`, in any order) apart so that none overlap, each as close to
 * its own `y` as it can be, all within [top, bottom]. Returns the new centres, in input order.
 */
export function spreadLabels(ys: readonly number[], h: number, top: number, bottom: number): number[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y || a.i - b.i);
  const placed = order.map((o) => Math.min(bottom - h / 2, Math.max(top + h / 2, o.y)));
  // Push down what overlaps the one above, then up from the bottom edge: both passes keep order.
  for (let k = 1; k < placed.length; k++) placed[k] = Math.max(placed[k], placed[k - 1] + h);
  const last = placed.length - 1;
  if (last >= 0 && placed[last] > bottom - h / 2) {
    placed[last] = bottom - h / 2;
    for (let k = last - 1; k >= 0; k--) placed[k] = Math.min(placed[k], placed[k + 1] - h);
  }
  const out = new Array<number>(ys.length);
  order.forEach((o, k) => { out[o.i] = placed[k]; });
  return out;
}

/** A label at the right end of a series' line. */
export interface EndLabel {
  /** Index of the series in the plot. */
  series: number;
  text: string;
  colour: string;
}

/** Where an end label was drawn (CSS pixels in the plot's canvas), for tests and curious users. */
export interface DrawnLabel {
  text: string;
  colour: string;
  /** Where the line ends, and where the label's left middle went. */
  lineX: number;
  lineY: number;
  x: number;
  y: number;
  /** Font size in CSS pixels (smaller than asked where many labels share the height). */
  size: number;
}

/** Where a change marker was drawn. */
export interface DrawnMarker {
  step: number;
  text: string;
  /** The line's x (CSS pixels in the plot's canvas). */
  x: number;
  /** Whether its label was drawn (labels that would sit on top of another are left out). */
  labelled: boolean;
}

export interface LabelFont {
  /** Size in CSS pixels. */
  size: number;
  family: string;
}

function canvasFont(font: LabelFont, weight: number, scale = 1): string {
  return `${weight} ${Math.round(font.size * scale * 10) / 10}px ${font.family}`;
}

/** Width the end labels need right of the plot area, in CSS pixels. */
export function labelGutter(texts: readonly string[], font: LabelFont): number {
  if (texts.every((t) => t === '')) return 0;
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return 0;
  context.font = canvasFont(font, 600);
  return Math.ceil(Math.max(...texts.map((t) => context.measureText(t).width)) + 10);
}

/** The last row with a finite value in `column` (rows past the x column's length do not count). */
function lastFinite(column: ArrayLike<number | null | undefined>, rows: number): number {
  for (let r = Math.min(rows, column.length) - 1; r >= 0; r--) {
    const v = column[r];
    if (v !== null && v !== undefined && Number.isFinite(v)) return r;
  }
  return -1;
}

/** Draws `labels` at the right ends of their series' lines, nudged apart; returns where they went. */
export function drawEndLabels(u: uPlot, labels: readonly EndLabel[], font: LabelFont): DrawnLabel[] {
  const px = uPlot.pxRatio || 1;
  const xs = u.data[0];
  const rows = xs.length;
  const ends: { label: EndLabel; x: number; y: number }[] = [];
  for (const label of labels) {
    const series = u.series[label.series];
    if (!series || series.show === false || !label.text) continue;
    const column = u.data[label.series] as ArrayLike<number | null>;
    const r = lastFinite(column, rows);
    if (r < 0) continue;
    const x = u.valToPos(xs[r] as number, 'x', true);
    const y = u.valToPos(column[r] as number, series.scale ?? 'y', true);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ends.push({ label, x, y });
  }
  if (ends.length === 0) return [];
  const { ctx, bbox } = u;
  // Many groups (16) do not fit one above the other at the asked size: smaller text, down to 8 px.
  const scale = Math.max(8 / font.size, Math.min(1, bbox.height / (ends.length * font.size * 1.2 * px)));
  const height = font.size * scale * 1.2 * px;
  const ys = spreadLabels(ends.map((e) => e.y), height, bbox.top, bbox.top + bbox.height);
  ctx.save();
  ctx.font = canvasFont(font, 600, px * scale);
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.lineJoin = 'round';
  const drawn: DrawnLabel[] = [];
  const canvasRight = ctx.canvas.width;
  ends.forEach((end, i) => {
    // Right of the line's end; a label wider than the gutter left for it slides back over the plot.
    const width = ctx.measureText(end.label.text).width;
    const x = Math.max(bbox.left, Math.min(Math.min(end.x, bbox.left + bbox.width) + 6 * px, canvasRight - width - 2 * px));
    const y = ys[i];
    if (Math.abs(y - end.y) > 2 * px && x > end.x) {
      // A nudged label: a short leader from the line's end, so it still points at its line.
      ctx.strokeStyle = end.label.colour;
      ctx.lineWidth = 1 * px;
      ctx.beginPath();
      ctx.moveTo(end.x + 1 * px, end.y);
      ctx.lineTo(x - 2 * px, y);
      ctx.stroke();
    }
    // A white halo keeps the text legible over grid lines and other series.
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.92)';
    ctx.lineWidth = 3 * px;
    ctx.strokeText(end.label.text, x, y);
    ctx.fillStyle = end.label.colour;
    ctx.fillText(end.label.text, x, y);
    drawn.push({ text: end.label.text, colour: end.label.colour, lineX: end.x / px, lineY: end.y / px, x: x / px, y: y / px, size: font.size * scale });
  });
  ctx.restore();
  return drawn;
}

/**
 * Draws a dashed vertical line at each marker's step across the plot area, with its text at the
 * top (rows of labels, so that nearby changes do not write over each other).
 */
export function drawChangeMarkers(u: uPlot, markers: readonly ChangeMarker[], font: LabelFont, withLabels = true): DrawnMarker[] {
  if (markers.length === 0) return [];
  const px = uPlot.pxRatio || 1;
  const { ctx, bbox } = u;
  const left = bbox.left;
  const right = bbox.left + bbox.width;
  const drawn: DrawnMarker[] = [];
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  ctx.font = canvasFont(font, 600, px * 0.92);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left'; // uPlot leaves the context centred from its axis labels
  const rowHeight = font.size * 1.25 * px;
  const rows = Math.max(1, Math.min(3, Math.floor(bbox.height / rowHeight / 3)));
  const rowEnds = new Array<number>(rows).fill(-Infinity);
  for (const marker of markers) {
    const x = Math.round(u.valToPos(marker.step, 'x', true)) + 0.5;
    if (x < left - 1 || x > right + 1) continue;
    // A white line under a dark dashed one: visible on white, on the heatmap and on the lines.
    ctx.setLineDash([]);
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.lineWidth = 3 * px;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([4 * px, 3 * px]);
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 1.25 * px;
    ctx.stroke();
    let labelled = false;
    if (withLabels) {
      const width = ctx.measureText(marker.text).width + 6 * px;
      // Right of the line, or left of it where the plot ends.
      const boxLeft = x + 3 * px + width <= right ? x + 3 * px : x - 3 * px - width;
      const row = rowEnds.findIndex((end) => boxLeft > end + 4 * px);
      if (row >= 0) {
        const top = bbox.top + 2 * px + row * rowHeight;
        ctx.setLineDash([]);
        ctx.fillStyle = 'rgba(255, 255, 255, 0.88)';
        ctx.fillRect(boxLeft, top, width, rowHeight - 2 * px);
        ctx.fillStyle = '#222';
        ctx.fillText(marker.text, boxLeft + 3 * px, top + 1.5 * px);
        rowEnds[row] = boxLeft + width;
        labelled = true;
      }
    }
    drawn.push({ step: marker.step, text: marker.text, x: x / px, labelled });
  }
  ctx.restore();
  return drawn;
}

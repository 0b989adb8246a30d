/**
 * Chart 2: the population's distribution of pi(best arm) over time, one group per chart. Each
 * column is one recorded row's 64-bin histogram, painted into a small offscreen image (one pixel
 * per bin and row) that a uPlot draw hook stretches under the axes; the mean and the 10% / 90%
 * quantiles are drawn over it and read out on hover. A click asks for the agent there: a
 * `pick-agent` event with the group, the step of the column and the clicked pi(best) (the page's
 * inspector finds the agent nearest it).
 *
 * A gaussian group's histogram bins mu - x* (its mean's distance from the agent's best action)
 * over [-kActionRange, kActionRange] instead of pi(best arm): its chart is the distribution of
 * the agents' actions over time, on a mu - x* axis, with the median and the 10% / 90% quantiles
 * decoded from the quantile columns (the mean of mu - x* is not recorded). A click asks for
 * the agent nearest the mu - x* clicked (as the histogram's value, in [0, 1]).
 */
import type { PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { kActionRange } from '../../core/shared-constants.ts';
import { kHistogramBins } from '../../core/stats.ts';
import { formatNumber } from '../format.ts';
import { heatRamp } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { PgChart, type PlotSpec, basePlotOptions, contextualGroups, gaussianGroups, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

/**
 * A heatmap click: follow the agent of `group` whose histogram value after `step` is nearest
 * `probOptimal`: pi(best), or for a gaussian group (mu - x* + kActionRange) / (2 kActionRange).
 */
export interface PickAgentDetail {
  group: number;
  step: number;
  probOptimal: number;
}

/** The mu - x* axis's ticks. */
const kGapTicks = [-kActionRange, -kActionRange / 2, 0, kActionRange / 2, kActionRange];

/** A gaussian group's histogram value (in [0, 1]) as mu - x*. */
export function actionGapOf(position: number): number {
  return position * 2 * kActionRange - kActionRange;
}

@customElement('pg-heatmap-chart')
export class PgHeatmapChart extends PgChart {
  @property({ type: Number }) group = 0;

  #canvas: HTMLCanvasElement | null = null;
  #image: ImageData | null = null;
  #ramp: Uint8ClampedArray = new Uint8ClampedArray(256 * 4);
  #painted = 0;
  #compactions = -1;
  /** A gaussian group: the median and 10% / 90% quantiles of mu - x*, decoded from the quantile columns. */
  #gaussian = false;
  #decoded: number[][] = [[], [], []];
  #decodedRows = 0;

  protected rebuildOn(changed: PropertyValues): boolean {
    return changed.has('group');
  }

  #isGaussian(session: RunSession): boolean {
    return gaussianGroups(session).includes(Math.min(this.group, session.groups - 1));
  }

  protected get heading(): string {
    const session = this.session;
    const label = session && session.groups > 1 ? ` — ${session.shortLabels[Math.min(this.group, session.groups - 1)]}` : '';
    return session && this.#isGaussian(session) ? `μ − x* across agents${label}` : `π(best arm) across agents${label}`;
  }

  protected get caption(): string {
    const session = this.session;
    if (session && this.#isGaussian(session)) {
      return `A gaussian policy has no arms: each column is the population's μ − x*, each agent's mean action less its best action, from −${kActionRange} to ${kActionRange} (beyond, in the end rows), darker where more agents are. Watch the mass gather at 0 as the means find their optima. Solid: median; dashed: 10% and 90%. Click to follow one agent there, step by step.`;
    }
    const contextual = session !== null && contextualGroups(session).includes(Math.min(this.group, session.groups - 1))
      ? ' On this contextual bandit, π of the best arm in the context each agent saw at that step.'
      : '';
    return `Each column is the population at that step, darker where more agents are: watch the mass climb to 1, or split when some agents lock onto a worse arm. Click to follow one agent there, step by step.${contextual}`;
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const g = Math.min(this.group, session.groups - 1);
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = history.capacity;
    this.#canvas.height = kHistogramBins;
    const context = this.#canvas.getContext('2d') as CanvasRenderingContext2D;
    this.#image = context.createImageData(history.capacity, kHistogramBins);
    this.#ramp = heatRamp(session.colours[g]);
    this.#painted = 0;
    this.#compactions = -1;
    const value = valueFormatter(3);
    this.#gaussian = this.#isGaussian(session);
    if (this.#gaussian) {
      this.#decoded = [[], [], []];
      this.#decodedRows = 0;
      return {
        options: {
          ...basePlotOptions(),
          scales: { x: { time: false }, y: { range: [-kActionRange, kActionRange] } },
          // Ticks at whole steps of the range: uPlot's own would fall at ±5, outside it.
          axes: [kStepAxis, { label: 'μ − x*', labelSize: 20, size: 40, splits: () => kGapTicks, values: (_u, splits) => splits.map((v) => formatNumber(v, 2)) }],
          series: [
            stepSeries(),
            { label: 'median', stroke: '#111', width: 1.5, value, points: { show: false } },
            { label: 'p10', stroke: 'rgba(17,17,17,0.55)', width: 1, dash: [4, 3], value, points: { show: false } },
            { label: 'p90', stroke: 'rgba(17,17,17,0.55)', width: 1, dash: [4, 3], value, points: { show: false } },
          ],
          hooks: { drawClear: [(u) => this.#drawHeatmap(u)], ready: [(u) => this.#listenForPicks(u)] },
        },
        data: [history.steps, ...this.#decoded] as uPlot.AlignedData,
        markers: true,
      };
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [kStepAxis, probabilityAxis('π(best arm)')],
        series: [
          stepSeries(),
          { label: 'mean', stroke: '#111', width: 1.5, value, points: { show: false } },
          { label: 'p10', stroke: 'rgba(17,17,17,0.55)', width: 1, dash: [4, 3], value, points: { show: false } },
          { label: 'p90', stroke: 'rgba(17,17,17,0.55)', width: 1, dash: [4, 3], value, points: { show: false } },
        ],
        hooks: { drawClear: [(u) => this.#drawHeatmap(u)], ready: [(u) => this.#listenForPicks(u)] },
      },
      data: [
        history.steps,
        history.column(g, 'mean_prob_optimal'),
        history.column(g, 'prob_optimal_p10'),
        history.column(g, 'prob_optimal_p90'),
      ] as uPlot.AlignedData,
      markers: true,
    };
  }

  /** Paints the new columns (all of them after the history thinned its rows). */
  protected prepare(session: RunSession): void {
    const history = session.history;
    const image = this.#image;
    const canvas = this.#canvas;
    if (!image || !canvas) return;
    const g = Math.min(this.group, session.groups - 1);
    if (history.compactions !== this.#compactions) {
      this.#compactions = history.compactions;
      this.#painted = 0;
      this.#decodedRows = 0;
    }
    const rows = history.counts[g];
    if (this.#gaussian) this.#decode(session, g, rows);
    if (rows === this.#painted) return;
    const counts = history.histograms[g];
    const agents = history.agents[g];
    const pixels = image.data;
    const ramp = this.#ramp;
    const width = image.width;
    const from = this.#painted;
    for (let r = from; r < rows; r++) {
      for (let b = 0; b < kHistogramBins; b++) {
        // sqrt spreads the low densities: 1 agent in 10,000 still shows, a full bin saturates at 25%.
        const fraction = counts[r * kHistogramBins + b] / agents;
        const level = Math.min(255, Math.round(Math.sqrt(fraction) * 2 * 255));
        const at = ((kHistogramBins - 1 - b) * width + r) * 4; // bin 0 at the bottom
        pixels[at] = ramp[level * 4];
        pixels[at + 1] = ramp[level * 4 + 1];
        pixels[at + 2] = ramp[level * 4 + 2];
        pixels[at + 3] = 255;
      }
    }
    (canvas.getContext('2d') as CanvasRenderingContext2D).putImageData(image, 0, 0, from, 0, rows - from, kHistogramBins);
    this.#painted = rows;
  }

  /** Grows the decoded quantile columns to `rows` rows, in place (from the start after a thinning). */
  #decode(session: RunSession, g: number, rows: number): void {
    const history = session.history;
    const names = ['prob_optimal_p50', 'prob_optimal_p10', 'prob_optimal_p90'];
    for (let i = 0; i < 3; i++) {
      const from = history.column(g, names[i]);
      const to = this.#decoded[i];
      to.length = Math.min(to.length, this.#decodedRows);
      for (let r = this.#decodedRows; r < rows; r++) to[r] = actionGapOf(from[r]);
    }
    this.#decodedRows = rows;
  }

  #listenForPicks(u: uPlot): void {
    u.over.style.cursor = 'crosshair';
    u.over.title = this.#gaussian ? 'Click: follow the agent nearest this μ − x* at this step' : 'Click: follow the agent nearest this π(best) at this step';
    u.over.addEventListener('click', (event: MouseEvent) => {
      const session = this.session;
      if (!session) return;
      const g = Math.min(this.group, session.groups - 1);
      const row = u.posToIdx(event.offsetX);
      if (row < 0 || row >= session.history.counts[g]) return;
      const clicked = u.posToVal(event.offsetY, 'y');
      const value = this.#gaussian ? (clicked + kActionRange) / (2 * kActionRange) : clicked;
      const probOptimal = Math.min(1, Math.max(0, value));
      const detail: PickAgentDetail = { group: g, step: session.history.steps[row], probOptimal };
      this.dispatchEvent(new CustomEvent<PickAgentDetail>('pick-agent', { detail, bubbles: true, composed: true }));
    });
  }

  #drawHeatmap(u: uPlot): void {
    const session = this.session;
    const canvas = this.#canvas;
    if (!session || !canvas) return;
    const history = session.history;
    const g = Math.min(this.group, session.groups - 1);
    const rows = Math.min(this.#painted, history.counts[g]);
    if (rows === 0) return;
    const steps = history.steps;
    const top = u.valToPos(this.#gaussian ? kActionRange : 1, 'y', true);
    const bottom = u.valToPos(this.#gaussian ? -kActionRange : 0, 'y', true);
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    // Each column spans halfway to its neighbours. Rows are evenly spaced within stretches (the
    // page records fewer rows as the run speeds up), so one stretched image per stretch of equal
    // gaps: a handful of draws.
    const window = history.window;
    let first = 0;
    let edge = steps[0] - gapAfter(steps, rows, window, 0) / 2;
    while (first < rows) {
      const gap = gapAfter(steps, rows, window, first);
      let last = first;
      while (last + 1 < rows && gapAfter(steps, rows, window, last + 1) === gap) last++;
      // Columns first..last end halfway to the next row (the last one, as far past its step).
      const end = steps[last] + gap / 2;
      const left = u.valToPos(edge, 'x', true);
      const right = u.valToPos(end, 'x', true);
      ctx.drawImage(canvas, first, 0, last - first + 1, kHistogramBins, left, top, right - left, bottom - top);
      edge = end;
      first = last + 1;
    }
    ctx.restore();
  }
}

/** Steps from row `r` to the next of `rows` (the last row: from the one before it; a lone row: a window). */
function gapAfter(steps: readonly number[], rows: number, window: number, r: number): number {
  if (rows === 1) return window;
  return r + 1 < rows ? steps[r + 1] - steps[r] : steps[r] - steps[r - 1];
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-heatmap-chart': PgHeatmapChart;
  }
}

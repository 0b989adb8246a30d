/**
 * The gaussian policy's view (`actions`, shown where a group is a gaussian policy): how the
 * agents' action distributions N(mu, sigma^2) close in on each agent's best action x*, as two
 * stacked plots on one time axis. Top: the mean over agents of |mu - x*| (solid) and of sigma
 * (dashed): both fall as the agents learn. Bottom: the spread across agents of mu - x*, its
 * median with the 25-75% and 10-90% bands, decoded from the quantile columns (a gaussian group's
 * histogram bins mu - x* over [-kActionRange, kActionRange] mapped onto [0, 1]; quantiles beyond
 * the range sit at its ends). Groups with arms have none of this and are left out.
 */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { kActionRange } from '../../core/shared-constants.ts';
import { formatNumber } from '../format.ts';
import { withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, gaussianGroups, kStepAxis, stepSeries, valueFormatter } from './pg-chart.ts';
import { actionGapOf } from './pg-heatmap-chart.ts';

/** The quantile columns decoded, in the bottom plot's series order per group. */
const kQuantileColumns = ['prob_optimal_p50', 'prob_optimal_p90', 'prob_optimal_p10', 'prob_optimal_p75', 'prob_optimal_p25'] as const;
/** Up to this many groups draw their bands (more on top of each other read as a grey block). */
const kMaxBands = 2;
/** The top plot's time axis: grid lines only, the bottom plot names the steps. */
const kBareStepAxis: uPlot.Axis = { size: 6, labelSize: 0, values: (_u, splits) => splits.map(() => '') };
/** Both y axes as wide, so that the two plots' time axes line up. */
const kYAxisSize = 46;

@customElement('pg-actions-chart')
export class PgActionsChart extends PgChart {
  /** Per shown group: its decoded quantile columns (kQuantileColumns order), grown in place. */
  #decoded: number[][][] = [];
  #groups: number[] = [];
  #decodedRows: number[] = [];
  #compactions = -1;

  protected get plotCount(): number {
    return 2;
  }

  protected get heading(): string {
    return 'Actions across agents';
  }

  protected get caption(): string {
    return `A gaussian policy draws its action x ~ N(μ, σ²); each agent's reward peaks at its own best action x*. Top: mean over agents of |μ − x*| (solid) and of σ (dashed): both fall as the policies narrow onto their optima. Bottom: μ − x* across agents, median with the 25–75% (darker) and 10–90% bands (from the histogram, which ends at ±${kActionRange}).`;
  }

  protected note(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    if (gaussian.length === 0 || gaussian.length === session.groups) return '';
    const others = [];
    for (let g = 0; g < session.groups; g++) if (!gaussian.includes(g)) others.push(session.shortLabels[g] || `group ${g}`);
    return `Groups with arms (${others.join(', ')}) choose among arms, not a continuous action: not shown.`;
  }

  /** Presenting, the top plot alone: the spread of mu - x* is each group's heatmap beside it. */
  protected shownPlots(_session: RunSession): number {
    return this.fill ? 1 : 2;
  }

  protected unavailable(session: RunSession): string {
    return gaussianGroups(session).length === 0
      ? 'No group is a gaussian policy (policy gaussian): this chart shows the continuous actions such groups draw; the groups here choose among arms (see the probability charts).'
      : '';
  }

  protected build(session: RunSession): PlotSpec[] {
    const history = session.history;
    const value = valueFormatter(3);
    const groups = gaussianGroups(session);
    const single = groups.length === 1;
    const alone = this.fill;
    this.#groups = groups;
    this.#decoded = groups.map(() => kQuantileColumns.map(() => [] as number[]));
    this.#decodedRows = groups.map(() => 0);
    this.#compactions = -1;
    const spread: uPlot.Series[] = [stepSeries()];
    const spreadData: number[][] = [history.steps];
    const spreadLabels: EndLabel[] = [];
    const spreadUnlisted: number[] = [];
    const gaps: uPlot.Series[] = [stepSeries()];
    const gapData: number[][] = [history.steps];
    const gapLabels: EndLabel[] = [];
    const gapUnlisted: number[] = [];
    const bands: uPlot.Band[] = [];
    groups.forEach((g, i) => {
      const colour = session.colours[g];
      const group = session.shortLabels[g];
      spread.push({ label: single ? 'mean |μ − x*|' : `|μ − x*| · ${group}`, stroke: colour.line, width: 2.25, value, points: { show: false } });
      spreadData.push(history.column(g, 'mean_action_error'));
      spreadLabels.push({ series: spread.length - 1, text: single ? '|μ − x*|' : group, colour: colour.text });
      spread.push({ label: single ? 'mean σ' : `σ · ${group}`, stroke: withAlpha(colour.line, 0.85), width: 1.5, dash: [6, 4], value, points: { show: false } });
      spreadData.push(history.column(g, 'mean_action_std'));
      if (single) spreadLabels.push({ series: spread.length - 1, text: 'σ', colour: colour.text });
      // Presenting several groups, the legend names each group once (the dashed σ is in the caption's words).
      else if (alone) spreadUnlisted.push(spread.length - 1);
      const columns = this.#decoded[i];
      gaps.push({ label: single ? 'median μ − x*' : group, stroke: colour.line, width: 2, value, points: { show: false } });
      gapData.push(columns[0]);
      gapLabels.push({ series: gaps.length - 1, text: single ? 'median' : group, colour: colour.text });
      if (groups.length > kMaxBands) return;
      const first = gaps.length;
      for (const [label, column] of [['p90', 1], ['p10', 2], ['p75', 3], ['p25', 4]] as const) {
        gaps.push({ label, stroke: withAlpha(colour.line, 0.4), width: 0.75, value, points: { show: false } });
        gapData.push(columns[column]);
      }
      gapUnlisted.push(first, first + 1, first + 2, first + 3);
      bands.push({ series: [first, first + 1], fill: withAlpha(colour.line, 0.1) }, { series: [first + 2, first + 3], fill: withAlpha(colour.line, 0.18) });
    });
    const top = Math.round(this.plotHeight * 0.62);
    return [
      {
        options: {
          ...basePlotOptions(),
          // From 0 to a little above the largest value: both are distances, 0 at the goal.
          scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(0.1, (Number.isFinite(max) ? max : 1) * 1.1)] } },
          axes: [alone ? kStepAxis : kBareStepAxis, { label: '|μ − x*|, σ', labelSize: 20, size: kYAxisSize, values: axisValues }],
          series: spread,
        },
        data: spreadData as uPlot.AlignedData,
        height: alone ? this.plotHeight : top,
        labels: spreadLabels,
        unlisted: spreadUnlisted,
        markers: true,
      },
      {
        options: {
          ...basePlotOptions(),
          // Symmetric about 0 (the goal), wide enough for the bands, at most the histogram's range.
          scales: { x: { time: false }, y: { range: symmetricRange } },
          axes: [kStepAxis, { label: 'μ − x*', labelSize: 20, size: kYAxisSize, values: axisValues }],
          series: gaps,
          bands,
        },
        data: gapData as uPlot.AlignedData,
        height: Math.round(this.plotHeight * 0.8),
        labels: gapLabels,
        unlisted: gapUnlisted,
        markers: true,
        markerText: false,
      },
    ];
  }

  /** Grows each group's decoded columns by the new rows (from the start after the history thinned). */
  protected prepare(session: RunSession): void {
    const history = session.history;
    const restart = history.compactions !== this.#compactions;
    this.#compactions = history.compactions;
    for (let i = 0; i < this.#groups.length; i++) {
      const g = this.#groups[i];
      const rows = history.counts[g];
      const from = restart ? 0 : this.#decodedRows[i];
      const columns = this.#decoded[i];
      for (let q = 0; q < kQuantileColumns.length; q++) {
        const source = history.column(g, kQuantileColumns[q]);
        const column = columns[q];
        column.length = Math.min(column.length, from);
        for (let r = from; r < rows; r++) column[r] = actionGapOf(source[r]);
      }
      this.#decodedRows[i] = rows;
    }
  }
}

function axisValues(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => (v === null ? '' : formatNumber(v, 2)));
}

/** [-m, m] with m the largest |value| shown, rounded up to a half, within [0.5, kActionRange]. */
function symmetricRange(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  const largest = Math.max(Number.isFinite(min) ? Math.abs(min) : 0, Number.isFinite(max) ? Math.abs(max) : 0);
  const m = Math.min(kActionRange, Math.max(0.5, Math.ceil(largest * 1.1 * 2) / 2));
  return [-m, m];
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-actions-chart': PgActionsChart;
  }
}

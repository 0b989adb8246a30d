/**
 * The parameter study (Sutton & Barto figure 2.6 style), live: one point per group at the value
 * of the parameter the groups differ in (a sweep), its height a statistic's value at the latest
 * kept row or its mean over the last rows, with standard-error bars (how each SE is derived:
 * study-stats.ts). Log x where the values are positive and span two decades or more; an option
 * parameter (baseline, env) puts its values side by side. Groups that differ in no parameter or
 * in several get a sentence saying what the chart needs instead of a plot. Both statistics are
 * about arms: a gaussian group (a continuous action) has no point, and says so.
 */
import { type PropertyValues, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { paramSpec } from '../../core/schema.ts';
import { kHistogramBins } from '../../core/stats.ts';
import { formatNumber } from '../format.ts';
import type { RunSession } from '../run-controller.ts';
import { type StudyAxis, type StudyStatistic, histogramDescribesRow, kStudyStatistics, studyAxis, studyPoint } from '../study-stats.ts';
import { PgChart, type PlotSpec, basePlotOptions, gaussianGroups, gaussianNote, probabilityAxis } from './pg-chart.ts';

const kStatisticLabels: Readonly<Record<StudyStatistic, string>> = {
  mean_prob_optimal: 'mean π(best arm)',
  frac_optimal: 'fraction choosing the best arm',
};

/** The averaging choices: the latest kept row, or the mean of the last W kept rows. */
const kRowChoices: readonly number[] = [1, 10, 100];

@customElement('pg-study-chart')
export class PgStudyChart extends PgChart {
  static styles = [
    ...PgChart.styles,
    css`
      .need { margin: 0.6rem 0; padding: 0.8rem; color: #444; background: #f4f6f9; border-radius: 6px; font-size: var(--pg-chart-font, 0.88rem); }
      .title select { font: inherit; font-size: 0.8rem; font-weight: 400; max-width: 13em; }
    `,
  ];

  @state() private statistic: StudyStatistic = 'mean_prob_optimal';
  /** 1: the latest kept row; W: the mean of the last W kept rows. */
  @state() private rows = 1;

  /** The axis the plot was built for (per frame) and the one the session's config gives now (render). */
  #axis: StudyAxis | null = null;
  #shownAxis: StudyAxis | null = null;
  /** Per point, in x order: the SE (for the bars and the readout) and the group. */
  #se: number[] = [];
  #groupAt: number[] = [];
  /** The y column handed to uPlot, filled in place every frame. */
  #y: (number | null)[] = [];
  readonly #point = new Float64Array(2);
  /** Per point, in x order: a gaussian group's (no point: its arm statistics are 0). */
  #gaussian: boolean[] = [];

  protected get heading(): string {
    return 'Parameter study';
  }

  protected get caption(): string {
    const session = this.session;
    const axis = this.#shownAxis;
    if (!session || !axis?.key) return 'Each group\'s value at the end against the parameter it was given.';
    const at = this.rows === 1 ? 'at the latest row' : `averaged over the last ${this.rows} rows`;
    const se = this.statistic === 'frac_optimal'
      ? 'bars: ±1 binomial SE, √(p(1−p)/N) over the N agents'
      : histogramDescribesRow(session.config.params)
        ? `bars: ±1 SE from the across-agent variance of π(best), read from the ${kHistogramBins}-bin histogram (binned values)`
        : 'bars: ±1 SE bound √(p(1−p)/N) (rows average several steps, which the histogram does not describe)';
    const window = this.rows > 1 ? '; over several rows, the mean of their SEs (the rows are correlated: a conservative bound)' : '';
    const live = session.markers.length > 0 ? ' x shows the values the run started with; live changes since are marked on the time charts.' : '';
    return `${kStatisticLabels[this.statistic]} ${at} for each ${axis.key}; ${se}${window}. Same agents and random numbers in every group, so the differences are ${axis.key}'s.${live}`;
  }

  protected controls(): unknown {
    if (!this.session || !this.#shownAxis?.key) return nothing;
    return html`<select id="study-statistic" aria-label="Study statistic" @change=${(e: Event) => { this.statistic = (e.target as HTMLSelectElement).value as StudyStatistic; }}>
        ${kStudyStatistics.map((s) => html`<option value=${s} ?selected=${s === this.statistic}>${kStatisticLabels[s]}</option>`)}
      </select>
      <select id="study-rows" aria-label="Study value: latest row or a mean over the last rows" @change=${(e: Event) => { this.rows = Number((e.target as HTMLSelectElement).value); }}>
        ${kRowChoices.map((w) => html`<option value=${w} ?selected=${w === this.rows}>${w === 1 ? 'latest row' : `mean of last ${w} rows`}</option>`)}
      </select>`;
  }

  render() {
    // Rendered before the plot is built for a new session: the axis comes from the session here.
    const axis = this.session ? studyAxis(this.session.config) : null;
    this.#shownAxis = axis;
    const session = this.session;
    const gaussian = session ? gaussianGroups(session) : [];
    const allGaussian = session !== null && gaussian.length === session.groups;
    const problem = !session ? 'Waiting for a run.' : axis?.problem || (allGaussian ? gaussianNote(session, gaussian, 'the study\'s statistics, π(best arm) and the fraction choosing the best arm, do not apply') : '');
    const note = session && !problem ? gaussianNote(session, gaussian, 'they have no point here') : '';
    return html`<figure>
      <figcaption class="title"><span>${this.heading}</span>${problem ? nothing : this.controls()}</figcaption>
      ${note ? html`<p class="note" part="note">${note}</p>` : nothing}
      ${problem ? html`<p class="need" id="study-need" role="status">${problem}</p>` : nothing}
      <div class="plot" part="plot" data-plot="0" ?hidden=${problem !== ''}></div>
      <p class="caption">${problem ? 'Sutton & Barto figure 2.6 style: each group\'s value against the parameter it was swept over.' : this.caption}</p>
    </figure>`;
  }

  protected rebuildOn(changed: PropertyValues): boolean {
    return changed.has('statistic') || changed.has('rows');
  }

  protected build(session: RunSession): PlotSpec {
    const axis = studyAxis(session.config);
    this.#axis = axis;
    const n = axis.order.length;
    this.#se = new Array<number>(n).fill(Number.NaN);
    this.#groupAt = [...axis.order];
    const gaussian = gaussianGroups(session);
    this.#gaussian = axis.order.map((g) => gaussian.includes(g));
    const x = axis.order.map((g) => axis.x[g]);
    const y = new Array<number | null>(n).fill(null);
    this.#y = y;
    const spec = axis.key ? paramSpec(axis.key) : undefined;
    const se = this.#se;
    const colours = session.colours;
    const labels = session.labels;
    const groupAt = this.#groupAt;
    const xLabel = axis.key ? `${axis.key}${spec ? ` (${spec.label.toLowerCase()})` : ''}${axis.log ? ', log scale' : ''}` : '';
    const xAxis: uPlot.Axis = axis.ticks.length > 0
      ? { label: xLabel, labelSize: 20, size: 36, splits: () => axis.ticks.map((_, i) => i), values: (_u, splits) => splits.map((v) => axis.ticks[v] ?? '') }
      : { label: xLabel, labelSize: 20, size: 36, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v, 3))) };
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: axis.log ? { time: false, distr: 3, log: 10 } : { time: false }, y: { range: [0, 1] } },
        axes: [xAxis, probabilityAxis(kStatisticLabels[this.statistic])],
        series: [
          { label: axis.key ?? 'value', value: (_u, v, _s, i) => (v === null || i === null ? '–' : `${axis.ticks[v] ?? formatNumber(v, 3)} (${labels[groupAt[i]] || `group ${groupAt[i]}`})`) },
          {
            label: kStatisticLabels[this.statistic],
            stroke: '#9aa3ad',
            width: 1.25,
            points: { show: false },
            value: (_u, v, _s, i) => (v === null || i === null ? '–' : `${formatNumber(v, 3)} ± ${formatNumber(se[i], 2)}`),
          },
        ],
        hooks: {
          // Error bars and each group's point in its colour, over the grey line that joins them.
          draw: [(u: uPlot) => {
            const ctx = u.ctx;
            const ys = u.data[1];
            const r = Math.max(3, Math.round(4 * devicePixelRatio));
            const cap = r * 1.3;
            ctx.save();
            for (let i = 0; i < ys.length; i++) {
              const v = ys[i];
              if (v === null || v === undefined) continue;
              const cx = u.valToPos(u.data[0][i], 'x', true);
              const cy = u.valToPos(v, 'y', true);
              const colour = colours[groupAt[i]].line;
              ctx.strokeStyle = colour;
              ctx.fillStyle = colour;
              ctx.lineWidth = Math.max(1, devicePixelRatio * 1.5);
              if (Number.isFinite(se[i]) && se[i] > 0) {
                const top = u.valToPos(Math.min(1, v + se[i]), 'y', true);
                const bottom = u.valToPos(Math.max(0, v - se[i]), 'y', true);
                ctx.beginPath();
                ctx.moveTo(cx, top); ctx.lineTo(cx, bottom);
                ctx.moveTo(cx - cap, top); ctx.lineTo(cx + cap, top);
                ctx.moveTo(cx - cap, bottom); ctx.lineTo(cx + cap, bottom);
                ctx.stroke();
              }
              ctx.beginPath();
              ctx.arc(cx, cy, r, 0, 2 * Math.PI);
              ctx.fill();
            }
            ctx.restore();
          }],
        },
      },
      data: [x, y] as uPlot.AlignedData,
    };
  }

  /** Each point's value and SE from the history: the latest kept row or the mean of the last rows. */
  protected prepare(session: RunSession): void {
    const axis = this.#axis;
    if (!axis?.key) return;
    const y = this.#y;
    const fromHistogram = histogramDescribesRow(session.config.params);
    const gaussian = this.#gaussian;
    for (let i = 0; i < this.#groupAt.length; i++) {
      if (gaussian[i]) {
        y[i] = null;
        continue;
      }
      studyPoint(session.history, this.#groupAt[i], this.statistic, this.rows, fromHistogram, this.#point);
      y[i] = Number.isFinite(this.#point[0]) ? this.#point[0] : null;
      this.#se[i] = this.#point[1];
    }
  }

  protected xRange(_session: RunSession): [number, number] {
    const axis = this.#axis;
    if (!axis?.key || axis.x.length === 0) return [0, 1];
    if (axis.ticks.length > 0) return [-0.5, axis.ticks.length - 0.5];
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of axis.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (axis.log) {
      const pad = (max / min) ** 0.06;
      return [min / pad, max * pad];
    }
    const pad = max > min ? (max - min) * 0.06 : Math.abs(min) * 0.1 || 1;
    return [min - pad, max + pad];
  }

  protected countPoints(session: RunSession): number {
    if (!this.#axis?.key) return 0;
    let points = 0;
    for (const g of this.#groupAt) if (session.history.counts[g] > 0) points++;
    return points;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-study-chart': PgStudyChart;
  }
}

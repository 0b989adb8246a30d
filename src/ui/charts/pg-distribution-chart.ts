/**
 * Distributions, not just means: at a chosen recorded step, the ECDF across agents of pi(best arm)
 * per group (the fraction of agents below each value), from the recorded 64-bin histograms, and
 * the fraction of each group's agents below a threshold, drawn and written out ("no baseline: 41%
 * of agents below 0.5"). The histograms answer exactly only at bin edges, so the threshold snaps
 * to the nearest edge and the text says so when it moved.
 *
 * The step slider spans the recorded rows; at its right end it follows the run. Per frame the
 * ECDF columns (65 points per group) are refilled in place, only when the row shown changes.
 *
 * Each agent's expected reward under its policy is not in the recorded rows: on request the page
 * reads every group's agents (`Engine.readAgents`) and writes its spread at the current step.
 *
 * A gaussian group's histogram bins mu - x*, not pi(best): it is left out of the ECDF and the
 * fractions (its spread is in "Actions across agents"), but its expected rewards are read.
 *
 * For tests: `shownRow`, `shownStep`, `threshold` (the snapped edge) and `fractions` (per group).
 */
import { html, nothing, type PropertyValues, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import type { Engine } from '../../core/engine.ts';
import { groupParamsNow } from '../../core/export.ts';
import { kHistogramBins } from '../../core/stats.ts';
import { type Spread, ecdfAtEdges, fractionBelow, snapThreshold, spreadOf } from '../distribution.ts';
import { errorText } from '../engine-backend.ts';
import { formatCount, formatNumber } from '../format.ts';
import type { RunSession } from '../run-controller.ts';
import { summariseAgents } from '../seed-pick.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, gaussianGroups, gaussianNote, probabilityAxis, valueFormatter } from './pg-chart.ts';

const kDefaultThreshold = 0.5;

@customElement('pg-distribution-chart')
export class PgDistributionChart extends PgChart {
  static styles = [
    ...PgChart.styles,
    css`
      .dist-tools { flex: 1 0 100%; font-weight: 400; }
      .dist-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.9rem; margin: 0 0 0.3rem; font-size: 0.82rem; color: #333; }
      .dist-controls label { display: inline-flex; align-items: center; gap: 0.3rem; }
      .dist-controls input[type='range'] { width: 11rem; accent-color: #1d4f91; }
      .dist-controls input[type='number'] { width: 4.5em; font: inherit; padding: 0.1rem 0.25rem; }
      .dist-controls output { font-variant-numeric: tabular-nums; min-width: 7.5em; }
      .fractions { margin: 0.1rem 0 0.3rem; padding: 0; list-style: none; font-size: 0.85rem; }
      .fractions li { display: inline-block; margin-right: 1rem; }
      .fractions .swatch { display: inline-block; width: 0.7em; height: 0.7em; border-radius: 2px; margin-right: 0.3em; }
      .snap { color: #555; font-size: 0.78rem; margin: 0 0 0.2rem; }
      .reward-head button { font: inherit; font-size: 0.78rem; padding: 0.1rem 0.45rem; border-radius: 5px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
      .rewards li { display: block; font-size: 0.8rem; }
      .rewards-block { margin-top: 0.4rem; border-top: 1px solid #edf0f3; padding-top: 0.3rem; }
      :host([fill]) .rewards-block { display: none; }
    `,
  ];

  /** The step chosen (the row shown is the last at or before it, so thinned rows keep it); null follows the latest. */
  @state() private chosenStep: number | null = null;
  /** The threshold typed (snapped to a bin edge for the counts). */
  @state() private thresholdInput = kDefaultThreshold;
  /** Bumped when the text under the plot changes (a new row or threshold). */
  @state() private textRevision = 0;
  @state() private problem = '';
  /** The running engine (the page passes it down; null between runs). */
  @property({ attribute: false }) engine: Engine | null = null;
  /** Each group's expected reward across agents, at `rewardStep`, read on request. */
  @state() rewards: { step: number; groups: { reward: Spread; best: Spread }[] } | null = null;
  @state() private rewardMessage = '';
  #rewardEngine: Engine | null = null;

  /** The history row drawn, and its step (0 before the first row). */
  shownRow = -1;
  shownStep = 0;
  /** Per group: fraction of agents below `threshold` at the row shown. */
  fractions: number[] = [];
  #edges: number[] = Array.from({ length: kHistogramBins + 1 }, (_, e) => e / kHistogramBins);
  #ecdfs: number[][] = [];
  /** What the ECDFs were last filled from: the row, its step, the history's thinning count, the threshold bin. */
  /** Bins below the threshold's edge (set with the plot: a new threshold builds it again). */
  #thresholdBin = kHistogramBins / 2;
  #drawnFrom = { row: -2, step: -1, compactions: -1, bin: -1 };

  /** The threshold the counts use: the bin edge nearest the one typed. */
  get threshold(): number {
    return snapThreshold(this.thresholdInput, kHistogramBins).edge;
  }

  protected get heading(): string {
    return 'Distribution of π(best arm) across agents';
  }

  protected get caption(): string {
    return 'The fraction of agents whose π(best) is below each value (an ECDF, from the recorded 64-bin histograms) at the step chosen; the dashed line is the threshold. A curve that rises early means many agents still doubt their best arm.';
  }

  protected note(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    return gaussian.length === session.groups ? '' : gaussianNote(session, gaussian, 'they have no π(best) and are left out (their expected rewards are read below)');
  }

  protected unavailable(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    return gaussian.length === session.groups ? gaussianNote(session, gaussian, 'there is no π(best arm) to count') : '';
  }

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has('engine') && this.engine !== this.#rewardEngine) {
      this.#rewardEngine = this.engine;
      this.rewards = null;
      this.rewardMessage = '';
    }
  }

  /** Reads every group's agents and sums up their expected rewards now. */
  async readRewards(): Promise<void> {
    const engine = this.engine;
    const session = this.session;
    if (!engine || !session || engine.stepsDone === 0) return;
    const step = engine.stepsDone;
    const total = session.history.agents.reduce((a, b) => a + b, 0);
    this.rewardMessage = `Reading agents… (${formatCount(total)} agents at step ${step})`;
    try {
      const params = groupParamsNow(engine.config, engine.paramChanges);
      const groups: { reward: Spread; best: Spread }[] = [];
      for (let g = 0; g < session.groups; g++) {
        const summary = summariseAgents(params[g], await engine.readAgents(g));
        if (engine !== this.engine) return;
        groups.push({ reward: spreadOf(summary.expectedReward), best: spreadOf(summary.bestReward) });
      }
      this.rewards = { step, groups };
      this.rewardMessage = '';
    } catch (error) {
      if (engine === this.engine) this.rewardMessage = `Could not read the agents: ${errorText(error)}`;
    }
  }

  #renderRewards(session: RunSession) {
    const rewards = this.rewards;
    const stepsDone = this.engine?.stepsDone ?? 0;
    const button = html`<button id="dist-rewards" type="button" ?disabled=${!this.engine || stepsDone === 0}
      @click=${() => void this.readRewards()} title="Read every agent's state now (a copy of all preferences)">Expected reward now</button>`;
    const f = (v: number) => formatNumber(v, 4);
    const lines = rewards
      ? html`<ul class="fractions rewards" id="dist-reward-lines">${rewards.groups.map(({ reward, best }, g) => {
          const name = session.groups > 1 ? `${session.shortLabels[g]}: ` : '';
          // The best arm's reward is one number for fixed arms, a spread for each agent's own (gaussian) arms.
          const bestText = best.p10 === best.p90 ? f(best.mean) : `${f(best.mean)} on average`;
          return html`<li data-group=${g} data-mean=${String(reward.mean)}><span class="swatch" style=${`background:${session.colours[g].line}`}></span>${name}mean ${f(reward.mean)},
            10% ${f(reward.p10)}, median ${f(reward.p50)}, 90% ${f(reward.p90)} (best arm ${bestText})</li>`;
        })}</ul>`
      : nothing;
    const heading = rewards ? `Expected reward of each agent's policy at step ${rewards.step}${rewards.step === stepsDone ? ' (the current step)' : ` (the run is now at step ${stepsDone})`}:` : 'Each agent\'s expected reward is not in the recorded rows:';
    return html`<p class="snap reward-head">${heading} ${button} ${this.rewardMessage ? html`<span role="status">${this.rewardMessage}</span>` : nothing}</p>${lines}`;
  }

  protected rebuildOn(changed: PropertyValues): boolean {
    return changed.has('thresholdInput');
  }

  protected xRange(): [number, number] {
    return [0, 1];
  }

  protected countPoints(): number {
    return this.shownRow + 1;
  }

  #rows(session: RunSession): number {
    let rows = Number.POSITIVE_INFINITY;
    for (const count of session.history.counts) rows = Math.min(rows, count);
    return Number.isFinite(rows) ? rows : 0;
  }

  protected build(session: RunSession): PlotSpec {
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [{ label: 'π(best)', value: (_u, v) => (v === null ? '–' : formatNumber(v, 3)) }];
    const data: number[][] = [this.#edges];
    const labels: EndLabel[] = [];
    this.#ecdfs = [];
    const gaussian = gaussianGroups(session);
    for (let g = 0; g < session.groups; g++) {
      const column = new Array<number>(kHistogramBins + 1).fill(Number.NaN);
      this.#ecdfs.push(column);
      if (gaussian.includes(g)) continue;
      const colour = session.colours[g];
      series.push({ label: session.groups > 1 ? session.shortLabels[g] : 'fraction below', stroke: colour.line, width: 2, value, points: { show: false } });
      data.push(column);
      labels.push({ series: series.length - 1, text: session.groups > 1 ? session.shortLabels[g] : '', colour: colour.text });
    }
    this.#drawnFrom.row = -2;
    const threshold = this.threshold;
    this.#thresholdBin = snapThreshold(this.thresholdInput, kHistogramBins).bin;
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ ...probabilityAxis('π(best arm)'), size: 36 }, probabilityAxis('fraction of agents below')],
        series,
        hooks: { draw: [(u) => drawThreshold(u, threshold)] },
      },
      data: data as uPlot.AlignedData,
      labels: labels.some((l) => l.text !== '') ? labels : [],
    };
  }

  /** Refills the ECDFs and fractions when the row shown (or the rows under it) changed. */
  protected prepare(session: RunSession): void {
    const history = session.history;
    const rows = this.#rows(session);
    const row = rows === 0 ? -1 : this.chosenStep === null ? rows - 1 : rowAtOrBefore(history.steps, rows, this.chosenStep);
    const step = row < 0 ? 0 : history.steps[row];
    const bin = this.#thresholdBin;
    const from = this.#drawnFrom;
    if (from.row === row && from.step === step && from.compactions === history.compactions && from.bin === bin) return;
    from.row = row;
    from.step = step;
    from.compactions = history.compactions;
    from.bin = bin;
    this.shownRow = row;
    this.shownStep = step;
    for (let g = 0; g < session.groups; g++) {
      const column = this.#ecdfs[g];
      if (row < 0) {
        column.fill(Number.NaN);
        this.fractions[g] = Number.NaN;
        continue;
      }
      ecdfAtEdges(history.histograms[g], row * kHistogramBins, kHistogramBins, column);
      this.fractions[g] = fractionBelow(history.histograms[g], row * kHistogramBins, kHistogramBins, bin);
    }
    this.fractions.length = session.groups;
    this.textRevision++;
  }

  #onThreshold(event: Event): void {
    const input = event.target as HTMLInputElement;
    const value = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      this.problem = `Threshold: must be a number in [0, 1]; using ${formatNumber(this.thresholdInput, 3)}.`;
      return;
    }
    this.problem = '';
    this.thresholdInput = value;
  }

  #onRow(event: Event): void {
    const session = this.session;
    if (!session) return;
    const rows = this.#rows(session);
    const value = Number((event.target as HTMLInputElement).value);
    this.chosenStep = value >= rows - 1 ? null : session.history.steps[value];
    this.refresh();
  }

  /** The step and threshold, and each group's fraction below it, on rows of their own under the title. */
  protected controls(): unknown {
    const session = this.session;
    if (!session) return nothing;
    const rows = this.#rows(session);
    const at = Math.max(0, this.shownRow);
    const following = this.chosenStep === null;
    const snapped = snapThreshold(this.thresholdInput, kHistogramBins);
    const edge = formatNumber(snapped.edge, 4);
    const latest = following ? ' (latest, follows the run)' : '';
    return html`<div class="dist-tools"><div class="dist-controls">
        <label>Step <input id="dist-step" type="range" min="0" max=${Math.max(0, rows - 1)} step="1" .value=${String(at)}
          aria-label="Step of the distribution" aria-valuetext=${`step ${this.shownStep}${latest}`} @input=${this.#onRow} ?disabled=${rows === 0} />
          <output id="dist-step-value">step ${this.shownStep}${following ? ' · latest' : ''}</output></label>
        <label>Threshold <input id="dist-threshold" type="number" min="0" max="1" step="0.05" .value=${String(this.thresholdInput)}
          aria-label="Threshold on π(best)" @change=${this.#onThreshold} /></label>
      </div>
      <ul class="fractions" id="dist-fractions" data-revision=${this.textRevision}>
        ${Array.from({ length: session.groups }, (_, g) => {
          if (gaussianGroups(session).includes(g)) return nothing;
          const fraction = this.fractions[g];
          const name = session.groups > 1 ? `${session.shortLabels[g]}: ` : '';
          const text = Number.isFinite(fraction) ? `${formatNumber(100 * fraction, 3)}% of agents below ${edge}` : 'no row yet';
          return html`<li data-group=${g} data-fraction=${String(fraction)}><span class="swatch" style=${`background:${session.colours[g].line}`}></span>${name}${text}</li>`;
        })}
      </ul>
      ${snapped.moved ? html`<p class="snap" id="dist-snap">The histograms have ${kHistogramBins} bins: the threshold ${formatNumber(this.thresholdInput, 4)} is counted at the nearest bin edge, ${edge}.</p>` : nothing}
      ${this.problem ? html`<p class="snap" role="alert">${this.problem}</p>` : nothing}</div>`;
  }

  /** The chart, then the expected rewards read on request (the plot stays where the controls put it). */
  render() {
    const session = this.session;
    return session ? html`${super.render()}<div class="rewards-block">${this.#renderRewards(session)}</div>` : super.render();
  }
}

/** The last of the first `rows` steps at or before `step` (0 when all are after it). */
function rowAtOrBefore(steps: readonly number[], rows: number, step: number): number {
  let low = 0;
  let high = rows - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (steps[mid] <= step) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The threshold as a dashed vertical line over the plot. */
function drawThreshold(u: uPlot, threshold: number): void {
  const x = u.valToPos(threshold, 'x', true);
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = '#333';
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(x, bbox.top);
  ctx.lineTo(x, bbox.top + bbox.height);
  ctx.stroke();
  ctx.restore();
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-distribution-chart': PgDistributionChart;
  }
}

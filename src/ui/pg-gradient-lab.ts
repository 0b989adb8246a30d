/**
 * The gradient-estimator lab: freeze ONE policy of the experiment's first group and let every
 * sample draw one REINFORCE estimate of its gradient, g = (R - b) grad log pi(a), for four
 * baselines at once. The histograms show the spread of the estimates along the exact gradient's
 * direction, with the exact value on top; the table their means, variances and the samples a
 * given accuracy needs.
 *
 * The learner sets the policy with one preference slider per arm (the first 8 when k > 8) or takes
 * an agent's preferences from the running engine (`Engine.readAgent`; that agent's arms are the
 * bandit, which matters for the gaussian testbed where every agent has its own). The drawing is
 * done by LabRunner (src/ui/lab-runner.ts: GPU or CPU, never here); this component holds the
 * learner's choices, formats, and draws the histograms on a canvas. It is a closed <details> card
 * and costs nothing until it is opened.
 *
 * Test hook: `runner` (its `estimate`, `calls`, `problem`, `progress`).
 */
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { type HistogramRange, type LabProblem, kLabBaselines, labProblemFromParams, samplesForAccuracy } from '../core/gradient-lab.ts';
import { type Params, armLabel } from '../core/schema.ts';
import type { Backend } from './engine-backend.ts';
import { errorText } from './engine-backend.ts';
import { formatCount, formatNumber, formatRate } from './format.ts';
import { LabRunner, type LabRow, labRows } from './lab-runner.ts';
import { groupShade, withAlpha } from './palette.ts';

/** Preference sliders shown; further arms keep their preference. */
const kShownArms = 8;
/** Relative accuracies the "samples needed" column offers (standard error as a share of |grad J|). */
const kAccuracies = [0.01, 0.1, 0.5] as const;

/** One colour per baseline: none orange and the average blue, as "no baseline" and "baseline" are in the charts; constant purple, b* green. */
const kBaselineHue: Record<(typeof kLabBaselines)[number]['id'], number> = { none: 1, average: 0, constant: 4, optimal: 2 };

/** The histogram canvas: row height, label gutter and axis, in CSS pixels. */
const kTopMargin = 18;
const kRowHeight = 60;
const kGutter = 200;
const kAxisHeight = 40;

@customElement('pg-gradient-lab')
export class PgGradientLab extends LitElement {
  static styles = css`
    :host { display: block; }
    details > summary { cursor: pointer; }
    summary h2 { display: inline; font-size: 0.95rem; margin: 0; }
    summary .sub { color: #555; font-size: 0.82rem; margin-left: 0.4rem; }
    .caption { margin: 0.35rem 0 0.55rem; color: #444; font-size: 0.85rem; line-height: 1.45; max-width: 75rem; }
    .lab { display: grid; grid-template-columns: minmax(270px, 320px) minmax(0, 1fr); gap: 0.8rem 1.3rem; align-items: start; }
    @media (max-width: 1000px) { .lab { grid-template-columns: minmax(0, 1fr); } }
    fieldset { border: 1px solid #e3e7ec; border-radius: 6px; padding: 0.3rem 0.6rem 0.5rem; margin: 0 0 0.6rem; min-width: 0; }
    legend { font-weight: 600; font-size: 0.85rem; padding: 0 0.25rem; }
    .arm { display: grid; grid-template-columns: 4.2em minmax(0, 1fr) 2.6em 2.7em 2.9em; gap: 0.3rem; align-items: center; font-size: 0.8rem; font-variant-numeric: tabular-nums; }
    .arm label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .arm .pi, .arm .mu { color: #555; text-align: right; }
    .arm.head { color: #666; font-size: 0.74rem; }
    .arm.head span:not(:first-child) { text-align: right; }
    .arm output { text-align: right; }
    input[type='range'] { width: 100%; margin: 0.15rem 0; accent-color: #1d4f91; }
    .hint { color: #666; font-size: 0.76rem; margin: 0.2rem 0 0; line-height: 1.35; }
    .row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.5rem; font-size: 0.82rem; margin-top: 0.35rem; }
    input[type='number'] { width: 5.5em; font: inherit; font-size: 0.82rem; padding: 0.1rem 0.25rem; }
    select { font: inherit; font-size: 0.82rem; }
    button { font: inherit; font-size: 0.82rem; padding: 0.15rem 0.5rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
    button:hover:not(:disabled) { background: #eef3fa; }
    button:disabled { opacity: 0.5; cursor: default; }
    .status { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.7rem; font-size: 0.85rem; margin-bottom: 0.3rem; font-variant-numeric: tabular-nums; }
    .status .engine { font-weight: 600; }
    .note { font-size: 0.8rem; color: #6b4500; background: #fff4e0; padding: 0.2rem 0.45rem; border-radius: 5px; margin: 0.2rem 0; }
    .plot { width: 100%; min-width: 0; }
    canvas { display: block; }
    .table-wrap { overflow-x: auto; margin-top: 0.5rem; }
    table { border-collapse: collapse; font-size: 0.84rem; font-variant-numeric: tabular-nums; width: 100%; }
    th, td { padding: 0.2rem 0.4rem; text-align: right; border-bottom: 1px solid #edf0f3; white-space: nowrap; }
    th { font-weight: 600; color: #333; font-size: 0.78rem; border-bottom: 1.5px solid #cfd6de; vertical-align: bottom; }
    th:first-child, td:first-child { text-align: left; }
    td .se, td .x { color: #666; font-size: 0.78rem; }
    td.least { font-weight: 700; color: #17522a; }
    .swatch { display: inline-block; width: 0.75em; height: 0.75em; border-radius: 2px; margin-right: 0.35em; vertical-align: baseline; }
    .off { color: #8a5a00; font-size: 0.75rem; }
  `;

  /** Where the page runs (the lab runs on its GPU when it has one). */
  @property({ attribute: false }) backend: Backend | null = null;
  /** The page's experiment: the lab uses its first group's bandit and temperature. */
  @property({ attribute: false }) config: ExperimentConfig | null = null;
  /** The running engine, for "use an agent's policy" (null between runs). */
  @property({ attribute: false }) engine: Engine | null = null;

  @state() private open = false;
  /** The learner's pause button (the lab also rests while closed or the page is hidden). */
  @state() private paused = false;
  @state() private prefs: number[] = [];
  /** The agent whose arms are the bandit (and whose policy the button fetches). */
  @state() private agent = 0;
  @state() private constant: number | null = null;
  @state() private accuracy: number = 0.1;
  @state() private agentNote: string | null = null;

  readonly runner = new LabRunner(this);
  #params: Params | null = null;
  #problem: LabProblem | null = null;
  #observer: ResizeObserver | null = null;
  #plotWidth = 0;

  connectedCallback(): void {
    super.connectedCallback();
    this.#observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[entries.length - 1].contentRect.width);
      if (width !== this.#plotWidth) {
        this.#plotWidth = width;
        this.#draw();
      }
    });
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = null;
  }

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has('config') && this.config) {
      const params = resolveGroups(this.config)[0];
      if (params.arms !== this.prefs.length) {
        // A tilted policy by default: under the uniform one every arm's |grad log pi|^2 is the
        // same and b* equals J, which would hide the difference the lab is about.
        this.prefs = Array.from({ length: params.arms }, (_, j) => Number((-1 + (2 * j) / (params.arms - 1)).toFixed(2)));
        this.constant = null;
      }
      this.agent = Math.min(this.agent, params.agents - 1);
      this.#params = params;
    }
    const params = this.#params;
    if (params && ['config', 'prefs', 'agent', 'constant'].some((key) => changed.has(key))) {
      const bandit = labProblemFromParams(params, this.agent, this.prefs, 0);
      if (this.constant === null) {
        // A start the learner will want to move: the best arm's reward, well above both J and b*.
        this.constant = Number(Math.max(...Array.from(bandit.armMean)).toPrecision(3));
      }
      const [lo, hi] = constantRange(bandit.armMean);
      this.constant = Math.min(hi, Math.max(lo, this.constant));
      this.#problem = { ...bandit, constantBaseline: this.constant };
    }
    this.runner.configure(this.backend, this.#problem);
    this.runner.active = this.open && !this.paused;
  }

  protected updated(): void {
    const plot = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (plot && this.#observer) this.#observer.observe(plot);
    this.#draw();
  }

  #onToggle(event: Event): void {
    this.open = (event.target as HTMLDetailsElement).open;
  }

  #setPref(arm: number, value: number): void {
    const next = this.prefs.slice();
    next[arm] = value;
    this.prefs = next;
    this.agentNote = null;
  }

  async #useAgent(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const agent = this.agent;
    try {
      const state = await engine.readAgent(0, agent);
      if (engine !== this.engine || agent !== this.agent) return;
      this.prefs = Array.from(state.prefs, (v) => Number(v));
      this.agentNote = `Agent ${agent}'s policy after step ${formatCount(engine.stepsDone)}.`;
    } catch (error) {
      this.agentNote = `Could not read agent ${agent}: ${errorText(error)}`;
    }
  }

  render() {
    return html`<details ?open=${this.open} @toggle=${this.#onToggle}>
      <summary><h2>Gradient-estimator lab</h2><span class="sub">one frozen policy, millions of REINFORCE estimates, four baselines</span></summary>
      ${this.open ? this.#body() : nothing}
    </details>`;
  }

  #body() {
    const params = this.#params;
    const analysis = this.runner.analysis;
    if (!params) return html`<p class="caption">Waiting for the experiment…</p>`;
    const estimate = this.runner.estimate;
    const rows = estimate ? labRows(estimate, this.accuracy) : [];
    return html`
      <p class="caption">The policy below stands still. Each sample picks an arm a ~ π, gets a reward R from
        ${this.#banditText(params)}, and makes one REINFORCE estimate g = (R − b) ∇ log π(a) of the gradient, once for
        each baseline b. The histograms show where the estimates land along the direction of the exact gradient ∇J.</p>
      <div class="lab">
        <div class="controls">${this.#policyControls(params)} ${this.#baselineControls()}</div>
        <div>
          ${this.#status()}
          <div class="plot" aria-label="Histograms of the estimates, one row per baseline"><canvas id="lab-canvas"></canvas></div>
          <p class="hint">Each row is scaled to its own peak, so that widths compare. ▲ the sampled mean; ├─┤ the exact
            mean ± 1 sd along u; dashed, the exact |∇J|; bars on the left, the total variance over all k directions.</p>
        </div>
      </div>
      ${analysis ? this.#table(rows) : nothing}
      <p class="caption" id="lab-explain">Every baseline is unbiased: subtracting a number that does not depend on the
        action adds b · E[∇ log π(a)] = 0 on average, so all four histograms balance on the exact value: their means (▲)
        sit on the dashed line, whatever their shapes, within their standard errors. Only the spread differs, and the
        spread is what costs samples. The total variance tr Cov (the bars on the left; the histograms show one of its k
        directions) is a parabola in b, least at b* = E[R |∇ log π|²] / E[|∇ log π|²]: the reward averaged with weights
        |∇ log π(a)|², how hard each action pushes the preferences. The running average (b = J) is close to b* but not
        equal: the unlikely actions, with the largest |∇ log π|², count more in b*.</p>`;
  }

  #banditText(params: Params) {
    const env = params.env;
    if (env === 'gaussian') return html`agent ${this.agent}'s arms (gaussian testbed: each agent has its own)`;
    return env === 'bernoulli' ? 'the experiment\'s bernoulli arms' : 'the experiment\'s fixed arms';
  }

  #policyControls(params: Params) {
    const k = params.arms;
    const analysis = this.runner.analysis;
    const extent = Math.max(4, Math.ceil(Math.max(...this.prefs.map((v) => Math.abs(v)))));
    const agents = params.agents;
    return html`<fieldset id="lab-policy">
      <legend>Policy π = softmax(θ / T), T = ${formatNumber(params.temperature)}</legend>
      <div class="arm head"><span>arm</span><span style="text-align:left">preference θ</span><span>θ</span><span>π</span><span title="the arm's expected reward">mean</span></div>
      ${this.prefs.slice(0, kShownArms).map((theta, j) => html`<div class="arm">
        <label for="lab-pref-${j}" title=${armLabel(params.armNames, j)}>${armLabel(params.armNames, j)}</label>
        <input type="range" id="lab-pref-${j}" min=${-extent} max=${extent} step="0.05" .value=${live(String(theta))}
          @input=${(e: Event) => this.#setPref(j, Number((e.target as HTMLInputElement).value))}>
        <output>${theta.toFixed(2)}</output>
        <span class="pi" data-arm=${j}>${analysis ? formatNumber(analysis.probs[j], 2) : '–'}</span>
        <span class="mu">${analysis ? formatNumber(analysis.armMean[j], 3) : '–'}</span>
      </div>`)}
      ${k > kShownArms ? html`<p class="hint" id="lab-more-arms">Showing the first ${kShownArms} of ${k} arms; the other ${k - kShownArms} keep
        their preference (${this.agentNote ? 'the agent\'s' : 'as set'}).</p>` : nothing}
      <div class="row">
        <label for="lab-agent">Agent</label>
        <input type="number" id="lab-agent" min="0" max=${agents - 1} step="1" .value=${live(String(this.agent))}
          @change=${(e: Event) => {
            const value = Math.round(Number((e.target as HTMLInputElement).value));
            this.agent = Number.isFinite(value) ? Math.min(agents - 1, Math.max(0, value)) : 0;
            this.agentNote = null;
          }}>
        <button id="lab-use-agent" ?disabled=${!this.engine} @click=${() => void this.#useAgent()}
          title=${this.engine ? 'Copy this agent\'s preferences now from the running engine' : 'No run yet'}>use its policy now</button>
      </div>
      ${this.agentNote ? html`<p class="hint" id="lab-agent-note">${this.agentNote}</p>` : nothing}
    </fieldset>`;
  }

  #baselineControls() {
    const analysis = this.runner.analysis;
    const constant = this.constant ?? 0;
    const [lo, hi] = analysis ? constantRange(analysis.armMean) : [constant - 1, constant + 1];
    const step = niceStep((hi - lo) / 400);
    const value = (id: string) => analysis?.baselines.find((b) => b.id === id)?.value;
    return html`<fieldset>
      <legend>Constant baseline b</legend>
      <div class="row" style="margin-top:0">
        <input type="range" id="lab-constant" aria-label="constant baseline b" min=${lo} max=${hi} step=${step}
          .value=${live(String(constant))} @input=${(e: Event) => { this.constant = Number((e.target as HTMLInputElement).value); }}>
        <output id="lab-constant-value">b = ${formatNumber(constant, 3)}</output>
      </div>
      <p class="hint">For comparison: J = ${formatNumber(value('average') ?? NaN, 3)}, b* = ${formatNumber(value('optimal') ?? NaN, 3)}.
        Drag b across b* and watch its variance go through the minimum.</p>
      <div class="row">
        <label for="lab-accuracy">Samples needed for a standard error of</label>
        <select id="lab-accuracy" @change=${(e: Event) => { this.accuracy = Number((e.target as HTMLSelectElement).value); }}>
          ${kAccuracies.map((a) => html`<option value=${a} ?selected=${a === this.accuracy}>${a * 100}%</option>`)}
        </select>
        <span>of |∇J|</span>
      </div>
    </fieldset>`;
  }

  #status() {
    const progress = this.runner.progress;
    const where = progress.kind === 'gpu' ? 'GPU' : 'CPU';
    return html`<div class="status">
      <button id="lab-run" @click=${() => { this.paused = !this.paused; }}>${this.paused ? 'Resume' : 'Pause'}</button>
      <span class="engine" id="lab-engine">${where}</span>
      <span id="lab-samples" data-samples=${progress.samples}>${formatCount(progress.samples)} samples</span>
      <span id="lab-rate">${progress.seconds > 0 ? `in ${formatNumber(progress.seconds, 3)} s · ${formatRate(progress.samplesPerSecond)} samples/s` : ''}</span>
      ${this.paused ? html`<span class="hint">paused</span>` : nothing}
    </div>
    ${progress.note ? html`<p class="note" id="lab-note">${progress.note}</p>` : nothing}`;
  }

  #table(rows: LabRow[]) {
    const analysis = this.runner.analysis;
    if (!analysis) return nothing;
    const least = Math.min(...analysis.baselines.map((b) => b.totalVariance));
    const optimal = analysis.baselines.find((b) => b.id === 'optimal');
    const needed = (variance: number) => samplesForAccuracy(variance, this.accuracy, analysis.gradNorm);
    const base = optimal ? needed(optimal.totalVariance) : NaN;
    return html`<div class="table-wrap"><table id="lab-table">
      <thead><tr>
        <th>baseline</th><th>b</th><th>mean of g · u<br>(± SE)</th><th>exact<br>|∇J|</th>
        <th>variance tr Cov<br>exact</th><th>variance<br>sampled (± SE)</th>
        <th>samples for SE =<br>${this.accuracy * 100}% of |∇J|</th>
      </tr></thead>
      <tbody>${analysis.baselines.map((exact, m) => {
        const row = rows[m] as LabRow | undefined;
        const colour = groupShade(kBaselineHue[exact.id], 0);
        const samples = needed(exact.totalVariance);
        return html`<tr data-baseline=${exact.id}>
          <td><span class="swatch" style="background:${colour}"></span>${exact.label}</td>
          <td>${formatNumber(exact.value, 4)}</td>
          <td data-cell="mean">${row ? html`${formatNumber(row.projectionMean, 4)} <span class="se">± ${formatNumber(row.projectionSe, 2)}</span>` : '–'}</td>
          <td>${formatNumber(exact.projectionMean, 4)}</td>
          <td class=${exact.totalVariance === least ? 'least' : ''} data-cell="exact-variance">${formatNumber(exact.totalVariance, 4)}${exact.totalVariance === least ? ' (least)' : ''}</td>
          <td data-cell="sampled-variance">${row ? html`${formatNumber(row.sampledVariance, 4)} <span class="se">± ${formatNumber(row.sampledVarianceSe, 2)}</span>` : '–'}
            ${row && row.outsideShare > 0.0005 ? html`<br><span class="off">${formatNumber(100 * row.outsideShare, 2)}% off the histogram</span>` : nothing}</td>
          <td>${Number.isFinite(samples) ? formatCount(Math.ceil(samples)) : '∞'}
            ${Number.isFinite(samples) && base > 0 && exact.id !== 'optimal' ? html`<span class="x">(${formatNumber(samples / base, 3)}× b*'s)</span>` : nothing}</td>
        </tr>`;
      })}</tbody>
    </table></div>`;
  }

  /** The histograms, one row per baseline on a shared x axis. */
  #draw(): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('#lab-canvas');
    const estimate = this.runner.estimate;
    const analysis = this.runner.analysis;
    const range = this.runner.range;
    if (!canvas || !analysis || !range) return;
    const width = Math.max(320, this.#plotWidth || canvas.parentElement?.clientWidth || 600);
    const rows = estimate ? labRows(estimate, this.accuracy) : null;
    drawHistograms(canvas, width, range, analysis.baselines[0].projectionMean, rows, analysis.baselines);
  }
}

/** The constant baseline's slider span: every arm's mean and a margin, so that b* +- 1 always fits. */
function constantRange(armMean: ArrayLike<number>): [number, number] {
  const means = Array.from(armMean);
  const low = Math.min(...means);
  const high = Math.max(...means);
  const margin = 1 + 0.5 * (high - low);
  return [Number((low - margin).toPrecision(3)), Number((high + margin).toPrecision(3))];
}

/** A power of ten near `raw` (slider steps that read well). */
function niceStep(raw: number): number {
  return raw > 0 && Number.isFinite(raw) ? 10 ** Math.floor(Math.log10(raw)) : 0.01;
}

/** About `count` round tick values within [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  return out;
}

interface ExactRow {
  id: (typeof kLabBaselines)[number]['id'];
  label: string;
  value: number;
  totalVariance: number;
  projectionMean: number;
  projectionSd: number;
}

/**
 * Draws one row per baseline: the histogram of g . u (each row scaled to its own peak, so that
 * widths compare), a whisker for the exact mean +- 1 sd under it, a triangle at the sampled mean,
 * and one dashed line through all rows at the exact |grad J|. In the label column, a bar per row
 * for the total variance tr Cov (all k directions, not only u): the one b* minimises.
 */
function drawHistograms(canvas: HTMLCanvasElement, width: number, range: HistogramRange, exactMean: number, rows: LabRow[] | null, exact: readonly ExactRow[]): void {
  const height = kTopMargin + exact.length * kRowHeight + kAxisHeight;
  const px = devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * px) || canvas.height !== Math.round(height * px)) {
    canvas.width = Math.round(width * px);
    canvas.height = Math.round(height * px);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(px, 0, 0, px, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const left = kGutter;
  const right = width - 12;
  const x = (v: number) => left + ((v - range.lo) / (range.hi - range.lo)) * (right - left);
  const bins = rows?.[0]?.histogram.length ?? 64;
  const binWidth = (right - left) / bins;
  const largestVariance = Math.max(...exact.map((b) => b.totalVariance));
  const varianceBar = kGutter - 92;
  ctx.textBaseline = 'alphabetic';

  exact.forEach((b, m) => {
    const top = kTopMargin + m * kRowHeight;
    const base = top + kRowHeight - 16;
    const hue = kBaselineHue[b.id];
    const dark = groupShade(hue, 0);
    // Row background: a faint band, the optimal baseline's tinted in its colour.
    ctx.fillStyle = b.id === 'optimal' ? withAlpha(groupShade(hue, 2), 0.18) : m % 2 === 0 ? '#f7f8fa' : '#ffffff';
    ctx.fillRect(0, top, width, kRowHeight);
    ctx.fillStyle = dark;
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.fillText(b.label, 6, top + 16);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#444';
    ctx.fillText(`b = ${formatNumber(b.value, 3)}`, 6, top + 31);
    // The total variance as a bar (shared scale across rows) with its value.
    const barLength = largestVariance > 0 ? (b.totalVariance / largestVariance) * varianceBar : 0;
    ctx.fillStyle = withAlpha(groupShade(hue, 1), 0.8);
    ctx.fillRect(6, top + 37, Math.max(1, barLength), 9);
    ctx.fillStyle = '#333';
    ctx.fillText(`tr Cov ${formatNumber(b.totalVariance, 3)}`, 10 + varianceBar, top + 45);
    const row = rows?.[m];
    if (row) {
      // The edge bins also hold the samples beyond the range: leave them out of the peak.
      const h = row.histogram;
      let peak = 0;
      for (let i = 0; i < bins; i++) if (row.outsideShare === 0 || (i > 0 && i < bins - 1)) peak = Math.max(peak, h[i]);
      const tall = kRowHeight - 22;
      ctx.fillStyle = withAlpha(groupShade(hue, 1), 0.55);
      ctx.strokeStyle = dark;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(left, base);
      for (let i = 0; i < bins; i++) {
        const y = base - (peak > 0 ? Math.min(1, h[i] / peak) : 0) * tall;
        ctx.lineTo(left + i * binWidth, y);
        ctx.lineTo(left + (i + 1) * binWidth, y);
      }
      ctx.lineTo(right, base);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      if (row.outsideShare > 0.0005) {
        ctx.fillStyle = '#8a5a00';
        ctx.textAlign = 'right';
        ctx.fillText(`${formatNumber(100 * row.outsideShare, 2)}% beyond the edges`, right, top + 13);
        ctx.textAlign = 'left';
      }
    }
    // Whisker: exact mean +- 1 sd along u, clipped to the plot.
    const lo = Math.max(left, x(b.projectionMean - b.projectionSd));
    const hi = Math.min(right, x(b.projectionMean + b.projectionSd));
    ctx.strokeStyle = dark;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(lo, base + 7);
    ctx.lineTo(hi, base + 7);
    for (const end of [lo, hi]) {
      ctx.moveTo(end, base + 3);
      ctx.lineTo(end, base + 11);
    }
    ctx.stroke();
    if (row) {
      const mx = x(row.projectionMean);
      ctx.fillStyle = '#111';
      ctx.beginPath();
      ctx.moveTo(mx, base + 1);
      ctx.lineTo(mx - 5, base + 11);
      ctx.lineTo(mx + 5, base + 11);
      ctx.closePath();
      ctx.fill();
    }
  });

  // The axis: ticks of the projection, and what the marks mean.
  const axisTop = kTopMargin + exact.length * kRowHeight;
  ctx.strokeStyle = '#999';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, axisTop + 0.5);
  ctx.lineTo(right, axisTop + 0.5);
  ctx.stroke();
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const t of ticks(range.lo, range.hi, 8)) {
    const tx = x(t);
    ctx.beginPath();
    ctx.moveTo(tx, axisTop);
    ctx.lineTo(tx, axisTop + 4);
    ctx.stroke();
    ctx.fillText(formatNumber(t, 3), tx, axisTop + 16);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = '#444';
  ctx.fillText('g · u: each estimate along u, the direction of ∇J', left, axisTop + 33);
  const gx = x(exactMean);
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 1.5;
  ctx.setLineDash([5, 4]);
  ctx.beginPath();
  ctx.moveTo(gx, kTopMargin - 3);
  ctx.lineTo(gx, axisTop);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.textAlign = 'center';
  ctx.fillStyle = '#111';
  ctx.font = '600 11px system-ui, sans-serif';
  ctx.fillText(`exact |∇J| = ${formatNumber(exactMean, 3)}`, Math.min(right - 60, Math.max(left + 60, gx)), kTopMargin - 6);
  ctx.textAlign = 'left';
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-gradient-lab': PgGradientLab;
  }
}

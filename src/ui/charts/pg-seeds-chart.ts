/**
 * Seeds: a few individual agents' pi(best arm) over one group's 10-90% band, chosen to show the
 * spread. By default the agents at the 10th, 50th and 90th percentile of pi(best) now; others by
 * number, by a rule (the worst pi(best), the agents locked onto a wrong arm) or by a heatmap click.
 * A picked agent goes up as `pick-agent` ({ group, agent }) for the one-agent inspector, and the
 * agent the inspector shows comes back down as `picked` and is drawn in black.
 *
 * Work: the group's state is read (`Engine.readAgents`, a copy of every agent's preferences) only
 * when the run pauses or ends, for groups of up to `kAutoReadFloats` preferences, or when asked;
 * then each seed is replayed once (`Engine.trajectory`). Per frame the seeds' columns only grow by
 * the new rows (null past the step they were replayed to).
 *
 * A gaussian group has no pi(best arm) (a continuous action): the chart says so instead of
 * drawing its zeros, and the group shown by default is one with arms where there is one.
 *
 * For tests: `seeds` holds what is drawn (each seed's pi(best) after every step it covers) and
 * `summary` what was read.
 */
import { consume } from '@lit/context';
import { html, nothing, type PropertyValues, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { resolveGroups } from '../../core/config.ts';
import type { Engine } from '../../core/engine.ts';
import { groupParamsNow } from '../../core/export.ts';
import { errorText } from '../engine-backend.ts';
import { formatCount, formatNumber } from '../format.ts';
import { withAlpha } from '../palette.ts';
import type { ExactAgentPick } from '../pg-agent-inspector.ts';
import { type RunSession, type RunStatus, runStatusContext } from '../run-controller.ts';
import { type AgentSummary, kLockedProbability, lockedOntoWrongArm, probBestAfterSteps, quantileAgents, summariseAgents, worstAgent } from '../seed-pick.ts';
import { PgChart, type PlotSpec, basePlotOptions, gaussianGroups, gaussianNote, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

/** The quantiles of pi(best) whose agents are drawn by default. */
const kQuantiles = [0.1, 0.5, 0.9] as const;
/** Groups with at most this many preferences (agents x arms, 4 bytes each) are read when the run pauses. */
const kAutoReadFloats = 1 << 21;
/** A seed is replayed over at most this many steps (the latest): its arrays grow with them. */
const kMaxSeedSteps = 20_000;

export type SeedRole = 'p10' | 'p50' | 'p90' | 'picked';

export interface Seed {
  role: SeedRole;
  group: number;
  agent: number;
  /** values[i] is pi(best) after `fromStep + i` steps. */
  fromStep: number;
  values: Float64Array;
}

/** What the last read of a group found. */
export interface SeedSummary {
  group: number;
  /** Steps done when the state was read. */
  step: number;
  agents: AgentSummary;
  quantileAgents: number[];
  locked: number[];
}

const kSeedStyle: Record<SeedRole, { stroke: string; width: number; dash?: number[] }> = {
  p10: { stroke: '#5b6470', width: 1.25, dash: [5, 3] },
  p50: { stroke: '#5b6470', width: 1.25 },
  p90: { stroke: '#5b6470', width: 1.25, dash: [2, 2] },
  picked: { stroke: '#111', width: 2.25 },
};

@customElement('pg-seeds-chart')
export class PgSeedsChart extends PgChart {
  static styles = [
    ...PgChart.styles,
    css`
      .seed-tools { flex: 1 0 100%; font-weight: 400; }
      /* Presenting, the room sees the lines; picking happens on the page. */
      :host([fill]) .seed-tools { display: none; }
      .pickers { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.7rem; margin: 0 0 0.3rem; font-size: 0.82rem; color: #333; }
      .pickers label { display: inline-flex; align-items: center; gap: 0.25rem; }
      .pickers input[type='number'] { width: 6em; font: inherit; padding: 0.1rem 0.25rem; }
      .pickers select, .pickers button { font: inherit; font-size: 0.8rem; }
      .pickers button { padding: 0.15rem 0.5rem; border-radius: 5px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
      .pickers button:hover:not(:disabled) { background: #eef3fa; }
      .pickers button:disabled { opacity: 0.5; cursor: default; }
      .seed-status { margin: 0.1rem 0 0.2rem; font-size: 0.82rem; color: #1d3f70; min-height: 1.2em; }
    `,
  ];

  @consume({ context: runStatusContext, subscribe: true })
  @state()
  private status?: RunStatus;

  /** The running engine (the page passes it down; null between runs). */
  @property({ attribute: false }) engine: Engine | null = null;
  /** The agent the inspector shows (the page passes it down), drawn in black. */
  @property({ attribute: false }) picked: ExactAgentPick | null = null;

  /** The group shown; null: the first without a baseline (the widest spread), else group 0. */
  @state() private chosenGroup: number | null = null;
  @state() private message = '';
  @state() private busy = false;
  /** Bumped when the seeds change: the plot is built again with their series. */
  @state() private seedsRevision = 0;

  seeds: Seed[] = [];
  summary: SeedSummary | null = null;
  /** The seeds of the shown group, in the plot's series order, and their columns. */
  #shown: Seed[] = [];
  #columns: (number | null)[][] = [];
  /** Steps done when the run last rested and the picked seed was replayed to it. */
  #restedAt = -1;
  /** A failed read is not retried on its own at the same step and group. */
  #failed = '';
  #compactions = -1;
  /** Bumped by a new engine or group: replies for an older one are dropped. */
  #generation = 0;
  #readEngine: Engine | null = null;
  #lockedCursor = -1;

  protected get heading(): string {
    const session = this.session;
    const g = session ? this.#group(session) : 0;
    const label = session && session.groups > 1 ? ` — ${session.shortLabels[g]}` : '';
    return `Seeds: single agents' π(best arm)${label}`;
  }

  protected get caption(): string {
    return 'Each thin line is one agent; the band holds 10–90% of the group. By default the agents at the 10th, 50th and 90th percentile of π(best) now, read when the run pauses or ends; the black line is the agent open in the one-agent card.';
  }

  get group(): number {
    return this.session ? this.#group(this.session) : 0;
  }

  #group(session: RunSession): number {
    if (this.chosenGroup !== null && this.chosenGroup < session.groups) return this.chosenGroup;
    const groups = resolveGroups(session.config);
    const index = groups.findIndex((params) => params.baseline === 'none' && params.policy !== 'gaussian');
    if (index >= 0) return index;
    const arms = groups.findIndex((params) => params.policy !== 'gaussian');
    return arms < 0 ? 0 : arms;
  }

  #isGaussian(session: RunSession, group: number): boolean {
    return gaussianGroups(session).includes(group);
  }

  protected unavailable(session: RunSession): string {
    const g = this.#group(session);
    if (!this.#isGaussian(session, g)) return '';
    const note = gaussianNote(session, [g], 'its agents have no π(best arm) to follow');
    return session.groups > 1 ? `${session.shortLabels[g] || `Group ${g}`}: ${note.replace(/^Gaussian groups \([^)]*\) have/, 'a gaussian policy has')}` : note;
  }

  protected rebuildOn(changed: PropertyValues): boolean {
    return changed.has('seedsRevision') || changed.has('chosenGroup');
  }

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has('engine') && this.engine !== this.#readEngine) {
      this.#readEngine = this.engine;
      this.#generation++;
      this.seeds = [];
      this.summary = null;
      this.#restedAt = -1;
      this.#failed = '';
      this.message = '';
      this.busy = false;
      this.seedsRevision++;
    }
  }

  protected updated(changed: PropertyValues): void {
    super.updated(changed);
    if (changed.has('picked') || (changed.has('engine') && this.picked)) void this.#showPicked();
    if (changed.has('status') || changed.has('engine') || changed.has('chosenGroup') || changed.has('busy')) this.#maybeAutoRead();
  }

  /** Reads the group when the run rests (paused or at its budget) and the group is small enough. */
  #maybeAutoRead(): void {
    const status = this.status;
    const engine = this.engine;
    const session = this.session;
    if (!status?.ready || status.playing || !engine || !session || this.busy || engine.stepsDone === 0) return;
    if (this.picked && this.#restedAt !== engine.stepsDone) {
      this.#restedAt = engine.stepsDone;
      void this.#showPicked();
    }
    const g = this.#group(session);
    if (this.#isGaussian(session, g)) return;
    if (this.#failed === `${g}:${engine.stepsDone}`) return;
    if (this.summary && this.summary.group === g && this.summary.step === engine.stepsDone) return;
    if (session.history.agents[g] * session.arms > kAutoReadFloats) {
      if (!this.message) this.message = `${formatCount(session.history.agents[g])} agents: press “Quantile agents” to read them (a copy of every agent's preferences).`;
      return;
    }
    void this.readQuantileAgents();
  }

  /** Reads the group's state now and draws its quantile agents (and keeps the summary for the rules). */
  async readQuantileAgents(): Promise<SeedSummary | null> {
    const summary = await this.#read();
    if (!summary) return null;
    const generation = this.#generation;
    const seeds = await this.#replay(summary.quantileAgents.map((agent, i) => ({ role: (['p10', 'p50', 'p90'] as const)[i], group: summary.group, agent })));
    if (!seeds || generation !== this.#generation) return null;
    this.seeds = [...seeds, ...this.seeds.filter((s) => s.role === 'picked')];
    this.seedsRevision++;
    const describe = (seed: Seed) => `${seed.role} agent ${seed.agent} (${formatNumber(seed.values[seed.values.length - 1], 3)})`;
    this.message = `At step ${summary.step}: ${seeds.map(describe).join(', ')}. ${this.#lockedText(summary)}`;
    return summary;
  }

  #lockedText(summary: SeedSummary): string {
    const n = summary.locked.length;
    const share = formatNumber((100 * n) / summary.agents.agents, 2);
    return `${formatCount(n)} agent${n === 1 ? '' : 's'} (${share}%) locked onto a wrong arm (π > ${kLockedProbability}).`;
  }

  /** The current summary of the shown group, read again if the run moved since. */
  async #read(): Promise<SeedSummary | null> {
    const engine = this.engine;
    const session = this.session;
    if (!engine || !session || engine.stepsDone === 0) return null;
    const g = this.#group(session);
    if (this.#isGaussian(session, g)) return null;
    const step = engine.stepsDone;
    if (this.summary && this.summary.group === g && this.summary.step === step) return this.summary;
    const generation = this.#generation;
    this.busy = true;
    this.message = `Reading agents… (${formatCount(session.history.agents[g])} agents of ${session.shortLabels[g] || 'the group'})`;
    try {
      const states = await engine.readAgents(g);
      if (generation !== this.#generation || engine !== this.engine) return null;
      const params = groupParamsNow(engine.config, engine.paramChanges)[g];
      const agents = summariseAgents(params, states);
      const summary: SeedSummary = { group: g, step, agents, quantileAgents: quantileAgents(agents.probBest, kQuantiles), locked: lockedOntoWrongArm(agents) };
      this.summary = summary;
      this.#lockedCursor = -1;
      return summary;
    } catch (error) {
      if (generation === this.#generation) {
        this.message = `Could not read the agents: ${errorText(error)}`;
        this.#failed = `${g}:${step}`;
      }
      return null;
    } finally {
      if (generation === this.#generation) this.busy = false;
    }
  }

  /** Each agent replayed (its exact history), or null when the run changed meanwhile. */
  async #replay(wanted: { role: SeedRole; group: number; agent: number }[]): Promise<Seed[] | null> {
    const engine = this.engine;
    if (!engine) return null;
    const generation = this.#generation;
    const fromStep = Math.max(1, engine.stepsDone - kMaxSeedSteps + 1);
    try {
      const trajectories = await Promise.all(wanted.map((w) => engine.trajectory(w.group, w.agent, fromStep)));
      if (generation !== this.#generation || engine !== this.engine) return null;
      return trajectories.map((t, i) => ({ ...wanted[i], fromStep: t.firstStep - 1, values: probBestAfterSteps(t) }));
    } catch (error) {
      if (generation === this.#generation) this.message = `Could not replay the agents: ${errorText(error)}`;
      return null;
    }
  }

  async #showPicked(): Promise<void> {
    const picked = this.picked;
    const session = this.session;
    if (!picked || !session || !this.engine || this.engine.stepsDone === 0) return;
    if (picked.group >= session.groups || picked.agent >= session.history.agents[picked.group]) return;
    if (picked.group !== this.#group(session)) this.chosenGroup = picked.group;
    const seeds = await this.#replay([{ role: 'picked', group: picked.group, agent: picked.agent }]);
    if (!seeds || this.picked !== picked) return;
    // Quantile agents of another group leave with the switch.
    this.seeds = [...this.seeds.filter((s) => s.role !== 'picked' && s.group === picked.group), seeds[0]];
    this.seedsRevision++;
  }

  /** Asks the page to open `agent` of the shown group in the inspector. */
  #pick(agent: number, note?: string): void {
    const session = this.session;
    if (!session) return;
    const detail: ExactAgentPick = { group: this.#group(session), agent, ...(note ? { note } : {}) };
    this.dispatchEvent(new CustomEvent<ExactAgentPick>('pick-agent', { detail, bubbles: true, composed: true }));
  }

  #onNumber(event: Event): void {
    event.preventDefault();
    const session = this.session;
    if (!session) return;
    const input = this.renderRoot.querySelector<HTMLInputElement>('#seed-agent');
    const agents = session.history.agents[this.#group(session)];
    const value = Number(input?.value ?? '');
    if (!input || input.value.trim() === '' || !Number.isInteger(value) || value < 0 || value >= agents) {
      this.message = `Agent number: agents are numbered 0 to ${formatCount(agents - 1)}.`;
      return;
    }
    this.#pick(value);
  }

  async #pickWorst(): Promise<void> {
    const summary = await this.#read();
    if (!summary) return;
    const agent = worstAgent(summary.agents.probBest);
    if (agent < 0) {
      this.message = 'Every agent of the group has diverged.';
      return;
    }
    const note = `Agent ${agent}: the worst π(best) of the group after step ${summary.step} (${formatNumber(summary.agents.probBest[agent], 3)}).`;
    this.message = `${note} ${this.#lockedText(summary)}`;
    this.#pick(agent, note);
  }

  /** The next agent locked onto a wrong arm (each press moves on to the next one). */
  async #pickLocked(): Promise<void> {
    const summary = await this.#read();
    if (!summary) return;
    const locked = summary.locked;
    if (locked.length === 0) {
      this.message = `No agent is locked onto a wrong arm (π > ${kLockedProbability}) after step ${summary.step}.`;
      return;
    }
    this.#lockedCursor = (this.#lockedCursor + 1) % locked.length;
    const agent = locked[this.#lockedCursor];
    const arm = summary.agents.favourite[agent];
    const note = `Agent ${agent} is locked onto arm ${arm} (π = ${formatNumber(summary.agents.probFavourite[agent], 3)}), not its best arm ${summary.agents.bestArm[agent]}: ${this.#lockedCursor + 1} of ${formatCount(locked.length)} such agents after step ${summary.step}.`;
    this.message = note;
    this.#pick(agent, note);
  }

  /** The pickers and what the last pick found, on a row of their own under the title. */
  protected controls(): unknown {
    const session = this.session;
    const ready = !!session && !!this.engine && (this.status?.stepsDone ?? 0) > 0 && !this.#isGaussian(session, this.#group(session));
    const g = session ? this.#group(session) : 0;
    const agents = session?.history.agents[g] ?? 0;
    const pickers = session ? html`<form class="pickers" @submit=${this.#onNumber}>
        ${session.groups > 1 ? html`<label>Group <select id="seed-group" aria-label="Group of the seeds"
          @change=${(e: Event) => { this.chosenGroup = Number((e.target as HTMLSelectElement).value); }}>
          ${session.labels.map((label, i) => html`<option value=${i} ?selected=${i === g}>${i}: ${label}</option>`)}</select></label>` : nothing}
        <label>Agent <input id="seed-agent" type="number" min="0" max=${Math.max(0, agents - 1)} step="1" aria-label="Agent number"
          placeholder="0 to ${Math.max(0, agents - 1)}" /></label>
        <button id="seed-show" type="submit" ?disabled=${!ready}>Show agent</button>
        <button id="seed-quantiles" type="button" ?disabled=${!ready || this.busy} @click=${() => void this.readQuantileAgents()}
          title="Read every agent now and draw the ones at 10%, 50% and 90% of π(best)">Quantile agents</button>
        <button id="seed-worst" type="button" ?disabled=${!ready || this.busy} @click=${() => void this.#pickWorst()}>Worst final π(best)</button>
        <button id="seed-locked" type="button" ?disabled=${!ready || this.busy} @click=${() => void this.#pickLocked()}>Locked onto a wrong arm</button>
      </form>` : nothing;
    const gaussian = !!session && this.#isGaussian(session, this.#group(session));
    const message = gaussian ? '' : this.message || (ready ? '' : 'Seeds appear once the run has taken a step and rests (pause, or the end of the budget).');
    return html`<div class="seed-tools">${pickers}<p class="seed-status" id="seed-status" role="status">${message}</p></div>`;
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const g = this.#group(session);
    const colour = session.colours[g];
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [
      stepSeries(),
      { label: 'p90', stroke: withAlpha(colour.line, 0.45), width: 0.75, value, points: { show: false } },
      { label: 'p10', stroke: withAlpha(colour.line, 0.45), width: 0.75, value, points: { show: false } },
    ];
    const data: (number | null)[][] = [history.steps, history.column(g, 'prob_optimal_p90'), history.column(g, 'prob_optimal_p10')];
    this.#columns = [];
    this.#compactions = -1;
    this.#shown = this.seeds.filter((s) => s.group === g);
    for (const seed of this.#shown) {
      const style = kSeedStyle[seed.role];
      const label = seed.role === 'picked' ? `agent ${seed.agent}` : `${seed.role} · agent ${seed.agent}`;
      series.push({ label, stroke: style.stroke, width: style.width, dash: style.dash, value, points: { show: false }, spanGaps: false });
      const column: (number | null)[] = [];
      this.#columns.push(column);
      data.push(column);
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [kStepAxis, probabilityAxis('π(best arm)')],
        series,
        bands: [{ series: [1, 2], fill: withAlpha(colour.line, 0.13) }],
      },
      data: data as uPlot.AlignedData,
      unlisted: [1, 2],
      markers: true,
    };
  }

  /** Grows each seed's column by the new rows: its value at the row's step, null where it was not replayed. */
  protected prepare(session: RunSession): void {
    const history = session.history;
    const g = this.#group(session);
    const seeds = this.#shown;
    const restart = history.compactions !== this.#compactions;
    this.#compactions = history.compactions;
    const rows = history.counts[g];
    for (let i = 0; i < seeds.length; i++) {
      const seed = seeds[i];
      const column = this.#columns[i];
      if (!column) continue;
      if (restart) column.length = 0;
      for (let r = column.length; r < rows; r++) {
        const at = history.steps[r] - seed.fromStep;
        column.push(at >= 0 && at < seed.values.length ? seed.values[at] : null);
      }
    }
  }

  /** The seeds drawn (those of the shown group) and their columns, aligned with the history's steps (for tests). */
  get drawnSeeds(): { seed: Seed; column: readonly (number | null)[] }[] {
    return this.#shown.map((seed, i) => ({ seed, column: this.#columns[i] }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-seeds-chart': PgSeedsChart;
  }
}

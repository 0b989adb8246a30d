/**
 * "One agent, step by step": the lesson's exercise "one REINFORCE update by hand", live. The
 * learner picks an agent (its number, or a click on a pi(best) heatmap, which the page hands down
 * as `pick`) and walks through its history: the policy, the draw, the reward and baseline, every
 * arm's update. The numbers come from an exact CPU replay of the agent (`Engine.trajectory`),
 * explained by core/step-explain.ts; the engine's own copy of the agent (`Engine.readAgent`) is
 * compared with the replay's last step, so the learner sees that the replay is the real thing.
 *
 * Work: a replay and a k + 2 word read when the agent changes, and while the run advances at most
 * one refresh at a time, spaced by several times what the last one took (a long run's replay on
 * the main thread must not take the page's frames), and none while the card is off screen.
 * "Step" goes up as a `run-command` event, as the run bar's does. Table cells carry their number
 * at full precision in `data-value` (the text shows 4 digits), for tests and the curious.
 */
import { consume } from '@lit/context';
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Engine, Trajectory } from '../core/engine.ts';
import { nearestAgent } from '../core/replay.ts';
import {
  type AgentStepExplanation,
  type GaussianStepExplanation,
  type StateComparison,
  type StepExplanation,
  type ValueStepExplanation,
  compareAgentState,
  explainAgentStep,
  isGaussianTrajectory,
  isValueTrajectory,
  phaseAt,
} from '../core/step-explain.ts';
import { resolveGroups } from '../core/config.ts';
import { type PickAgentDetail, actionGapOf } from './charts/pg-heatmap-chart.ts';
import { errorText } from './engine-backend.ts';
import { formatCount, formatNumber } from './format.ts';
import { armColour } from './palette.ts';
import { type FormulaTerm, formatTerm } from './pg-formula.ts';
import type { RunCommandDetail } from './pg-run-bar.ts';
import { type RunSession, type RunStatus, runSessionContext, runStatusContext } from './run-controller.ts';

/** One agent by number: what the seeds chart hands the card, and what the card says it shows. */
export interface ExactAgentPick {
  group: number;
  agent: number;
  /** Why this agent, for the card's note ("Worst π(best) of no baseline at step 500"). */
  note?: string;
}

/** Steps the scrubber reaches back (the replay always starts at step 1; only these are kept). */
const kKeptSteps = 5000;
/** Refreshes while the run advances are at least this far apart... */
const kMinRefreshMs = 250;
/** ...and at least this many times what the last one took. */
const kRefreshCostFactor = 4;

const f = formatTerm;
/** A number as a factor or addend in written arithmetic: negatives in parentheses, 0.5 · (−0.2). */
const fx = (value: number) => (value < 0 ? `(${f(value)})` : f(value));

@customElement('pg-agent-inspector')
export class PgAgentInspector extends LitElement {
  static styles = css`
    /* Room for the page's sticky run bar when a heatmap click scrolls the card into view. */
    :host { display: block; scroll-margin-top: 7rem; }
    h2 { font-size: 0.95rem; margin: 0 0 0.15rem; }
    .caption { margin: 0 0 0.5rem; color: #555; font-size: 0.82rem; line-height: 1.35; }
    .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 0.9rem; margin-bottom: 0.5rem; }
    .controls label { font-size: 0.85rem; color: #333; display: inline-flex; align-items: center; gap: 0.3rem; }
    input[type='number'] { width: 6.5em; font: inherit; font-size: 0.9rem; padding: 0.2rem 0.3rem; }
    select { font: inherit; font-size: 0.85rem; }
    .scrub { display: inline-flex; align-items: center; gap: 0.25rem; }
    .scrub input[type='range'] { width: 12rem; accent-color: #1d4f91; }
    .scrub output { font-size: 0.85rem; min-width: 8.5em; font-variant-numeric: tabular-nums; }
    button { font: inherit; font-size: 0.85rem; padding: 0.2rem 0.55rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
    button:hover:not(:disabled) { background: #eef3fa; }
    button:disabled { opacity: 0.5; cursor: default; }
    button.primary { background: #1d4f91; color: #fff; border-color: #1d4f91; font-weight: 600; }
    .empty { color: #555; padding: 0.9rem 0.2rem; margin: 0; }
    .check { margin: 0 0 0.6rem; font-size: 0.85rem; padding: 0.25rem 0.5rem; border-radius: 5px; }
    .check.ok { background: #e7f5ea; color: #17522a; }
    .check.bad, .problem { background: #fde8ea; color: #8a0018; }
    .note { margin: 0 0 0.5rem; font-size: 0.85rem; color: #1d3f70; background: #e8f0fb; padding: 0.25rem 0.5rem; border-radius: 5px; }
    .problem { margin: 0 0 0.5rem; font-size: 0.85rem; padding: 0.25rem 0.5rem; border-radius: 5px; }
    .explain { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 0.9rem 1.6rem; align-items: start; }
    .explain > .wide { grid-column: 1 / -1; }
    @media (max-width: 1100px) { .explain { grid-template-columns: minmax(0, 1fr); } }
    .table-wrap { overflow-x: auto; }
    section h3 { font-size: 0.88rem; margin: 0 0 0.3rem; color: #1a1a1a; }
    section h3 .n { display: inline-block; width: 1.3em; height: 1.3em; line-height: 1.3em; text-align: center; border-radius: 50%; background: #1d4f91; color: #fff; font-size: 0.75rem; margin-right: 0.35em; }
    section p { margin: 0.25rem 0; font-size: 0.9rem; line-height: 1.5; }
    .formula { border: 1px solid #e3e7ec; border-radius: 6px; padding: 0.5rem 0.7rem; background: #fbfcfd; }
    table { border-collapse: collapse; font-size: 0.84rem; font-variant-numeric: tabular-nums; width: 100%; }
    th, td { padding: 0.2rem 0.4rem; text-align: right; border-bottom: 1px solid #edf0f3; white-space: nowrap; }
    th { font-weight: 600; color: #333; font-size: 0.8rem; border-bottom: 1.5px solid #cfd6de; }
    th:first-child, td:first-child { text-align: left; }
    td .eq { color: #666; }
    tr.chosen td { background: #f1f6fd; font-weight: 600; }
    tfoot td { border-bottom: none; color: #333; }
    td.lit, th.lit, span.lit { background: #ffe58a !important; box-shadow: inset 0 0 0 1.5px #d9a400; color: #111; }
    span.lit { border-radius: 3px; }
    .swatch { display: inline-block; width: 0.7em; height: 0.7em; border-radius: 2px; margin-right: 0.35em; vertical-align: baseline; }
    .draw { position: relative; height: 1.6rem; display: flex; border-radius: 4px; overflow: visible; margin: 0.5rem 0 1.3rem; border: 1px solid #cfd6de; }
    .draw .slice { height: 100%; min-width: 1px; opacity: 0.75; position: relative; }
    .draw .slice.chosen { opacity: 1; box-shadow: inset 0 0 0 2px #111; }
    .draw .slice span { position: absolute; left: 0.3em; top: 0.2em; font-size: 0.75rem; color: #111; white-space: nowrap; overflow: hidden; max-width: calc(100% - 0.3em); }
    .draw .u { position: absolute; top: -0.35rem; bottom: -0.35rem; width: 2px; background: #111; }
    .draw .u span { position: absolute; top: 100%; transform: translateX(-50%); font-size: 0.78rem; white-space: nowrap; margin-top: 0.1rem; }
    .num { font-variant-numeric: tabular-nums; font-weight: 600; }
    .slice-range { white-space: nowrap; font-variant-numeric: tabular-nums; margin-right: 0.7em; border-radius: 3px; }
    .muted { color: #666; font-size: 0.82rem; }
    .slice-range.best { font-weight: 600; color: #111; }
    .gaussian-picture { display: block; width: 100%; max-width: 32rem; height: auto; margin: 0.3rem 0 0; font-size: 12px; }
  `;

  @consume({ context: runSessionContext, subscribe: true })
  @state()
  private session: RunSession | null = null;

  @consume({ context: runStatusContext, subscribe: true })
  @state()
  private status?: RunStatus;

  /** The running engine (the page passes it down; null between runs). */
  @property({ attribute: false }) engine: Engine | null = null;
  /** A heatmap click to resolve into an agent, or an exact agent to show (a new object per pick). */
  @property({ attribute: false }) pick: PickAgentDetail | ExactAgentPick | null = null;

  @state() private group = 0;
  @state() private agent: number | null = null;
  /** The step shown; null follows the run's latest step. */
  @state() private step: number | null = null;
  @state() private trajectory: Trajectory | null = null;
  @state() private comparison: StateComparison | null = null;
  @state() private problem: string | null = null;
  @state() private note: string | null = null;
  @state() private activeTerm: FormulaTerm | null = null;
  @state() private hoverArm: number | null = null;

  #explanation: AgentStepExplanation | null = null;
  #timer = 0;
  #inflight = false;
  #again = false;
  /** Bumped whenever what the fetched data is for changes (agent, group, engine). */
  #generation = 0;
  /** What the last fetch saw: replies for anything else are stale. */
  #fetchedSteps = -1;
  #lastCostMs = 0;
  #visible = true;
  #observer: IntersectionObserver | null = null;
  #pickAbort: AbortController | null = null;

  connectedCallback(): void {
    super.connectedCallback();
    this.#observer = new IntersectionObserver((entries) => {
      this.#visible = entries[entries.length - 1].isIntersecting;
      if (this.#visible) this.#refreshSoon();
    });
    this.#observer.observe(this);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = null;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#pickAbort?.abort();
  }

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has('engine')) {
      // A new run (restart, reset, fallback): the old replay is of another run.
      this.#generation++;
      this.trajectory = null;
      this.comparison = null;
      this.#fetchedSteps = -1;
      this.#pickAbort?.abort();
      const session = this.session;
      if (session && (this.group >= session.groups || (this.agent ?? 0) >= session.history.agents[this.group])) {
        this.agent = null;
        this.group = 0;
      }
      if (this.step !== null && this.engine && this.step > this.engine.stepsDone) this.step = null;
    }
    const trajectory = this.trajectory;
    if (trajectory && trajectory.steps > 0) {
      const shown = Math.min(Math.max(this.step ?? trajectory.steps, trajectory.firstStep), trajectory.steps);
      const current = this.#explanation;
      if (!current || current.step !== shown || changed.has('trajectory')) {
        this.#explanation = explainAgentStep(trajectory, shown, this.session?.config.params.armNames ?? []);
      }
    } else {
      this.#explanation = null;
    }
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has('pick') && this.pick) {
      if ('agent' in this.pick) this.#selectExact(this.pick);
      else void this.#resolvePick(this.pick);
    }
    if (changed.has('engine')) this.#refreshSoon(0);
    else if (changed.has('status') && this.status && this.engine && this.status.stepsDone !== this.#fetchedSteps) this.#refreshSoon();
  }

  /** An exact agent (the seeds chart's picks): shown at once, following the run. */
  #selectExact(pick: ExactAgentPick): void {
    const agents = this.session?.history.agents[pick.group];
    if (agents === undefined || !Number.isInteger(pick.agent) || pick.agent < 0 || pick.agent >= agents) {
      this.note = `There is no agent ${pick.agent} in group ${pick.group}.`;
      return;
    }
    this.#pickAbort?.abort();
    // The card sits below the charts: bring it into view (it replays only while on screen).
    this.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    this.note = pick.note ?? null;
    this.#select(pick.group, pick.agent, null);
  }

  /**
   * Picks `agent` of `group` and shows step `step` (null: follow the run). Tells the page which
   * agent it shows (`agent-selected`), so the seeds chart can draw the same one.
   */
  #select(group: number, agent: number, step: number | null): void {
    this.dispatchEvent(new CustomEvent<ExactAgentPick>('agent-selected', { detail: { group, agent }, bubbles: true, composed: true }));
    this.group = group;
    this.agent = agent;
    this.step = step;
    this.#generation++;
    this.trajectory = null;
    this.comparison = null;
    this.problem = null;
    this.#refreshSoon(0);
  }

  /** Schedules a refresh if an agent is picked and the card is on screen; one at a time. */
  #refreshSoon(delay = Math.max(kMinRefreshMs, kRefreshCostFactor * this.#lastCostMs)): void {
    if (this.agent === null || !this.engine || !this.#visible) return;
    if (delay === 0) clearTimeout(this.#timer);
    else if (this.#timer !== 0) return; // a refresh is already due: while the run plays this spaces them
    this.#timer = window.setTimeout(() => {
      this.#timer = 0;
      void this.#fetch();
    }, delay);
  }

  async #fetch(): Promise<void> {
    const engine = this.engine;
    const agent = this.agent;
    const group = this.group;
    if (!engine || agent === null) return;
    if (this.#inflight) {
      this.#again = true;
      return;
    }
    this.#inflight = true;
    const generation = this.#generation;
    const stepsDone = engine.stepsDone;
    const fromStep = Math.max(1, Math.min(this.step ?? stepsDone, stepsDone - kKeptSteps + 1));
    const started = performance.now();
    try {
      // Both are asked in the same turn, so both see the same steps: the replay runs to
      // `stepsDone`, and the engine answers after every advance it has already started.
      const [trajectory, state] = await Promise.all([engine.trajectory(group, agent, fromStep), engine.readAgent(group, agent)]);
      if (generation !== this.#generation || engine !== this.engine) return;
      this.trajectory = trajectory;
      this.comparison = compareAgentState(trajectory, state, engine.kind);
      this.#fetchedSteps = stepsDone;
      this.problem = null;
    } catch (error) {
      if (generation === this.#generation && engine === this.engine) this.problem = `Could not replay agent ${agent}: ${errorText(error)}`;
    } finally {
      this.#lastCostMs = performance.now() - started;
      this.#inflight = false;
      const behind = this.engine !== null && this.engine.stepsDone !== this.#fetchedSteps;
      if (this.#again || generation !== this.#generation || behind) {
        this.#again = false;
        this.#refreshSoon(generation !== this.#generation ? 0 : undefined);
      }
    }
  }

  async #resolvePick(pick: PickAgentDetail): Promise<void> {
    const engine = this.engine;
    const session = this.session;
    if (!engine || !session) return;
    this.#pickAbort?.abort();
    const abort = new AbortController();
    this.#pickAbort = abort;
    // A gaussian group's heatmap value is its mean's distance from the optimum, mu - x*.
    const gaussian = resolveGroups(session.config)[pick.group]?.policy === 'gaussian';
    const what = gaussian ? 'μ − x*' : 'π(best)';
    const shown = (value: number) => f(gaussian ? actionGapOf(value) : value);
    const target = shown(pick.probOptimal);
    // The card sits below the charts: bring it into view, or the click would seem to do nothing.
    this.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    this.note = `Looking for the agent whose ${what} after step ${pick.step} is nearest ${target}…`;
    try {
      const found = await nearestAgent(engine.config, engine.paramChanges, pick.group, pick.step, pick.probOptimal, {
        signal: abort.signal,
        pause: () => new Promise((resolve) => setTimeout(resolve, 0)),
      });
      if (abort.signal.aborted || engine !== this.engine) return;
      if (!found) {
        this.note = `Every agent searched had diverged by step ${pick.step}.`;
        return;
      }
      const agents = session.history.agents[pick.group];
      const among = found.searched < agents ? ` among agents 0 to ${formatCount(found.searched - 1)} (a longer search would hold the page)` : '';
      this.note = `Agent ${found.agent}: ${what} = ${shown(found.probOptimal)} after step ${pick.step}, the nearest to the ${target} clicked${among}.`;
      this.#select(pick.group, found.agent, pick.step);
    } catch (error) {
      if (!abort.signal.aborted) this.note = `Could not find an agent there: ${errorText(error)}`;
    }
  }

  #onAgentInput(event: Event): void {
    const input = event.target as HTMLInputElement;
    const agents = this.session?.history.agents[this.group] ?? 0;
    const value = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(value) || value < 0 || value >= agents) {
      this.note = `Agents are numbered 0 to ${formatCount(agents - 1)}.`;
      return;
    }
    this.note = null;
    this.#select(this.group, value, this.step);
  }

  #onGroup(event: Event): void {
    const group = Number((event.target as HTMLSelectElement).value);
    const agents = this.session?.history.agents[group] ?? 0;
    this.#select(group, Math.min(this.agent ?? 0, agents - 1), this.step);
  }

  /** Moves the shown step; the last step (again) follows the run. */
  #goTo(step: number): void {
    const trajectory = this.trajectory;
    if (!trajectory || trajectory.steps === 0) return;
    const clamped = Math.min(Math.max(Math.round(step), trajectory.firstStep), trajectory.steps);
    this.step = clamped === trajectory.steps ? null : clamped;
  }

  /** One step of the whole run; the inspector follows to it. */
  #advanceRun(): void {
    this.step = null;
    this.dispatchEvent(new CustomEvent<RunCommandDetail>('run-command', { detail: { command: 'step', steps: 1 }, bubbles: true, composed: true }));
  }

  render() {
    const session = this.session;
    const status = this.status;
    const agents = session?.history.agents[this.group] ?? 0;
    return html`
      <h2>One agent, step by step</h2>
      ${this.trajectory && isGaussianTrajectory(this.trajectory)
        ? html`<p class="caption">One gaussian-policy step by hand, for any agent of this group: its policy N(μ, σ²) over a
          continuous action, the draw x = μ + σz, the reward bump around the agent's best action x*, the baseline, and the updates of
          μ and log σ, replayed exactly on the CPU.</p>`
        : this.trajectory && isValueTrajectory(this.trajectory)
        ? html`<p class="caption">One epsilon-greedy step by hand, for any agent of this value-based group: its value estimates
          Q and the greedy arm, the draw, the reward and how far it was from Q, and the one value it updates, replayed exactly on the CPU.</p>`
        : html`<p class="caption">The lesson's “one REINFORCE update by hand”, for any agent of the run: its policy, the draw,
          the reward and baseline, and every arm's update, replayed exactly on the CPU. Hover a term of a formula to find its numbers.${
          this.trajectory && contextsOf(this.trajectory) > 1 ? ' This agent is on a contextual bandit: each step uses the policy and arms of the context it saw.' : ''}</p>`}
      <div class="controls">
        ${session && session.groups > 1 ? html`<label>Group
          <select id="inspect-group" @change=${this.#onGroup}>
            ${session.labels.map((label, g) => html`<option value=${g} ?selected=${g === this.group}>${g}: ${label}</option>`)}
          </select></label>` : nothing}
        <label>Agent <input id="inspect-agent" type="number" min="0" max=${Math.max(0, agents - 1)} step="1"
          placeholder="0 to ${Math.max(0, agents - 1)}" .value=${this.agent === null ? '' : String(this.agent)}
          @change=${this.#onAgentInput} ?disabled=${!session} aria-describedby="agent-range" /></label>
        <span class="muted" id="agent-range">${session ? `of ${formatCount(agents)}` : ''}</span>
        ${this.#renderScrubber()}
        <button id="inspect-step" class="primary" ?disabled=${!status?.ready || status.playing || this.agent === null}
          @click=${this.#advanceRun} title="Advance every agent of the run by one step and show that step">Step the run ▸</button>
      </div>
      ${this.note ? html`<p class="note" id="inspect-note" role="status">${this.note}</p>` : nothing}
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      ${this.#renderBody()}`;
  }

  #renderScrubber() {
    const trajectory = this.trajectory;
    const e = this.#explanation;
    if (!trajectory || !e) return nothing;
    const { firstStep, steps } = trajectory;
    const at = e.step;
    return html`<span class="scrub" role="group" aria-label="Step of the agent's history">
      <button id="step-first" aria-label="First step" ?disabled=${at <= firstStep} @click=${() => this.#goTo(firstStep)}>|◀</button>
      <button id="step-prev" aria-label="Previous step" ?disabled=${at <= firstStep} @click=${() => this.#goTo(at - 1)}>◀</button>
      <input id="step-range" type="range" min=${firstStep} max=${steps} step="1" .value=${String(at)} aria-label="Step"
        aria-valuetext=${`step ${at} of ${steps}`} @input=${(ev: Event) => this.#goTo(Number((ev.target as HTMLInputElement).value))} />
      <button id="step-next" aria-label="Next step" ?disabled=${at >= steps} @click=${() => this.#goTo(at + 1)}>▶</button>
      <button id="step-last" aria-label="Last step (follow the run)" ?disabled=${at >= steps} @click=${() => this.#goTo(steps)}>▶|</button>
      <output id="step-shown">step ${formatCount(at)} of ${formatCount(steps)}${this.step === null ? ' (latest)' : ''}</output>
    </span>`;
  }

  #renderBody() {
    if (!this.session) return html`<p class="empty">The run is starting…</p>`;
    if (this.agent === null) {
      const gaussian = resolveGroups(this.session.config)[this.group]?.policy === 'gaussian';
      return html`<p class="empty" id="inspect-empty">Pick an agent: type a number or click the ${gaussian ? 'μ − x*' : 'π(best)'} chart.</p>`;
    }
    const trajectory = this.trajectory;
    if (!trajectory) return html`<p class="empty">Replaying agent ${this.agent}…</p>`;
    const e = this.#explanation;
    return html`
      ${this.#renderCheck(trajectory)}
      ${e ? this.#renderExplanation(trajectory, e) : html`<p class="empty">Agent ${this.agent} has not taken a step yet: press “Step the run” or Play.</p>`}`;
  }

  #renderCheck(trajectory: Trajectory) {
    const c = this.comparison;
    if (!c) return nothing;
    const kind = this.engine?.kind === 'gpu' ? 'GPU' : 'CPU';
    const diff = formatNumber(c.maxDiff, 2);
    const after = `now (after step ${formatCount(trajectory.steps)})`;
    const what = isValueTrajectory(trajectory) ? ' (its values Q and pull counts n)'
      : isGaussianTrajectory(trajectory) ? ' (its μ, log σ and the critic\'s V)'
      : contextsOf(trajectory) > 1 ? " (every context's preferences and V)" : '';
    if (c.within) {
      const how = c.exact ? 'bit for bit' : `within the ${kind}'s rounding of exp, log and cos`;
      return html`<p class="check ok" id="inspect-check" role="status">✓ The ${kind} engine's state of agent ${trajectory.agent}${what} ${after}
        matches the replay (max |diff| ${diff}, ${how}).</p>`;
    }
    return html`<p class="check bad" id="inspect-check" role="alert">✗ The ${kind} engine's state of agent ${trajectory.agent} ${after}
      differs from the replay: max |diff| ${diff}, more than rounding allows (${formatNumber(c.tolerance, 2)}). The GPU and CPU
      probably rounded a near-tie of u the other way at some step, and from there the agent went its own way.</p>`;
  }

  /** Classes for a table cell that shows `term`: lit while that term of the formula is. */
  #lit(...terms: FormulaTerm[]): string {
    return this.activeTerm !== null && terms.includes(this.activeTerm) ? 'lit' : '';
  }

  /** A number inside written arithmetic, lit while one of `terms` is. */
  #n(text: string, ...terms: FormulaTerm[]) {
    return html`<span class=${this.#lit(...terms)}>${text}</span>`;
  }

  #renderExplanation(trajectory: Trajectory, e: AgentStepExplanation) {
    if (e.kind === 'value') return this.#renderValueExplanation(trajectory, e);
    if (e.kind === 'gaussian') return this.#renderGaussianExplanation(trajectory, e);
    const arm = this.hoverArm ?? e.action;
    const phase = phaseAt(trajectory, e.step);
    const changed = trajectory.phases.length > 1;
    const broken = !e.consistent.probs || !e.consistent.action || !e.consistent.prefs || !e.consistent.critic;
    return html`
      ${broken ? html`<p class="problem" role="alert">Internal check failed: the explanation does not reproduce the replay at step ${e.step}.</p>` : nothing}
      <!-- Reading order: the formulas, then 1 to 4 left to right and top to bottom. -->
      <div class="explain" @term-focus=${(ev: CustomEvent<FormulaTerm | null>) => { this.activeTerm = ev.detail; }}>
        <div>
          <div class="formula"><pg-formula .explanation=${e} .arm=${arm}></pg-formula></div>
          ${changed ? html`<p class="muted">Live changes in this run: ${trajectory.phases.slice(1).map((p) => `from step ${p.fromStep}`).join(', ')};
            step ${e.step} ran with lr ${f(phase.params.lr)}, T ${f(phase.params.temperature)}, baseline ${phase.params.baseline}.</p>` : nothing}
          ${trajectory.firstStep > 1 ? html`<p class="muted">Replayed from step 1; the scrubber reaches back to step ${formatCount(trajectory.firstStep)}.</p>` : nothing}
          ${this.#renderContext(e)}
        </div>
        ${this.#renderSoftmax(e)}
        ${this.#renderDraw(e)}
        ${this.#renderReward(e)}
        ${this.#renderUpdate(e)}
      </div>`;
  }

  /** A gaussian agent's step: N(mu, sigma^2), the draw, the bump it paid, and the two updates. */
  #renderGaussianExplanation(trajectory: Trajectory, e: GaussianStepExplanation) {
    const c = e.consistent;
    const broken = !c.action || !c.reward || !c.prefs || !c.critic;
    const phase = phaseAt(trajectory, e.step);
    return html`
      ${broken ? html`<p class="problem" role="alert">Internal check failed: the explanation does not reproduce the replay at step ${e.step}.</p>` : nothing}
      <div class="explain" id="gaussian-explain">
        <div>
          <div class="formula" id="gaussian-formula">
            <p><b>Policy</b>: a continuous action x ~ N(μ, σ²), σ = exp(log σ); the agent learns μ and log σ (log σ keeps σ positive).</p>
            <p><b>Reward</b>: R = offset + scale · exp(−(x − x*)² / 2) + noise, highest at the agent's best action x*.</p>
            <p><b>Update</b> (REINFORCE, z = (x − μ) / σ): μ ← μ + lr (R − b) z / σ, log σ ← log σ + lr (R − b) (z² − 1),
              since ∂ log π(x) / ∂μ = z / σ and ∂ log π(x) / ∂ log σ = z² − 1.</p>
          </div>
          ${trajectory.phases.length > 1 ? html`<p class="muted">Live changes in this run: ${trajectory.phases.slice(1).map((p) => `from step ${p.fromStep}`).join(', ')};
            step ${e.step} ran with lr ${f(phase.params.lr)}, baseline ${phase.params.baseline}.</p>` : nothing}
          ${trajectory.firstStep > 1 ? html`<p class="muted">Replayed from step 1; the scrubber reaches back to step ${formatCount(trajectory.firstStep)}.</p>` : nothing}
        </div>
        ${this.#renderGaussianPolicy(e)}
        ${this.#renderGaussianDraw(e)}
        ${this.#renderGaussianReward(e)}
        ${this.#renderGaussianUpdate(e)}
      </div>`;
  }

  #renderGaussianPolicy(e: GaussianStepExplanation) {
    return html`<section aria-labelledby="h-gaussian-policy">
      <h3 id="h-gaussian-policy"><span class="n">1</span>Policy before step ${formatCount(e.step)}: x ~ N(μ, σ²)</h3>
      <p id="gaussian-policy-line">μ = <span class="num" data-cell="mu" data-value=${e.mean}>${f(e.mean)}</span>,
        log σ = <span class="num" data-cell="log-sigma" data-value=${e.logSigma}>${f(e.logSigma)}</span>, so
        σ = exp(${f(e.logSigma)}) = <span class="num" data-cell="sigma" data-value=${e.sigma}>${f(e.sigma)}</span>.</p>
      <p>This agent's best action is <span class="num" data-cell="optimum" data-value=${e.optimum}>x* = ${f(e.optimum)}</span>
        (${e.env === 'gaussian' ? 'its own: spread times a standard normal drawn for it' : 'the first of the means, the same for every agent'}):
        so μ − x* = <span data-cell="mu-gap" data-value=${e.mean - e.optimum}>${f(e.mean - e.optimum)}</span>.
        Expected reward of this policy: <span data-cell="expected" data-value=${e.expectedReward}>${f(e.expectedReward)}</span>
        (at most ${f(e.bestReward)}, with μ = x* and σ → 0).</p>
      ${gaussianPicture(e)}
    </section>`;
  }

  #renderGaussianDraw(e: GaussianStepExplanation) {
    return html`<section aria-labelledby="h-gaussian-draw">
      <h3 id="h-gaussian-draw"><span class="n">2</span>Sample the action: x = μ + σ z</h3>
      <p>The step's standard normal is <span class="num" data-cell="z" data-value=${e.z}>z = ${f(e.z)}</span>
        (${Math.abs(e.z) < 1 ? 'within one σ of the mean' : Math.abs(e.z) < 2 ? 'between one and two σ out' : 'a draw far out in the tail'}), so</p>
      <p id="gaussian-action-line">x = ${f(e.mean)} + ${f(e.sigma)} · ${fx(e.z)} = ${f(e.mean)} + ${fx(e.sigmaZ)} =
        <b class="num" data-cell="x" data-value=${e.action}>${f(e.action)}</b>.</p>
    </section>`;
  }

  #renderGaussianReward(e: GaussianStepExplanation) {
    const noise = e.rewardSd === 0
      ? html`No noise (noise = 0): <span class="num ${this.#lit('R')}" data-cell="reward" data-value=${e.reward}>R = ${f(e.reward)}</span>.`
      : html`Noise (sd ${f(e.rewardSd)}) adds <span data-cell="noise" data-value=${e.noise}>${fx(e.noise)}</span>:
        <span class="num ${this.#lit('R')}" data-cell="reward" data-value=${e.reward}>R = ${f(e.bumpReward)} + ${fx(e.noise)} = ${f(e.reward)}</span>
        <span class="muted">(the noise is R minus the bump's reward).</span>`;
    return html`<section aria-labelledby="h-gaussian-reward">
      <h3 id="h-gaussian-reward"><span class="n">3</span>Reward and baseline</h3>
      <p id="gaussian-bump-line">x − x* = ${f(e.action)} − ${fx(e.optimum)} = <span data-cell="gap" data-value=${e.gap}>${f(e.gap)}</span>;
        the bump exp(−(x − x*)² / 2) = exp(−${fx(e.gap)}² / 2) = <span class="num" data-cell="bump" data-value=${e.bump}>${f(e.bump)}</span>,
        so offset + scale · bump = ${f(e.offset)} + ${f(e.scale)} · ${f(e.bump)} = <span data-cell="bump-reward" data-value=${e.bumpReward}>${f(e.bumpReward)}</span>.</p>
      <p>${noise}</p>
      <p>${this.#baselineSentence(e)}</p>
      <p><span class="num ${this.#lit('advantage')}" id="gaussian-advantage" data-value=${e.advantage}>R − b = ${f(e.reward)} − ${fx(e.baseline)} = ${f(e.advantage)}</span>:
        ${e.advantage > 0 ? 'better than the baseline, so the policy moves toward x' : e.advantage < 0 ? 'worse than the baseline, so the policy moves away from x' : 'no better or worse than the baseline, so nothing changes'}.</p>
      ${this.#renderCritic(e)}
    </section>`;
  }

  #renderGaussianUpdate(e: GaussianStepExplanation) {
    const lr = f(e.lr);
    const wider = e.spreadDelta > 0 ? 'σ grows' : e.spreadDelta < 0 ? 'σ shrinks' : 'σ stays';
    const why = e.spreadScore > 0 ? 'x was more than one σ from μ' : 'x was within one σ of μ';
    return html`<section class="wide" aria-labelledby="h-gaussian-update">
      <h3 id="h-gaussian-update"><span class="n">4</span>Update μ and log σ: each ← itself + lr · (R − b) · ∂ log π(x), lr = ${lr}</h3>
      <div class="table-wrap"><table id="gaussian-update-table">
        <thead><tr>
          <th>parameter</th>
          <th>before</th>
          <th>∂ log π(x)</th>
          <th>update = lr · (R − b) · ∂ log π(x)</th>
          <th>after = before + update</th>
        </tr></thead>
        <tbody>
          <tr data-param="mu">
            <td>μ</td>
            <td data-cell="mu-before" data-value=${e.mean}>${f(e.mean)}</td>
            <td data-cell="mu-score" data-value=${e.meanScore}><span class="eq">z / σ = ${fx(e.z)} / ${f(e.sigma)} =</span> ${f(e.meanScore)}</td>
            <td data-cell="mu-delta" data-value=${e.meanDelta}><span class="eq">${lr} · ${fx(e.advantage)} · ${fx(e.meanScore)} =</span> ${f(e.meanDelta)}</td>
            <td data-cell="mu-after" data-value=${e.meanAfter}><span class="eq">${f(e.mean)} + ${fx(e.meanDelta)} =</span> <b>${f(e.meanAfter)}</b></td>
          </tr>
          <tr data-param="log-sigma">
            <td>log σ</td>
            <td data-cell="log-sigma-before" data-value=${e.logSigma}>${f(e.logSigma)}</td>
            <td data-cell="log-sigma-score" data-value=${e.spreadScore}><span class="eq">z² − 1 = ${fx(e.z)}² − 1 =</span> ${f(e.spreadScore)}</td>
            <td data-cell="log-sigma-delta" data-value=${e.spreadDelta}><span class="eq">${lr} · ${fx(e.advantage)} · ${fx(e.spreadScore)} =</span> ${f(e.spreadDelta)}</td>
            <td data-cell="log-sigma-after" data-value=${e.logSigmaAfter}><span class="eq">${f(e.logSigma)} + ${fx(e.spreadDelta)} =</span> <b>${f(e.logSigmaAfter)}</b></td>
          </tr>
        </tbody>
      </table></div>
      <p id="gaussian-update-line">After the step: μ = <b data-cell="mu-new" data-value=${e.meanAfter}>${f(e.meanAfter)}</b>
        (μ − x* = ${f(e.meanAfter - e.optimum)}), σ = exp(${f(e.logSigmaAfter)}) = <b data-cell="sigma-new" data-value=${e.sigmaAfter}>${f(e.sigmaAfter)}</b>:
        ${e.advantage === 0 ? 'unchanged' : html`${wider}, since ${why} and R − b is ${e.advantage > 0 ? 'positive' : 'negative'}`}.
        <span class="muted">Each number is the f32 the engines compute; the replay holds the same bits.</span></p>
    </section>`;
  }

  #armCell(e: StepExplanation | ValueStepExplanation, j: number) {
    return html`<td><span class="swatch" style="background:${armColour(j)}"></span>${e.arms[j].label}</td>`;
  }

  #rowEvents(j: number) {
    return {
      enter: () => { this.hoverArm = j; },
      leave: () => { this.hoverArm = null; },
    };
  }

  /** A contextual step: which context, what its arms pay, and that only its policy learns. */
  #renderContext(e: StepExplanation) {
    if (e.contexts <= 1) return nothing;
    const best = e.arms[e.bestArm].label;
    return html`<p id="context-line" data-context=${e.context}>Step ${formatCount(e.step)} saw <b>${contextName(e)}</b>
      (level <span data-cell="level" data-value=${e.contextLevel}>${f(e.contextLevel)}</span>, added to every arm before offset and scale).
      Here arm j pays what arm j + ${e.context} pays in context 0, so its best arm is <b>${best}</b>.
      The agent keeps one softmax per context: the step below uses context ${e.context}'s preferences θ(${e.context}), and only they change.</p>
      <p class="muted" id="context-arms">Expected rewards in context ${e.context} for this agent:
        ${e.armMeans.map((mean, j) => html`<span class="slice-range ${j === e.bestArm ? 'best' : ''}" data-cell="arm-mean" data-value=${mean}><span class="swatch"
          style="background:${armColour(j)}"></span>${e.arms[j].label} ${f(mean)}</span>`)}</p>`;
  }

  #renderSoftmax(e: StepExplanation) {
    const T = f(e.temperature);
    const contextual = e.contexts > 1;
    return html`<section aria-labelledby="h-softmax">
      <h3 id="h-softmax"><span class="n">1</span>Policy before step ${formatCount(e.step)}${contextual ? ` in context ${e.context}` : ''}: π = softmax(θ / T), T = ${T}</h3>
      <div class="table-wrap"><table id="softmax-table">
        <thead><tr>
          <th>arm j</th>
          <th class=${this.#lit('theta')}>θ<sub>j</sub></th>
          <th class=${this.#lit('exp')} title="exp((θ_j − max θ) / T): exp(θ_j / T) scaled by exp(−max θ / T), which cancels in the ratio">exp((θ<sub>j</sub> − max) / T)</th>
          <th class=${this.#lit('pi')}>π<sub>j</sub> = exp / Σ</th>
        </tr></thead>
        <tbody>${e.arms.map((a, j) => {
          const row = this.#rowEvents(j);
          return html`<tr class=${j === e.action ? 'chosen' : ''} @mouseenter=${row.enter} @mouseleave=${row.leave} data-arm=${j}>
            ${this.#armCell(e, j)}
            <td class=${this.#lit('theta')} data-cell="theta" data-value=${a.pref}>${f(a.pref)}</td>
            <td class=${this.#lit('exp')} data-cell="exp" data-value=${a.weight}>${f(a.weight)}</td>
            <td data-cell="pi" data-value=${a.prob}><span class="eq">${this.#n(f(a.weight), 'exp')} / ${this.#n(f(e.weightSum), 'sum')} =</span>
              ${this.#n(f(a.prob), 'pi')}</td>
          </tr>`;
        })}</tbody>
        <tfoot><tr><td>sum</td><td></td><td class=${this.#lit('sum')} data-cell="sum">Σ = ${f(e.weightSum)}</td><td>1</td></tr></tfoot>
      </table></div>
      <p class="muted">max = ${f(e.maxPref)}, the largest preference: subtracting it before exp, as the lesson's softmax does, keeps
        exp from overflowing and leaves every π<sub>j</sub> the same.</p>
    </section>`;
  }

  #renderDraw(e: StepExplanation | ValueStepExplanation) {
    const chosen = e.arms[e.action];
    return html`<section aria-labelledby="h-draw">
      <h3 id="h-draw"><span class="n">2</span>Sample the action: a ~ π</h3>
      <div class="draw" role="img" aria-label=${`u = ${f(e.uniform)} falls in ${chosen.label}'s slice [${f(chosen.cumulativeFrom)}, ${f(chosen.cumulativeTo)}) of [0, 1)`}>
        ${e.arms.map((a, j) => html`<div class="slice ${j === e.action ? 'chosen' : ''} ${this.#lit('cumulative')}"
          style="width:${a.prob * 100}%; background:${armColour(j)}" title=${`${a.label}: [${f(a.cumulativeFrom)}, ${f(a.cumulativeTo)})`}>
          <span>${a.prob >= 0.08 ? a.label : ''}</span></div>`)}
        <div class="u ${this.#lit('u')}" style="left:${e.uniform * 100}%"><span>u = ${f(e.uniform)}</span></div>
      </div>
      <p class="slices">Cumulative probabilities π<sub>0</sub> + … + π<sub>j</sub> cut [0, 1) into one slice per arm:
        ${e.arms.map((a) => html`<span class="slice-range ${this.#lit('cumulative')}" data-cell="cumulative" data-value=${a.cumulativeTo}><span class="swatch"
          style="background:${armColour(a.arm)}"></span>${a.label} [${f(a.cumulativeFrom)}, ${f(a.cumulativeTo)})</span>`)}</p>
      <p>The draw <span class="num ${this.#lit('u')}">u = ${f(e.uniform)}</span> lies in
        <b>${chosen.label}</b>'s slice [${f(chosen.cumulativeFrom)}, ${f(chosen.cumulativeTo)}) of the cumulative probabilities,
        so <span class="num ${this.#lit('a')}">a = ${e.actionLabel}</span> (π<sub>a</sub> = ${f(chosen.prob)}).</p>
      ${e.kind === 'value' ? html`<p class="muted" id="draw-why">${e.arms[e.action].greedy
        ? `${chosen.label} is ${e.greedyArms.length > 1 ? 'a' : 'the'} greedy arm: exploiting (or an exploring draw that happened to land on it).`
        : `${chosen.label} is not greedy: only the exploring share ε / k could draw it, so this step explores.`}</p>` : nothing}
    </section>`;
  }

  /** An epsilon-greedy agent's step: its values, the draw, the prediction error, the one value updated. */
  #renderValueExplanation(trajectory: Trajectory, e: ValueStepExplanation) {
    const c = e.consistent;
    const broken = !c.probs || !c.action || !c.values || !c.counts || !c.error;
    const sampleAverage = e.valueStep === 0;
    return html`
      ${broken ? html`<p class="problem" role="alert">Internal check failed: the explanation does not reproduce the replay at step ${e.step}.</p>` : nothing}
      <div class="explain" id="value-explain">
        <div>
          <div class="formula" id="value-formula">
            <p><b>Policy</b>: with probability ε a uniformly random arm, otherwise a greedy one (highest Q):
              π<sub>j</sub> = ε / k + (1 − ε) / |G| for j in G, the arms tied for the highest Q; ε / k for the others.</p>
            <p><b>Update</b>, of the drawn arm a only: n(a) ← n(a) + 1, then
              ${sampleAverage
                ? html`Q(a) ← Q(a) + (R − Q(a)) / n(a), which keeps Q(a) the average of a's rewards`
                : html`Q(a) ← Q(a) + α (R − Q(a)), α = ${f(e.valueStep)} (a constant step: recent rewards count more)`}.
              No gradient, no learning rate, no baseline.</p>
          </div>
          ${trajectory.firstStep > 1 ? html`<p class="muted">Replayed from step 1; the scrubber reaches back to step ${formatCount(trajectory.firstStep)}.</p>` : nothing}
        </div>
        ${this.#renderGreedyPolicy(e)}
        ${this.#renderDraw(e)}
        ${this.#renderValueReward(e)}
        ${this.#renderValueUpdate(e)}
      </div>`;
  }

  #renderGreedyPolicy(e: ValueStepExplanation) {
    const k = e.arms.length;
    const greedy = e.greedyArms.map((j) => e.arms[j].label).join(', ');
    const ties = e.greedyArms.length;
    return html`<section aria-labelledby="h-greedy">
      <h3 id="h-greedy"><span class="n">1</span>Policy before step ${formatCount(e.step)}: ε-greedy, ε = ${f(e.epsilon)}, k = ${k}</h3>
      <div class="table-wrap"><table id="greedy-table">
        <thead><tr><th>arm j</th><th>Q<sub>j</sub></th><th>n<sub>j</sub></th><th>greedy</th><th>π<sub>j</sub></th></tr></thead>
        <tbody>${e.arms.map((a, j) => html`<tr class=${j === e.action ? 'chosen' : ''} data-arm=${j}>
          ${this.#armCell(e, j)}
          <td data-cell="value" data-value=${a.value}>${f(a.value)}</td>
          <td data-cell="count" data-value=${a.count}>${formatCount(a.count)}</td>
          <td data-cell="greedy">${a.greedy ? '✓' : ''}</td>
          <td data-cell="pi" data-value=${a.prob}><span class="eq">${a.greedy ? `${f(e.epsilonShare)} + ${f(e.greedyMass)} / ${ties} =` : 'ε / k ='}</span>
            ${f(a.prob)}</td>
        </tr>`)}</tbody>
      </table></div>
      <p id="greedy-set">The highest value is max Q = ${f(e.maxValue)}, so G = {${greedy}}${ties > 1 ? ` (${ties} arms tied: they share 1 − ε evenly)` : ''}.
        ε / k = ${f(e.epsilon)} / ${k} = <span class="num">${f(e.epsilonShare)}</span> for every arm, and each greedy arm adds
        (1 − ε) / |G| = ${f(e.greedyMass)} / ${ties} = <span class="num">${f(e.greedyShare)}</span>.</p>
    </section>`;
  }

  #renderValueReward(e: ValueStepExplanation) {
    const a = e.actionLabel;
    const noisy = e.env === 'bernoulli' ? `${a} pays 1 with probability ${f(e.expectedReward)} here` : `${a}'s expected reward for this agent is ${f(e.expectedReward)}`;
    const pulls = e.countBefore === 0 ? `never pulled yet, so it is still the initial value` : `its estimate from ${formatCount(e.countBefore)} earlier pull${e.countBefore === 1 ? '' : 's'}`;
    return html`<section aria-labelledby="h-value-reward">
      <h3 id="h-value-reward"><span class="n">3</span>Reward and prediction error</h3>
      <p><span class="num">R = ${f(e.reward)}</span> (${noisy}${e.bestArm === e.action ? ', its best arm' : `; its best arm is ${e.arms[e.bestArm].label}`}).</p>
      <p>Q(${a}) = <span class="num">${f(e.valueBefore)}</span>: ${pulls}.</p>
      <p><span class="num" id="value-error" data-value=${e.error}>R − Q(a) = ${f(e.reward)} − ${fx(e.valueBefore)} = ${f(e.error)}</span>:
        ${e.error > 0 ? `better than ${a} was expected to pay, so Q(${a}) goes up` : e.error < 0 ? `worse than ${a} was expected to pay, so Q(${a}) goes down` : 'exactly as expected, so Q stays'}.</p>
    </section>`;
  }

  #renderValueUpdate(e: ValueStepExplanation) {
    const a = e.actionLabel;
    const step = e.valueStep === 0 ? html`${fx(e.error)} / ${formatCount(e.countAfter)}` : html`${f(e.valueStep)} · ${fx(e.error)}`;
    return html`<section class="wide" aria-labelledby="h-value-update">
      <h3 id="h-value-update"><span class="n">4</span>Update ${a} only: n(a) ← n(a) + 1, ${e.valueStep === 0 ? 'Q(a) ← Q(a) + (R − Q(a)) / n(a)' : html`Q(a) ← Q(a) + α (R − Q(a)), α = ${f(e.valueStep)}`}</h3>
      <p id="value-update-line">n(${a}) = ${formatCount(e.countBefore)} + 1 = <span class="num" data-cell="count-after" data-value=${e.countAfter}>${formatCount(e.countAfter)}</span>;
        Q(${a}) = ${f(e.valueBefore)} + ${step} = ${f(e.valueBefore)} + <span data-cell="change" data-value=${e.change}>${fx(e.change)}</span>
        = <b class="num" data-cell="value-after" data-value=${e.valueAfter}>${f(e.valueAfter)}</b>.
        The other arms keep their Q and n.</p>
      <div class="table-wrap"><table id="value-update-table">
        <thead><tr><th>arm j</th><th>n<sub>j</sub> after</th><th>Q<sub>j</sub> after</th><th>new π<sub>j</sub></th></tr></thead>
        <tbody>${e.arms.map((arm, j) => html`<tr class=${j === e.action ? 'chosen' : ''} data-arm=${j}>
          ${this.#armCell(e, j)}
          <td data-cell="count-new" data-value=${arm.countAfter}>${formatCount(arm.countAfter)}</td>
          <td data-cell="value-new" data-value=${arm.valueAfter}>${j === e.action ? html`<b>${f(arm.valueAfter)}</b>` : f(arm.valueAfter)}</td>
          <td data-cell="pi-new">${f(arm.probAfter)}</td>
        </tr>`)}</tbody>
      </table></div>
    </section>`;
  }

  /** Where b came from, in a sentence (softmax and gaussian steps take the same baselines). */
  #baselineSentence(e: StepExplanation | GaussianStepExplanation) {
    const earlier = e.step - 1;
    const contexts = e.kind === 'softmax' ? e.contexts : 1;
    const context = e.kind === 'softmax' ? e.context : 0;
    const none = e.kind === 'gaussian' ? 'the update is not centred' : '';
    return {
      none: html`No baseline: <span class="num ${this.#lit('b')}">b = 0</span>${none ? `, so ${none}` : ''}.`,
      init: html`No reward seen yet: the baseline starts at its initial value, <span class="num ${this.#lit('b')}">b = ${f(e.baseline)}</span>.`,
      'first-reward': html`No reward seen yet: the baseline takes this first reward itself, <span class="num ${this.#lit('b')}">b = ${f(e.baseline)}</span>, so R − b = 0 and this step changes nothing.`,
      'earlier-mean': html`The baseline is the mean of the ${formatCount(earlier)} earlier reward${earlier === 1 ? '' : 's'}: <span class="num ${this.#lit('b')}">b = ${f(e.baseline)}</span>.`,
      'inclusive-mean': html`The baseline is the mean of all ${formatCount(e.step)} rewards, this one included: <span class="num ${this.#lit('b')}">b = ${f(e.baseline)}</span>.`,
      ema: html`The baseline is the exponential average of the earlier rewards (b ← b + ${f(e.baselineRate)} (R − b) after each): <span class="num ${this.#lit('b')}">b = ${f(e.baseline)}</span>.`,
      critic: contexts > 1
        ? html`The baseline is the critic's value V(${context}) of the context seen, learned from that context's earlier rewards (V(c) ← V(c) + ${f(e.criticLr)} (R − V(c)) after each): <span class="num ${this.#lit('b')}">b = V(${context}) = ${f(e.baseline)}</span>.`
        : html`The baseline is the critic's value V, learned from the earlier rewards (V ← V + ${f(e.criticLr)} (R − V) after each): <span class="num ${this.#lit('b')}">b = V = ${f(e.baseline)}</span>.`,
    }[e.baselineSource];
  }

  #renderReward(e: StepExplanation) {
    const a = e.actionLabel;
    const baseline = this.#baselineSentence(e);
    const where = e.contexts > 1 ? ` in context ${e.context}` : '';
    const noisy = e.env === 'bernoulli' ? `${a} pays 1 with probability ${f(e.expectedReward)} here` : `${a}'s expected reward for this agent${where} is ${f(e.expectedReward)}`;
    return html`<section aria-labelledby="h-reward">
      <h3 id="h-reward"><span class="n">3</span>Reward and baseline</h3>
      <p><span class="num ${this.#lit('R')}">R = ${f(e.reward)}</span> (${noisy}${e.bestArm === e.action ? ', its best arm' : `; its best arm is ${e.arms[e.bestArm].label}`}).</p>
      <p>${baseline}</p>
      <p><span class="num ${this.#lit('advantage')}">R − b = ${f(e.reward)} − ${fx(e.baseline)} = ${f(e.advantage)}</span>:
        ${e.advantage > 0 ? `better than the baseline, so ${a} becomes more likely` : e.advantage < 0 ? `worse than the baseline, so ${a} becomes less likely` : 'no better or worse than the baseline, so nothing changes'}.</p>
      ${this.#renderCritic(e)}
    </section>`;
  }

  /** Baseline critic: the critic's own update from this reward, written out. */
  #renderCritic(e: StepExplanation | GaussianStepExplanation) {
    const c = e.critic;
    if (e.baselineMode !== 'critic' || !c) return nothing;
    const contexts = e.kind === 'softmax' ? e.contexts : 1;
    const v = e.kind === 'softmax' && contexts > 1 ? `V(${e.context})` : 'V';
    const what = e.kind === 'gaussian' ? 'what the action paid' : 'what the arm paid';
    return html`<p id="critic-update">The critic learns from this reward: ${v} ← ${v} + criticLr (R − ${v}) =
      <span data-cell="critic-before" data-value=${c.before}>${f(c.before)}</span> + ${f(e.criticLr)} · (${f(e.reward)} − ${fx(c.before)})
      = ${f(c.before)} + <span data-cell="critic-change" data-value=${c.change}>${fx(c.change)}</span>
      = <b class="num" data-cell="critic-after" data-value=${c.after}>${f(c.after)}</b>${contexts > 1 ? html`; the other contexts' V stay` : nothing}.
      <span class="muted">R − ${v} = <span data-cell="critic-error" data-value=${c.error}>${f(c.error)}</span> is also the advantage: the critic moves toward ${what}.</span></p>`;
  }

  #renderUpdate(e: StepExplanation) {
    const lr = f(e.lr);
    return html`<section class="wide" aria-labelledby="h-update">
      <h3 id="h-update"><span class="n">4</span>Update${e.contexts > 1 ? ` context ${e.context}'s preferences` : ''}: θ<sub>j</sub> ← θ<sub>j</sub> + lr · (R − b) · ∇<sub>j</sub>, lr = ${lr}</h3>
      ${e.contexts > 1 ? html`<p class="muted" id="context-update">The other contexts' preferences stay as they were.</p>` : nothing}
      ${e.alsoInUpdate.length > 0
        ? html`<p class="muted" id="also-in-update">This update also holds ${e.alsoInUpdate.join('; ')}. The middle columns show the shown sample's own term; the new θ is the whole update's.</p>`
        : nothing}
      <div class="table-wrap"><table id="update-table">
        <thead><tr>
          <th>arm j</th>
          <th class=${this.#lit('grad')}>∇<sub>j</sub> = (1[j = a] − π<sub>j</sub>) / T</th>
          <th class=${this.#lit('delta')}>update = lr · (R − b) · ∇<sub>j</sub></th>
          <th class=${this.#lit('theta-new')}>new θ<sub>j</sub> = θ<sub>j</sub> + update</th>
          <th>new π<sub>j</sub></th>
        </tr></thead>
        <tbody>${e.arms.map((a, j) => {
          const row = this.#rowEvents(j);
          return html`<tr class=${j === e.action ? 'chosen' : ''} @mouseenter=${row.enter} @mouseleave=${row.leave} data-arm=${j}>
            ${this.#armCell(e, j)}
            <td data-cell="grad" data-value=${a.grad}><span class="eq">(${this.#n(String(a.indicator), 'indicator')} − ${this.#n(f(a.prob), 'pi')})
              / ${this.#n(fx(e.temperature), 'T')} =</span> ${this.#n(f(a.grad), 'grad')}</td>
            <td data-cell="delta" data-value=${a.delta}><span class="eq">${this.#n(lr, 'lr')} · ${this.#n(fx(e.advantage), 'advantage', 'R', 'b')}
              · ${this.#n(fx(a.grad), 'grad')} =</span> ${this.#n(f(a.delta), 'delta')}</td>
            <td data-cell="theta-new" data-value=${a.prefAfter}><span class="eq">${this.#n(f(a.pref), 'theta')} + ${this.#n(fx(a.delta), 'delta')} =</span>
              <b>${this.#n(f(a.prefAfter), 'theta-new')}</b></td>
            <td data-cell="pi-new">${f(a.probAfter)}</td>
          </tr>`;
        })}</tbody>
      </table></div>
    </section>`;
  }
}

/** Points of the policy density and the reward bump in the picture: enough for smooth curves. */
const kPicturePoints = 96;

/**
 * The step in one picture: the policy's density N(mu, sigma^2) (filled, scaled to its peak), the
 * reward bump around x* (dashed, scaled to its peak of 1), x* and the action x drawn.
 */
function gaussianPicture(e: GaussianStepExplanation) {
  const width = 420;
  const height = 96;
  const pad = 12;
  const lo = Math.min(e.mean - 3 * e.sigma, e.optimum - 2.5, e.action);
  const hi = Math.max(e.mean + 3 * e.sigma, e.optimum + 2.5, e.action);
  const span = hi - lo || 1;
  const px = (x: number) => pad + ((x - lo) / span) * (width - 2 * pad);
  const py = (level: number) => height - 18 - level * (height - 36);
  let density = `M ${px(lo).toFixed(1)} ${py(0).toFixed(1)}`;
  let bump = '';
  for (let i = 0; i <= kPicturePoints; i++) {
    const x = lo + (span * i) / kPicturePoints;
    const z = (x - e.mean) / e.sigma;
    density += ` L ${px(x).toFixed(1)} ${py(Math.exp(-0.5 * z * z)).toFixed(1)}`;
    bump += `${i === 0 ? 'M' : ' L'} ${px(x).toFixed(1)} ${py(Math.exp(-0.5 * (x - e.optimum) ** 2)).toFixed(1)}`;
  }
  density += ` L ${px(hi).toFixed(1)} ${py(0).toFixed(1)} Z`;
  const xs = px(e.optimum);
  const xa = px(e.action);
  const xm = px(e.mean);
  const base = py(0);
  return html`<svg class="gaussian-picture" id="gaussian-picture" viewBox="0 0 ${width} ${height}" role="img"
    aria-label=${`The policy N(${f(e.mean)}, ${f(e.sigma)}²), the reward bump around x* = ${f(e.optimum)}, and the action x = ${f(e.action)}`}>
    <path d=${density} fill="rgba(29,79,145,0.18)" stroke="#1d4f91" stroke-width="1.5"></path>
    <path d=${bump} fill="none" stroke="#b35c00" stroke-width="1.5" stroke-dasharray="5 3"></path>
    <line x1=${pad} x2=${width - pad} y1=${base} y2=${base} stroke="#9aa3ad" stroke-width="1"></line>
    <line x1=${xm} x2=${xm} y1=${base} y2=${base + 5} stroke="#1d4f91" stroke-width="1.5"></line>
    <text x=${xm} y=${height - 2} text-anchor="middle" fill="#1d4f91">μ</text>
    <line x1=${xs} x2=${xs} y1=${py(1) - 2} y2=${base} stroke="#b35c00" stroke-width="1.5"></line>
    <text x=${xs} y=${py(1) - 5} text-anchor="middle" fill="#b35c00">x*</text>
    <line x1=${xa} x2=${xa} y1=${base - 14} y2=${base} stroke="#111" stroke-width="2"></line>
    <circle cx=${xa} cy=${base} r="3.5" fill="#111"></circle>
    <text x=${xa} y=${base - 17} text-anchor="middle" fill="#111">x</text>
  </svg>
  <p class="muted">Blue: the policy's density N(μ, σ²); orange dashed: the reward bump exp(−(x − x*)² / 2), both scaled to their peaks; black: the action drawn.</p>`;
}

/** The contexts the trajectory's agent sees (1 without a contextual bandit). */
function contextsOf(trajectory: Trajectory): number {
  return trajectory.phases[0]?.params.contexts ?? 1;
}

/** "context 2 of 4" (contexts number from 0, as the arms do). */
function contextName(e: StepExplanation): string {
  return `context ${e.context} of ${e.contexts}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-agent-inspector': PgAgentInspector;
  }
}

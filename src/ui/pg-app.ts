/**
 * The playground page: parameters on the left (above on a phone), run controls and status on top,
 * five live charts. It owns the experiment config (mirrored in the URL hash, so a link reproduces
 * a run), picks the engine (WebGPU, else the CPU engine in a worker) and hands each run to the
 * frame loop (RunController) and, through context, to the charts.
 *
 * Test hook: `window.__pgp` exposes the app, the current engine, history and config.
 */
import { provide } from '@lit/context';
import { Task } from '@lit/task';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import {
  type ExperimentConfig,
  decodeConfigQuery,
  encodeConfigQuery,
  validateConfig,
} from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { getPreset } from '../core/presets.ts';
import { ConfigError, formatFieldError, kParamSpecs } from '../core/schema.ts';
import './charts/pg-heatmap-chart.ts';
import './charts/pg-policy-chart.ts';
import './charts/pg-prob-chart.ts';
import './charts/pg-reward-chart.ts';
import './charts/pg-variance-chart.ts';
import { diffConfig, groupLabels, withBaselineComparison, withParam } from './config-edit.ts';
import { type Backend, createEngine, defaultAgents, deviceAgentLimit, isGpuFailure, openBackend } from './engine-backend.ts';
import './pg-controls.ts';
import type { ParamChangeDetail } from './pg-param.ts';
import './pg-run-bar.ts';
import type { RunCommandDetail } from './pg-run-bar.ts';
import { RunController, RunSession, runSessionContext } from './run-controller.ts';
import { StatsHistory } from './stats-history.ts';

export interface PlaygroundHook {
  readonly app: PgApp;
  readonly engine: Engine | null;
  readonly history: StatsHistory | null;
  readonly config: ExperimentConfig;
  readonly backend: Backend | null;
  readonly runner: RunController;
}

declare global {
  interface Window {
    __pgp?: PlaygroundHook;
  }
}

@customElement('pg-app')
export class PgApp extends LitElement {
  static styles = css`
    :host { display: block; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1a1a1a; background: #f6f7f9; min-height: 100vh; }
    header { padding: 0.7rem 1rem 0.2rem; }
    h1 { font-size: 1.25rem; margin: 0; }
    .intro { margin: 0.15rem 0 0; color: #444; font-size: 0.88rem; max-width: 70rem; }
    .bar { position: sticky; top: 0; z-index: 5; background: rgba(246, 247, 249, 0.96); backdrop-filter: blur(4px); padding: 0.5rem 1rem; border-bottom: 1px solid #dde1e6; }
    .notice { margin: 0.35rem 0 0; font-size: 0.83rem; padding: 0.25rem 0.5rem; border-radius: 5px; }
    .notice.warn { background: #fff4e0; color: #6b4500; }
    .notice.error { background: #fde8ea; color: #8a0018; }
    .notice.info { background: #e8f0fb; color: #1d3f70; }
    .layout { display: grid; grid-template-columns: minmax(270px, 330px) minmax(0, 1fr); gap: 1rem; padding: 0.8rem 1rem 2rem; align-items: start; }
    details.panel { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 0.4rem 0.8rem 0.6rem; position: sticky; top: 6.2rem; max-height: calc(100vh - 7rem); overflow: auto; }
    details.panel > summary { font-weight: 700; cursor: pointer; padding: 0.2rem 0; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 0.9rem; min-width: 0; }
    .card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 0.6rem 0.75rem; min-width: 0; }
    .card.heatmaps { display: grid; gap: 0.6rem; }
    .card.wide { grid-column: 1 / -1; }
    .placeholder { color: #555; padding: 2rem 1rem; }
    @media (max-width: 860px) {
      .layout { grid-template-columns: minmax(0, 1fr); padding: 0.6rem 0.5rem 1.5rem; }
      details.panel { position: static; max-height: none; }
      .bar { position: static; padding: 0.4rem 0.5rem; }
      header { padding: 0.5rem 0.5rem 0.1rem; }
      .intro { font-size: 0.82rem; }
    }
  `;

  @provide({ context: runSessionContext })
  @state()
  session: RunSession | null = null;

  @state() config: ExperimentConfig = decodeConfigQuery('').config;
  @state() backend: Backend | null = null;
  /** One line: what the link got wrong (defaults used instead). */
  @state() private linkProblems = '';
  /** One line about the run: a restart and why, a fallback, a divergence. */
  @state() private note = '';
  @state() private noteKind: 'info' | 'warn' | 'error' = 'info';
  @state() private fieldErrors: ReadonlyMap<string, string> = new Map();
  @state() private speed = 5;
  @state() private starting = true;

  readonly runner = new RunController(this, { onError: (error, wasPlaying) => this.#onRunError(error, wasPlaying) });
  #engineGeneration = 0;
  /** Whether the engine being built will play (a restart keeps the run's play state). */
  #pendingPlay = false;
  /** An advance failed while playing: the fallback engine picks up playing. */
  #failedWhilePlaying = false;
  #diverged = 0;
  /** The config of the last engine that started: where a config the device refuses goes back to. */
  #lastGood: ExperimentConfig | null = null;
  #panelOpen = typeof matchMedia === 'function' ? matchMedia('(min-width: 861px)').matches : true;
  readonly #onHashChange = () => this.#applyHash();

  readonly #startup = new Task(this, {
    task: async () => {
      const backend = await openBackend(navigator.gpu);
      this.backend = backend;
      if (backend.kind === 'gpu') this.#watchDevice(backend);
      this.#loadHash(true);
      await this.#startEngine({ play: !new URLSearchParams(location.search).has('paused') });
      return backend;
    },
    args: () => [],
  });

  connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.#onHashChange);
    const app = this;
    window.__pgp = {
      app,
      get engine() { return app.runner.engine; },
      get history() { return app.session?.history ?? null; },
      get config() { return app.config; },
      get backend() { return app.backend; },
      runner: app.runner,
    };
  }

  disconnectedCallback(): void {
    removeEventListener('hashchange', this.#onHashChange);
    super.disconnectedCallback();
  }

  // ---- config and URL ---------------------------------------------------------------------

  /** Reads the hash; on first load the population defaults to what the engine handles well. */
  #loadHash(first: boolean): void {
    const decoded = decodeConfigQuery(location.hash);
    const config = decoded.config;
    const query = new URLSearchParams(location.hash.replace(/^#/, ''));
    const groupsSetAgents = query.getAll('group').some((g) => new URLSearchParams(g).has('agents'));
    if (first && this.backend && !query.has('agents') && !groupsSetAgents) config.params.agents = defaultAgents(this.backend);
    this.linkProblems = decoded.errors.length > 0
      ? `This link had problems, defaults used instead: ${decoded.errors.map(formatFieldError).join('; ')}`
      : '';
    this.config = config;
    this.#writeHash();
  }

  #applyHash(): void {
    const current = encodeConfigQuery(this.config);
    if (location.hash.replace(/^#/, '') === current) return;
    const previous = this.config;
    this.#loadHash(false);
    this.#applyChange(previous, this.config, 'the link changed');
  }

  #writeHash(): void {
    const query = encodeConfigQuery(this.config);
    const url = `${location.pathname}${location.search}${query ? `#${query}` : ''}`;
    if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
  }

  /** Validates and applies a new config: live changes go to the engine, the rest restart. */
  #setConfig(next: ExperimentConfig, reason: string): boolean {
    try {
      validateConfig(next);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.fieldErrors = new Map(error.errors.map((e) => [e.field.replace(/^groups\[\d+\]\./, ''), e.message]));
      return false;
    }
    const previous = this.config;
    this.fieldErrors = new Map();
    this.config = next;
    this.#writeHash();
    this.#applyChange(previous, next, reason);
    return true;
  }

  #applyChange(previous: ExperimentConfig, next: ExperimentConfig, reason: string): void {
    const change = diffConfig(previous, next);
    if (change.budgetChanged) this.runner.setBudget(next.params.steps);
    if (change.restartKeys.length > 0) {
      const what = change.restartKeys.map((k) => (k === 'groups' ? 'the groups' : kParamSpecs.find((s) => s.key === k)?.label ?? k));
      this.#setNote('info', `Restarted from step 1: ${reason || `${what.join(', ')} changed`}.`);
      void this.#startEngine({ play: this.#isPlaying() });
      return;
    }
    const engine = this.runner.engine;
    if (!engine) return; // the engine being built picks the change up when it starts
    try {
      change.patches.forEach((patch, group) => {
        if (Object.keys(patch).length > 0) engine.setGroupParams(group, patch);
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.fieldErrors = new Map(error.errors.map((e) => [e.field, e.message]));
    }
  }

  #setNote(kind: 'info' | 'warn' | 'error', text: string): void {
    this.noteKind = kind;
    this.note = text;
  }

  // ---- engines ----------------------------------------------------------------------------

  /** Builds an engine for the current config and runs it (reset, restart, fallback). */
  async #startEngine({ play }: { play: boolean }): Promise<void> {
    const generation = ++this.#engineGeneration;
    this.#pendingPlay = play;
    const backend = this.backend;
    if (!backend) return;
    this.runner.detach();
    this.session = null;
    this.starting = true;
    this.#diverged = 0;
    const config = structuredClone(this.config);
    let engine: Engine;
    try {
      engine = await createEngine(backend, config);
    } catch (error) {
      if (generation !== this.#engineGeneration) return;
      if (backend.kind === 'gpu' && isGpuFailure(error)) {
        this.#fallBack((error as Error).message, play);
        return;
      }
      this.starting = false;
      if (error instanceof ConfigError) {
        // The device refuses this config (too many agents): say why and go back to the last run.
        const fieldErrors = new Map(error.errors.map((e) => [e.field.replace(/^groups\[\d+\]\./, ''), e.message]));
        const fallback: ExperimentConfig = this.#lastGood ?? {
          params: { ...config.params, agents: defaultAgents(backend) },
          groups: config.groups.map(({ agents: _dropped, ...group }) => group),
        };
        if (encodeConfigQuery(fallback) !== encodeConfigQuery(config)) {
          this.config = structuredClone(fallback);
          this.#writeHash();
          void this.#startEngine({ play });
        }
        this.fieldErrors = fieldErrors;
        this.#setNote('error', `This run cannot start here: ${error.errors.map(formatFieldError).join('; ')}`);
      } else {
        this.#setNote('error', `The engine failed to start: ${error instanceof Error ? error.message : String(error)}`);
      }
      return;
    }
    if (generation !== this.#engineGeneration) {
      engine.dispose();
      return;
    }
    // Live changes made while the engine was being built.
    const change = diffConfig(config, this.config);
    if (change.restartKeys.length > 0) {
      engine.dispose();
      void this.#startEngine({ play });
      return;
    }
    change.patches.forEach((patch, group) => {
      if (Object.keys(patch).length > 0) engine.setGroupParams(group, patch);
    });
    const groups = config.groups.length;
    const agents = Array.from({ length: groups }, (_, g) => config.groups[g].agents ?? config.params.agents);
    const history = new StatsHistory(config.params.arms, agents, config.params.window);
    const session = new RunSession(config, history, groupLabels(config), this.config.params.steps);
    session.subscribe(() => this.#checkDivergence(history));
    this.#lastGood = config;
    this.starting = false;
    this.session = session;
    this.runner.attach(engine, session);
    if (play) this.runner.play();
    else this.runner.pause();
  }

  /** A group whose preferences stopped being finite: one note naming it (rows stop there). */
  #checkDivergence(history: StatsHistory): void {
    if (history.diverged.length === this.#diverged) return;
    this.#diverged = history.diverged.length;
    this.#setNote('warn', history.diverged.map((d) => d.message).join('; '));
  }

  /** Playing now, or about to once the engine being built is ready. */
  #isPlaying(): boolean {
    return this.starting ? this.#pendingPlay : this.runner.playing;
  }

  #watchDevice(backend: Extract<Backend, { kind: 'gpu' }>): void {
    void backend.context.lost.then((reason) => {
      if (this.backend === backend) this.#fallBack(reason, this.#isPlaying() || this.#failedWhilePlaying);
    });
  }

  /** WebGPU failed: say so in one line and run on the CPU engine in a worker from step 1. */
  #fallBack(reason: string, play: boolean): void {
    if (this.backend?.kind === 'cpu') return; // the first report of a failure says why
    this.backend = { kind: 'cpu', reason };
    this.#setNote('warn', `WebGPU stopped working (${reason}); restarted on the CPU engine in a worker.`);
    void this.#startEngine({ play });
  }

  #onRunError(error: unknown, wasPlaying: boolean): void {
    const backend = this.backend;
    if (backend?.kind === 'gpu' && isGpuFailure(error)) {
      this.#failedWhilePlaying = wasPlaying;
      // A lost device also fails the readback in flight; its own reason says more.
      const lost = Promise.race([backend.context.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 250))]);
      void lost.then((reason) => this.#fallBack(reason ?? (error as Error).message, wasPlaying));
      return;
    }
    this.#setNote('error', `The run stopped: ${error instanceof Error ? error.message : String(error)}`);
  }

  // ---- events from the controls -----------------------------------------------------------

  #onParamChange(event: CustomEvent<ParamChangeDetail>): void {
    const { key, value } = event.detail;
    this.#setConfig(withParam(this.config, key, value), '');
  }

  #onPreset(event: CustomEvent<string>): void {
    if (!event.detail) return;
    this.#setConfig(getPreset(event.detail), `preset ${event.detail} loaded`);
  }

  #onCompare(event: CustomEvent<boolean>): void {
    this.#setConfig(withBaselineComparison(this.config, event.detail), event.detail ? 'baseline comparison on (two groups)' : 'baseline comparison off');
  }

  #onRunCommand(event: CustomEvent<RunCommandDetail>): void {
    const { command, steps } = event.detail;
    switch (command) {
      case 'play':
        this.runner.play();
        break;
      case 'pause':
        this.runner.pause();
        break;
      case 'step':
      case 'run':
        this.runner.runSteps(steps ?? 1);
        break;
      case 'reset':
      case 'replay':
        this.#setNote('info', command === 'reset' ? 'Reset: the same seed from the same initial state.' : 'Replaying from step 1.');
        void this.#startEngine({ play: command === 'replay' || this.#isPlaying() });
        break;
      case 'new-seed': {
        const seed = crypto.getRandomValues(new Uint32Array(1))[0];
        this.#setConfig(withParam(this.config, 'seed', seed), `new seed ${seed}`);
        break;
      }
    }
  }

  #onSpeed(event: CustomEvent<number>): void {
    this.speed = event.detail;
    this.runner.speed = event.detail;
  }

  // ---- view -------------------------------------------------------------------------------

  #engineLine(): string {
    const backend = this.backend;
    if (!backend) return '';
    if (backend.kind === 'gpu') return `WebGPU: ${backend.context.adapterDescription}`;
    return `CPU fallback (${backend.reason})`;
  }

  render() {
    const session = this.session;
    const backend = this.backend;
    const groups = session?.groups ?? this.config.groups.length;
    return html`
      <header>
        <h1>Policy Gradient Playground</h1>
        <p class="intro">Thousands of agents, each a softmax policy π = softmax(θ / T) over the arms of a bandit, learn with
          REINFORCE: θ += lr · (R − b) · ∇ log π(a). Every agent is a seed; the charts show the whole population.</p>
      </header>
      <div class="bar">
        <pg-run-bar .runner=${this.runner} .engineLine=${this.#engineLine()} ?fallback=${backend?.kind === 'cpu'}
          ?ready=${!this.starting && session !== null} ?playing=${this.runner.playing} .speed=${this.speed}
          @run-command=${this.#onRunCommand} @speed-change=${this.#onSpeed}></pg-run-bar>
        ${this.linkProblems ? html`<p class="notice error" id="link-problems">${this.linkProblems}</p>` : nothing}
        ${this.note ? html`<p class="notice ${this.noteKind}" id="note">${this.note}</p>` : nothing}
      </div>
      <div class="layout">
        <details class="panel" ?open=${this.#panelOpen} @toggle=${(e: Event) => { this.#panelOpen = (e.target as HTMLDetailsElement).open; }}>
          <summary>Parameters</summary>
          <pg-controls .config=${this.config} .errors=${this.fieldErrors}
            .agentLimit=${backend ? deviceAgentLimit(backend, this.config.params.arms) : null}
            @param-change=${this.#onParamChange} @preset-change=${this.#onPreset} @compare-change=${this.#onCompare}
            @run-command=${this.#onRunCommand}></pg-controls>
        </details>
        <section class="charts" aria-label="Charts">
          ${this.#startup.render({
            pending: () => html`<p class="placeholder card">Opening WebGPU…</p>`,
            error: (error) => html`<p class="placeholder card">The page could not start: ${String(error)}</p>`,
            complete: () => nothing,
          })}
          <div class="card"><pg-prob-chart></pg-prob-chart></div>
          <div class="card heatmaps">
            ${Array.from({ length: groups }, (_, g) => html`<pg-heatmap-chart .group=${g} plot-height=${groups > 1 ? 150 : 220}></pg-heatmap-chart>`)}
          </div>
          <div class="card"><pg-reward-chart></pg-reward-chart></div>
          <div class="card"><pg-variance-chart></pg-variance-chart></div>
          <div class="card wide"><pg-policy-chart></pg-policy-chart></div>
        </section>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-app': PgApp;
  }
}

/**
 * The playground page: parameters on the left (above on a phone), run controls and status on top,
 * five live charts. It owns the experiment config: the controls edit it, the URL hash mirrors it
 * (UrlHashController, so a link reproduces a run) and the EngineController runs it, restarting
 * when a change needs it; the charts and the run bar get the run through context.
 *
 * Test hook: `window.__pgp` exposes the app, the current engine, history, config and backend,
 * and the frame loop.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { type ExperimentConfig, validateConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { decodeLink } from '../core/link.ts';
import { findPreset, getPreset, kLandingPreset } from '../core/presets.ts';
import { ConfigError } from '../core/schema.ts';
import './charts/pg-heatmap-chart.ts';
import type { PickAgentDetail } from './charts/pg-heatmap-chart.ts';
import './charts/pg-policy-chart.ts';
import './charts/pg-prob-chart.ts';
import './charts/pg-reward-chart.ts';
import './charts/pg-variance-chart.ts';
import { fieldErrorsByKey, withBaselineComparison, withParam } from './config-edit.ts';
import { type Backend, defaultAgents, deviceAgentLimit } from './engine-backend.ts';
import { EngineController } from './engine-controller.ts';
import './pg-agent-inspector.ts';
import './pg-controls.ts';
import './pg-gradient-lab.ts';
import type { ParamChangeDetail } from './pg-param.ts';
import './pg-run-bar.ts';
import type { RunCommandDetail } from './pg-run-bar.ts';
import type { RunController } from './run-controller.ts';
import type { StatsHistory } from './stats-history.ts';
import { UrlHashController } from './url-hash-controller.ts';

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
    .lede { margin: 0.45rem 0 0.1rem; max-width: 70rem; border-left: 4px solid #2f6fb3; padding: 0.15rem 0 0.15rem 0.6rem; }
    .lede p { margin: 0; }
    .question { font-weight: 650; font-size: 1.02rem; color: #10243d; }
    .preset-name { font: 600 0.75rem ui-monospace, monospace; background: #e3ecf7; color: #1d3f70; border-radius: 4px; padding: 0.05rem 0.35rem; margin-right: 0.3rem; vertical-align: 0.1em; }
    .watch { color: #333; font-size: 0.88rem; margin-top: 0.15rem !important; }
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

  @state() config: ExperimentConfig = decodeLink('', kLandingPreset).config;
  /** The preset the config builds on (the link names it), or null. */
  @state() preset: string | null = kLandingPreset;
  @state() private fieldErrors: ReadonlyMap<string, string> = new Map();
  /** The last heatmap click, handed to the inspector (a new object per click). */
  @state() private agentPick: PickAgentDetail | null = null;
  #panelOpen = typeof matchMedia === 'function' ? matchMedia('(min-width: 861px)').matches : true;

  readonly #hash = new UrlHashController(this, {
    config: () => this.config,
    preset: () => this.preset,
    changed: (link) => {
      this.preset = link.preset;
      this.#useConfig(link.config, 'the link changed');
    },
  });

  readonly #engine = new EngineController(this, {
    config: () => this.config,
    opened: (backend) => {
      const link = this.#hash.read(defaultAgents(backend));
      this.preset = link.preset;
      this.config = link.config;
    },
    autoplay: !this.#hash.paused,
    refused: (errors, fallback) => {
      if (fallback) this.config = fallback;
      this.fieldErrors = errors;
    },
  });

  connectedCallback(): void {
    super.connectedCallback();
    const app = this;
    const engine = this.#engine;
    window.__pgp = {
      app,
      get engine() { return engine.runner.engine; },
      get history() { return engine.session?.history ?? null; },
      get config() { return app.config; },
      get backend() { return engine.backend; },
      runner: engine.runner,
    };
  }

  /** Validates and applies a new config; a refused one leaves the config as it is and says why. */
  #setConfig(next: ExperimentConfig, reason: string): void {
    try {
      validateConfig(next);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.fieldErrors = fieldErrorsByKey(error);
      return;
    }
    this.fieldErrors = new Map();
    this.#useConfig(next, reason);
  }

  #useConfig(next: ExperimentConfig, reason: string): void {
    const previous = this.config;
    this.config = next;
    this.#engine.apply(previous, next, reason);
  }

  #onParamChange(event: CustomEvent<ParamChangeDetail>): void {
    const { key, value } = event.detail;
    this.#setConfig(withParam(this.config, key, value), '');
  }

  #onPreset(event: CustomEvent<string>): void {
    if (!event.detail) {
      this.preset = null; // the same experiment, linked by its own keys
      return;
    }
    this.preset = event.detail;
    this.#setConfig(getPreset(event.detail), `preset ${event.detail} loaded`);
  }

  #onCompare(event: CustomEvent<boolean>): void {
    this.#setConfig(withBaselineComparison(this.config, event.detail), event.detail ? 'baseline comparison on (two groups)' : 'baseline comparison off');
  }

  #onRunCommand(event: CustomEvent<RunCommandDetail>): void {
    const { command, steps } = event.detail;
    const runner = this.#engine.runner;
    switch (command) {
      case 'play': return runner.play();
      case 'pause': return runner.pause();
      case 'step':
      case 'run': return runner.runSteps(steps ?? 1);
      case 'reset': return this.#engine.restart('Reset: the same seed from the same initial state.');
      case 'replay': return this.#engine.restart('Replaying from step 1.', true);
      case 'new-seed': {
        const seed = crypto.getRandomValues(new Uint32Array(1))[0];
        return this.#setConfig(withParam(this.config, 'seed', seed), `new seed ${seed}`);
      }
    }
  }

  #onSpeed(event: CustomEvent<number>): void {
    this.#engine.runner.speed = event.detail;
  }

  /** The preset's question and what to watch, while the page runs a preset (changed or not). */
  #lede() {
    if (this.preset === null) return nothing;
    const preset = findPreset(this.preset);
    return html`<div class="lede" id="lede">
      <p class="question"><span class="preset-name">${preset.name}</span> ${preset.description}</p>
      <p class="watch">${preset.watch}</p>
    </div>`;
  }

  render() {
    const { backend, notice, session } = this.#engine;
    const problems = this.#hash.problems;
    const groups = session?.groups ?? this.config.groups.length;
    return html`
      <header>
        <h1>Policy Gradient Playground</h1>
        <p class="intro">Thousands of agents, each a softmax policy π = softmax(θ / T) over the arms of a bandit, learn with
          REINFORCE: θ += lr · (R − b) · ∇ log π(a). Every agent is a seed; the charts show the whole population.</p>
        ${this.#lede()}
      </header>
      <div class="bar">
        <pg-run-bar @run-command=${this.#onRunCommand} @speed-change=${this.#onSpeed}></pg-run-bar>
        ${problems ? html`<p class="notice error" id="link-problems">${problems}</p>` : nothing}
        ${notice ? html`<p class="notice ${notice.kind}" id="note">${notice.text}</p>` : nothing}
      </div>
      <div class="layout">
        <details class="panel" ?open=${this.#panelOpen} @toggle=${(e: Event) => { this.#panelOpen = (e.target as HTMLDetailsElement).open; }}>
          <summary>Parameters</summary>
          <pg-controls .config=${this.config} .preset=${this.preset} .errors=${this.fieldErrors}
            .agentLimit=${backend ? deviceAgentLimit(backend, this.config.params.arms) : null}
            @param-change=${this.#onParamChange} @preset-change=${this.#onPreset} @compare-change=${this.#onCompare}
            @run-command=${this.#onRunCommand}></pg-controls>
        </details>
        <section class="charts" aria-label="Charts">
          ${this.#engine.startup.render({
            pending: () => html`<p class="placeholder card">Opening WebGPU…</p>`,
            error: (error) => html`<p class="placeholder card">The page could not start: ${String(error)}</p>`,
            complete: () => nothing,
          })}
          <div class="card"><pg-prob-chart></pg-prob-chart></div>
          <div class="card heatmaps" @pick-agent=${(e: CustomEvent<PickAgentDetail>) => { this.agentPick = { ...e.detail }; }}>
            ${Array.from({ length: groups }, (_, g) => html`<pg-heatmap-chart .group=${g} plot-height=${groups > 1 ? 150 : 220}></pg-heatmap-chart>`)}
          </div>
          <div class="card"><pg-reward-chart></pg-reward-chart></div>
          <div class="card"><pg-variance-chart></pg-variance-chart></div>
          <div class="card wide"><pg-policy-chart></pg-policy-chart></div>
          <div class="card wide" id="inspector-card"><pg-agent-inspector .engine=${this.#engine.runner.engine} .pick=${this.agentPick}
            @run-command=${this.#onRunCommand}></pg-agent-inspector></div>
          <div class="card wide" id="lab-card"><pg-gradient-lab .backend=${backend} .config=${this.config} .engine=${this.#engine.runner.engine}></pg-gradient-lab></div>
        </section>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-app': PgApp;
  }
}

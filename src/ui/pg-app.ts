/**
 * The playground page: parameters on the left (above on a phone), run controls and status on top,
 * five live charts. It owns the experiment config: the controls edit it, the URL hash mirrors it
 * (UrlHashController, so a link reproduces a run) and the EngineController runs it, restarting
 * when a change needs it; the charts and the run bar get the run through context.
 *
 * Present mode (`?present`, the P key, the Present button) shows only the chosen charts
 * (`?view=variance,heatmap`, names in present.ts) sized to the screen with large type, under one
 * thin bar of controls. Keys (keyboard-controller.ts) work anywhere on the page.
 *
 * `<pg-playground>` (pg-playground.ts) is this app embedded: the same element with its config
 * from attributes, never the page's hash, and keys only while it has focus.
 *
 * Test hook: `window.__pgp` (the page) or `element.hook` (an embed) exposes the app, the current
 * engine, history, config and backend, and the frame loop.
 */
import { type CSSResultGroup, LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ExperimentConfig, resolveGroups, validateConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { decodeLink, encodeLink } from '../core/link.ts';
import { findPreset, getPreset, kLandingPreset } from '../core/presets.ts';
import { ConfigError } from '../core/schema.ts';
import './charts/pg-heatmap-chart.ts';
import type { PickAgentDetail } from './charts/pg-heatmap-chart.ts';
import './charts/pg-policy-chart.ts';
import './charts/pg-prob-chart.ts';
import './charts/pg-reward-chart.ts';
import './charts/pg-study-chart.ts';
import './charts/pg-variance-chart.ts';
import './charts/pg-seeds-chart.ts';
import './charts/pg-distribution-chart.ts';
import './charts/pg-clip-chart.ts';
import './charts/pg-actions-chart.ts';
import { fieldErrorsByKey, isBaselineComparison, withBaselineComparison, withGroupParam, withParam } from './config-edit.ts';
import { elementSnippet, iframeSnippet } from './embed-snippet.ts';
import { type KeyBinding, KeyboardController } from './keyboard-controller.ts';
import './pg-embed-dialog.ts';
import './pg-export-menu.ts';
import type { PgEmbedDialog } from './pg-embed-dialog.ts';
import './pg-key-legend.ts';
import type { PgKeyLegend } from './pg-key-legend.ts';
import './pg-present-bar.ts';
import type { AppCommand } from './pg-present-bar.ts';
import { type ChartName, arrangeCharts, chartsToShow, kChartNames, kPresentDefaultView, parseView, presentGrid } from './present.ts';
import { noBaselineComparison } from './policy-keys.ts';
import { VisibilityController } from './visibility-controller.ts';
import { type Backend, defaultAgents, deviceAgentLimit } from './engine-backend.ts';
import { EngineController } from './engine-controller.ts';
import './pg-agent-inspector.ts';
import type { ExactAgentPick } from './pg-agent-inspector.ts';
import './pg-controls.ts';
import type { GroupParamChangeDetail } from './pg-controls.ts';
import type { GroupsChangeDetail } from './pg-groups.ts';
import './pg-gradient-lab.ts';
import type { ParamChangeDetail } from './pg-param.ts';
import './pg-run-bar.ts';
import { type RunCommandDetail, kSpeeds } from './pg-run-bar.ts';
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
  static styles: CSSResultGroup = css`
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
    /* Layout containment: a chart redrawing its text or legend lays out its own card, not the page. */
    .card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 0.6rem 0.75rem; min-width: 0; contain: layout; }
    .card.heatmaps { display: grid; gap: 0.6rem; }
    .card.wide { grid-column: 1 / -1; }
    .placeholder { color: #555; padding: 2rem 1rem; }
    .bar-row { display: flex; align-items: flex-start; gap: 0.6rem; }
    .bar-row pg-run-bar { flex: 1 1 auto; min-width: 0; }
    .tools { display: flex; flex-wrap: wrap; justify-content: flex-end; gap: 0.35rem; }
    .tools button { font: inherit; font-size: 0.85rem; padding: 0.3rem 0.6rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; white-space: nowrap; }
    .tools button:hover { background: #eef3fa; }
    /* Present mode: the chosen charts fill the box (the viewport, or an embed's own box) under one
       thin bar. Type scales with the box through container units (an embed's box, not the
       page's), clamped so that 1280x720 stays readable and 1920x1080 reaches the back row. */
    :host([present]) { height: 100vh; height: 100dvh; min-height: 0; overflow: hidden; }
    :host(:fullscreen) { overflow: auto; }
    :host([present]:fullscreen) { overflow: hidden; }
    .present { height: 100%; box-sizing: border-box; display: flex; flex-direction: column; gap: 0.4rem; padding: 0.5rem 0.8rem 0.6rem;
      container: present / size;
      --pg-bar-font: clamp(15px, 0.6cqw + 1cqh, 36px);
      --pg-chart-font: clamp(15px, 0.6cqw + 1cqh, 36px);
      --pg-legend-font: clamp(15px, 0.6cqw + 1cqh, 36px);
      --pg-title-font: clamp(17px, 0.7cqw + 1.25cqh, 44px);
      --pg-caption-display: none; }
    .present pg-present-bar { flex: none; }
    .present .notice { flex: none; margin: 0; font-size: max(14px, 0.5cqw + 0.8cqh); }
    .present .charts { flex: 1 1 0; min-height: 0; display: grid; gap: 0.6rem;
      grid-template-columns: repeat(var(--columns, 2), minmax(0, 1fr)); grid-template-rows: repeat(var(--rows, 1), minmax(0, 1fr)); }
    .present .card { min-height: 0; display: flex; flex-direction: column; gap: 0.3rem; padding: 0.5rem 0.7rem; overflow: hidden; }
    .present .card > * { flex: 1 1 0; min-height: 0; }
    .present .card.wide { grid-column: auto; }
    .present .placeholder { grid-column: 1 / -1; font-size: var(--pg-chart-font); }
    @media (max-width: 860px) {
      .layout { grid-template-columns: minmax(0, 1fr); padding: 0.6rem 0.5rem 1.5rem; }
      details.panel { position: static; max-height: none; }
      .bar { position: static; padding: 0.4rem 0.5rem; }
      header { padding: 0.5rem 0.5rem 0.1rem; }
      .intro { font-size: 0.82rem; }
    }
  `;

  /** Present mode: the chosen charts only, sized to the screen, one thin bar of controls. */
  @property({ type: Boolean, reflect: true }) present = false;
  /** The charts to show, by name (`variance,heatmap`); empty: all, or present mode's default. */
  @property() view = '';

  @state() config: ExperimentConfig = decodeLink('', kLandingPreset).config;
  /** The preset the config builds on (the link names it), or null. */
  @state() preset: string | null = kLandingPreset;
  @state() private fieldErrors: ReadonlyMap<string, string> = new Map();
  /** The last heatmap click or seeds-chart pick, handed to the inspector (a new object per pick). */
  @state() private agentPick: PickAgentDetail | ExactAgentPick | null = null;
  /** The agent the inspector shows, which the seeds chart draws. */
  @state() private inspectedAgent: ExactAgentPick | null = null;
  #panelOpen = typeof matchMedia === 'function' ? matchMedia('(min-width: 861px)').matches : true;
  /** The app's box in present mode, which the chart grid is shaped for. */
  @state() private presentBox = { width: 1280, height: 720 };
  #boxObserver: ResizeObserver | null = null;

  /** Embedded (`<pg-playground>`): config from attributes, no hash, keys only while focused. */
  protected get embedded(): boolean {
    return false;
  }

  /** An embed's link query, from its attributes (pg-playground.ts). */
  protected linkFromAttributes(): string {
    return '';
  }

  readonly #hash: UrlHashController = new UrlHashController(this, {
    // The link is the run's script: the config it started from and its live changes, by step.
    config: () => this.#engine.script.config,
    changes: () => this.#engine.script.changes,
    preset: () => this.preset,
    changed: (link) => {
      // Another link is another run: replay it from step 1, its changes at their steps.
      this.preset = link.preset;
      this.config = link.config;
      this.#engine.replay({ config: link.config, changes: link.changes }, 'Restarted from step 1: the link changed.');
    },
    ...(this.embedded ? { link: () => this.linkFromAttributes() } : {}),
  });

  readonly #engine: EngineController = new EngineController(this, {
    config: () => this.config,
    opened: (backend) => {
      const link = this.#hash.read(defaultAgents(backend));
      this.preset = link.preset;
      this.config = link.config;
      return link.changes;
    },
    // The run reached a recorded change (or went back to its start): the controls show it.
    followed: (config) => { this.config = config; },
    autoplay: () => (this.embedded ? this.hasAttribute('autoplay') : !this.#hash.paused),
    refused: (errors, fallback) => {
      if (fallback) this.config = fallback;
      this.fieldErrors = errors;
    },
  });

  /** A refused full screen, say: one line in the bar until the next. */
  @state() private toolNotice = '';

  constructor() {
    super();
    new KeyboardController(this, {
      scope: () => (this.embedded ? 'host' : 'window'),
      bindings: () => this.#bindings,
    });
    new VisibilityController(this, {
      playing: () => this.#engine.playing,
      pause: () => this.#engine.runner.pause(),
      resume: () => this.#engine.runner.play(),
    });
  }

  /** The shortcuts, in legend order (the key legend lists exactly these). */
  readonly #bindings: readonly KeyBinding[] = [
    { keys: [' '], label: 'Space', does: 'Play / pause', run: () => this.#togglePlay() },
    { keys: ['ArrowRight'], label: '→', does: 'One step (pauses first)', repeats: true, run: () => this.#stepOnce() },
    { keys: ['r'], label: 'R', does: 'Reset: the same seed from step 1', run: () => this.#runCommand('reset') },
    { keys: ['n'], label: 'N', does: 'New seed', run: () => this.#runCommand('new-seed') },
    { keys: ['b'], label: 'B', does: 'Baseline on vs off (a second group without it)', run: () => this.#toggleComparison() },
    { keys: ['+', '='], label: '+', does: 'Faster (more steps per frame, up to max: as many as 40 ms allows)', repeats: true, run: () => this.#changeSpeed(1) },
    { keys: ['-', '_'], label: '−', does: 'Slower', repeats: true, run: () => this.#changeSpeed(-1) },
    { keys: ['f'], label: 'F', does: 'Full screen on / off', run: () => this.#appCommand('fullscreen') },
    { keys: ['p'], label: 'P', does: 'Present mode: the charts only, large type', run: () => this.#appCommand('present') },
    { keys: ['?'], label: '?', does: 'This list of keys', run: () => this.#appCommand('keys') },
  ];

  #hookObject: PlaygroundHook | null = null;

  /** What tests (and the curious) read: the page also puts it on `window.__pgp`. */
  get hook(): PlaygroundHook {
    if (this.#hookObject) return this.#hookObject;
    const app = this;
    const engine = this.#engine;
    this.#hookObject = {
      app,
      get engine() { return engine.runner.engine; },
      get history() { return engine.session?.history ?? null; },
      get config() { return app.config; },
      get backend() { return engine.backend; },
      runner: engine.runner,
    };
    return this.#hookObject;
  }

  connectedCallback(): void {
    super.connectedCallback();
    if (!this.embedded) {
      window.__pgp = this.hook;
      // Page options come from the query string (the hash is the experiment).
      this.present = this.#hash.option('present') !== null;
      this.view = this.#hash.option('view') ?? '';
    }
    this.#boxObserver = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      // Only presenting does the shape matter; the page's height follows its content.
      if (this.present && box.width > 0 && box.height > 0) this.presentBox = { width: box.width, height: box.height };
    });
    this.#boxObserver.observe(this);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#boxObserver?.disconnect();
    this.#boxObserver = null;
  }

  /** The link's source changed (an embed's attributes were edited). */
  protected linkChanged(): void {
    this.#hash.sourceChanged();
  }

  #runCommand(command: RunCommandDetail['command']): void {
    if (!this.#engine.runner.engine) return; // starting: nothing to command yet
    this.#onRunCommand(new CustomEvent('run-command', { detail: { command } }));
  }

  #togglePlay(): void {
    const runner = this.#engine.runner;
    this.#runCommand(runner.playing ? 'pause' : runner.atBudget ? 'replay' : 'play');
  }

  #stepOnce(): void {
    const runner = this.#engine.runner;
    if (!runner.engine) return;
    if (runner.playing) runner.pause();
    else runner.runSteps(1);
  }

  #toggleComparison(): void {
    const refused = noBaselineComparison(this.config, isBaselineComparison(this.config));
    if (refused) {
      this.toolNotice = `B: ${refused}.`;
      return;
    }
    this.#onCompare(new CustomEvent('compare-change', { detail: !isBaselineComparison(this.config) }));
  }

  #changeSpeed(direction: 1 | -1): void {
    const runner = this.#engine.runner;
    const at = kSpeeds.findIndex((s) => s >= runner.speed);
    const index = Math.min(kSpeeds.length - 1, Math.max(0, (at < 0 ? kSpeeds.length - 1 : at) + direction));
    runner.speed = kSpeeds[index];
  }

  #appCommand(command: AppCommand): void {
    switch (command) {
      case 'present':
        this.present = !this.present;
        this.#hash.setOption('present', this.present ? '' : null);
        return;
      case 'fullscreen':
        if (document.fullscreenElement) void document.exitFullscreen();
        else this.requestFullscreen().catch((error: unknown) => { this.toolNotice = `Full screen was refused: ${(error as Error).message}`; });
        return;
      case 'keys':
        this.renderRoot.querySelector<PgKeyLegend>('pg-key-legend')?.toggle();
        return;
      case 'embed':
        this.renderRoot.querySelector<PgEmbedDialog>('pg-embed-dialog')?.show(this.#snippets());
        return;
    }
  }

  /** Where the library and the page are served: next to each other in the build. */
  protected scriptUrl(): string {
    return new URL('pg-playground.js', document.baseURI).href;
  }

  #snippets(): { element: string; iframe: string } {
    const view = parseView(this.view).charts;
    const script = this.scriptUrl();
    const spec = {
      // The run as the hash has it: its starting config and live changes, so an embed replays it.
      link: encodeLink(this.#engine.script.config, this.preset, this.#engine.script.changes),
      view: view.length > 0 ? view : kPresentDefaultView,
      scriptUrl: script,
      pageUrl: new URL('./', script).href,
    };
    return { element: elementSnippet(spec), iframe: iframeSnippet(spec) };
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
    if (this.toolNotice.startsWith('B:')) this.toolNotice = ''; // said of the config before
    this.config = next;
    this.#engine.apply(previous, next, reason);
  }

  #onParamChange(event: CustomEvent<ParamChangeDetail>): void {
    const { key, value } = event.detail;
    this.#setConfig(withParam(this.config, key, value), '');
  }

  /** A group key set for one group (the controls edit one group). */
  #onGroupParamChange(event: CustomEvent<GroupParamChangeDetail>): void {
    const { group, key, value } = event.detail;
    this.#setConfig(withGroupParam(this.config, group, key, value), '');
  }

  /** Groups added, removed or swept in the groups panel. */
  #onGroupsChange(event: CustomEvent<GroupsChangeDetail>): void {
    this.#setConfig(event.detail.config, event.detail.reason);
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

  /**
   * One chart's card; `fill` (present mode): the chart takes the card's height, and each group's
   * heatmap gets a card (a cell of the grid) of its own, since two stacked in one cell leave
   * neither room to read at presenting sizes.
   */
  #chartCard(name: ChartName, groups: number, fill: boolean) {
    if (fill && name === 'heatmap' && groups > 1) {
      return Array.from({ length: groups }, (_, g) => html`<div class="card heatmaps" data-chart=${name}
        @pick-agent=${(e: CustomEvent<PickAgentDetail>) => { this.agentPick = { ...e.detail }; }}><pg-heatmap-chart .group=${g} fill></pg-heatmap-chart></div>`);
    }
    switch (name) {
      case 'probabilities': return html`<div class="card" data-chart=${name}><pg-prob-chart ?fill=${fill}></pg-prob-chart></div>`;
      case 'heatmap': return html`<div class="card heatmaps" data-chart=${name} @pick-agent=${(e: CustomEvent<PickAgentDetail>) => { this.agentPick = { ...e.detail }; }}>
            ${Array.from({ length: groups }, (_, g) => html`<pg-heatmap-chart .group=${g} plot-height=${groups > 1 ? 150 : 220} ?fill=${fill}></pg-heatmap-chart>`)}
          </div>`;
      case 'reward': return html`<div class="card" data-chart=${name}><pg-reward-chart ?fill=${fill}></pg-reward-chart></div>`;
      case 'variance': return html`<div class="card" data-chart=${name}><pg-variance-chart ?fill=${fill}></pg-variance-chart></div>`;
      case 'policy': return html`<div class="card wide" data-chart=${name}><pg-policy-chart ?fill=${fill}></pg-policy-chart></div>`;
      // One group has nothing to compare: the study shows only where a view names it (and then says what it needs).
      case 'study': return groups > 1 || parseView(this.view).charts.includes('study')
        ? html`<div class="card" data-chart=${name}><pg-study-chart ?fill=${fill}></pg-study-chart></div>` : nothing;
      case 'seeds': return html`<div class="card" data-chart=${name} @pick-agent=${(e: CustomEvent<ExactAgentPick>) => { this.agentPick = { ...e.detail }; }}>
          <pg-seeds-chart ?fill=${fill} .engine=${this.#engine.runner.engine} .picked=${this.inspectedAgent}></pg-seeds-chart></div>`;
      case 'distribution': return html`<div class="card" data-chart=${name}><pg-distribution-chart ?fill=${fill} .engine=${this.#engine.runner.engine}></pg-distribution-chart></div>`;
      // PPO's own view, where some group takes several passes over its batches (or a view names it).
      case 'clip': return resolveGroups(this.config).some((g) => g.epochs > 1) || parseView(this.view).charts.includes('clip')
        ? html`<div class="card" data-chart=${name}><pg-clip-chart ?fill=${fill}></pg-clip-chart></div>` : nothing;
      // The gaussian policy's own view, where some group is one (or a view names it).
      case 'actions': return resolveGroups(this.config).some((g) => g.policy === 'gaussian') || parseView(this.view).charts.includes('actions')
        ? html`<div class="card" data-chart=${name}><pg-actions-chart ?fill=${fill}></pg-actions-chart></div>` : nothing;
    }
  }

  #startupPlaceholder() {
    return this.#engine.startup.render({
      pending: () => html`<p class="placeholder card">Opening WebGPU…</p>`,
      error: (error) => html`<p class="placeholder card">The page could not start: ${String(error)}</p>`,
      complete: () => nothing,
    });
  }

  /** Unknown chart names in `view`, said once. */
  #viewProblem(): string {
    const unknown = parseView(this.view).unknown;
    return unknown.length > 0 ? `view: no chart called ${unknown.join(', ')} (the charts: ${kChartNames.join(', ')})` : '';
  }

  /** The key legend and the embed dialog, in both layouts. */
  #dialogs() {
    return html`<pg-key-legend .bindings=${this.#bindings} ?embedded=${this.embedded}></pg-key-legend>
      <pg-embed-dialog></pg-embed-dialog>`;
  }

  #renderPresent() {
    const { notice, session } = this.#engine;
    const groups = session?.groups ?? this.config.groups.length;
    const charts = chartsToShow(parseView(this.view), true);
    const cells = charts.reduce((n, name) => n + (name === 'heatmap' ? groups : 1), 0);
    const { columns, rows } = presentGrid(cells, this.presentBox.width, this.presentBox.height);
    // Only what the room must know: a failure or a fallback, not "reset" or "restarted".
    const problems = [this.#hash.problems, this.#viewProblem(), this.toolNotice].filter((p) => p !== '');
    return html`<div class="present">
        <pg-present-bar .config=${this.config} @run-command=${this.#onRunCommand} @compare-change=${this.#onCompare}
          @param-change=${this.#onParamChange} @app-command=${(e: CustomEvent<AppCommand>) => this.#appCommand(e.detail)}></pg-present-bar>
        ${problems.length > 0 ? html`<p class="notice error" id="link-problems">${problems.join(' · ')}</p>` : nothing}
        ${notice && notice.kind !== 'info' ? html`<p class="notice ${notice.kind}" id="note">${notice.text}</p>` : nothing}
        <section class="charts" aria-label="Charts" style=${`--columns: ${columns}; --rows: ${rows}`}>
          ${this.#startupPlaceholder()}
          ${charts.map((name) => this.#chartCard(name, groups, true))}
        </section>
      </div>${this.#dialogs()}`;
  }

  render() {
    if (this.present) return this.#renderPresent();
    const { backend, notice, session } = this.#engine;
    const problems = [this.#hash.problems, this.#viewProblem(), this.toolNotice].filter((p) => p !== '').join(' · ');
    const groups = session?.groups ?? this.config.groups.length;
    const view = parseView(this.view);
    const policies = resolveGroups(this.config).map((g) => g.policy);
    const charts = arrangeCharts(chartsToShow(view, false), view.charts.length > 0, {
      arms: policies.some((p) => p !== 'gaussian'),
      gaussian: policies.includes('gaussian'),
    });
    return html`
      <header>
        <h1>Policy Gradient Playground</h1>
        <p class="intro">Thousands of agents, each a softmax policy π = softmax(θ / T) over the arms of a bandit, learn with
          REINFORCE: θ += lr · (R − b) · ∇ log π(a). Every agent is a seed; the charts show the whole population.
          ${resolveGroups(this.config).some((g) => g.policy === 'epsilon-greedy')
            ? html`<span id="intro-value">Epsilon-greedy groups learn values instead: each arm's average reward Q(a), choosing the highest
              except with probability ε, a random arm; they have no policy gradient.</span>`
            : nothing}
          ${resolveGroups(this.config).some((g) => g.policy === 'gaussian')
            ? html`<span id="intro-gaussian">Gaussian groups choose a continuous action instead, x ~ N(μ, σ²), and learn μ and log σ by the same
              rule; each agent's reward peaks at its own best action x*.</span>`
            : nothing}</p>
        ${this.#lede()}
      </header>
      <div class="bar">
        <div class="bar-row">
          <pg-run-bar @run-command=${this.#onRunCommand} @speed-change=${this.#onSpeed}
            @stop-change=${(e: CustomEvent<string>) => { this.#engine.runner.stopWhen = e.detail; }}
            @every-step-change=${(e: CustomEvent<boolean>) => { this.#engine.runner.everyStep = e.detail; }}></pg-run-bar>
          <span class="tools">
            <button id="present-toggle" title="The charts only, sized for a room (P)" @click=${() => this.#appCommand('present')}>Present</button>
            <button id="fullscreen" title="Full screen (F)" @click=${() => this.#appCommand('fullscreen')}>Full screen</button>
            <button id="embed" title="Snippets to put this experiment in slides or a page" @click=${() => this.#appCommand('embed')}>Embed</button>
            <pg-export-menu .hook=${this.hook}></pg-export-menu>
            <button id="keys" title="Keyboard shortcuts (?)" @click=${() => this.#appCommand('keys')}>Keys</button>
          </span>
        </div>
        ${problems ? html`<p class="notice error" id="link-problems">${problems}</p>` : nothing}
        ${notice ? html`<p class="notice ${notice.kind}" id="note">${notice.text}</p>` : nothing}
      </div>
      <div class="layout">
        <details class="panel" ?open=${this.#panelOpen} @toggle=${(e: Event) => { this.#panelOpen = (e.target as HTMLDetailsElement).open; }}>
          <summary>Parameters</summary>
          <pg-controls .config=${this.config} .preset=${this.preset} .errors=${this.fieldErrors}
            .agentLimit=${backend ? deviceAgentLimit(backend, this.config.params.arms) : null}
            @param-change=${this.#onParamChange} @preset-change=${this.#onPreset} @compare-change=${this.#onCompare}
            @group-param-change=${this.#onGroupParamChange} @groups-change=${this.#onGroupsChange}
            @run-command=${this.#onRunCommand}></pg-controls>
        </details>
        <section class="charts" aria-label="Charts">
          ${this.#startupPlaceholder()}
          ${charts.map((name) => this.#chartCard(name, groups, false))}
          <div class="card wide" id="inspector-card"><pg-agent-inspector .engine=${this.#engine.runner.engine} .pick=${this.agentPick}
            @agent-selected=${(e: CustomEvent<ExactAgentPick>) => { this.inspectedAgent = { ...e.detail }; }}
            @run-command=${this.#onRunCommand}></pg-agent-inspector></div>
          <div class="card wide" id="lab-card"><pg-gradient-lab .backend=${backend} .config=${this.config} .engine=${this.#engine.runner.engine}></pg-gradient-lab></div>
        </section>
      </div>${this.#dialogs()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-app': PgApp;
  }
}

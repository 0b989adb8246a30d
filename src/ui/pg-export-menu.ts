/**
 * The Export button and its menu: the run's statistics as CSV or JSON (sim's formats, written by
 * src/core/export.ts), the config as a `sim --config` file, the charts as one PNG or each chart
 * on screen as a PNG of its own, every agent's state as CSV (sim --agents-out's format), and the
 * link to the clipboard.
 *
 * A menu button in the ARIA pattern: a click, Enter or ↓ opens it on the first item (↑ on the
 * last), ↑/↓/Home/End move, Escape closes it back onto the button, Tab or a click elsewhere
 * closes it. (Space on the closed button stays the page's play key, as on every button of the
 * page.) What an item did is said below the button for a few seconds; a link the clipboard
 * refused stays there, selected, to copy by hand.
 */
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { agentsCsvParts, configToJson, rowsToCsv, rowsToJson } from '../core/export.ts';
import { encodeLink } from '../core/link.ts';
import { type ExportRun, type ExportSource, canvasPng, catchUpCharts, download, drawDashboard, exportFileName, exportRun, shareLink, shownCharts } from './export.ts';
import { formatCount } from './format.ts';

/** What the menu needs from the app: the page's hook plus where its charts are. */
export interface ExportHost extends ExportSource {
  readonly app: HTMLElement & { readonly preset: string | null; readonly renderRoot: ParentNode };
  readonly runner: { readonly playing: boolean; readonly busy: boolean; play(): void; pause(): void };
}

/** `png:NAME`: one chart (its short name) as a PNG. */
type ItemId = 'csv' | 'json' | 'config' | 'png' | 'agents' | 'link' | `png:${string}`;

interface Item {
  id: ItemId;
  label: string;
  hint: string;
  /** Needs a running engine (the config and the link do not). */
  needsRun: boolean;
}

const kItems: readonly Item[] = [
  { id: 'csv', label: 'CSV', hint: 'statistics, as sim writes them', needsRun: true },
  { id: 'json', label: 'JSON', hint: 'statistics and config, sim --format json', needsRun: true },
  { id: 'config', label: 'Config', hint: 'the experiment, for sim --config', needsRun: false },
  { id: 'png', label: 'PNG', hint: 'the charts, one image', needsRun: true },
  { id: 'agents', label: 'Agents CSV', hint: 'each agent: preferences, policy, best arm', needsRun: true },
  { id: 'link', label: 'Copy link', hint: 'this run, replayed when opened', needsRun: false },
];

/** How long a "saved" line stays. */
const kSaidMs = 6000;

@customElement('pg-export-menu')
export class PgExportMenu extends LitElement {
  static styles = css`
    :host { position: relative; display: inline-block; }
    button { font: inherit; font-size: 0.85rem; padding: 0.3rem 0.6rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; white-space: nowrap; color: inherit; }
    button:hover:not(:disabled) { background: #eef3fa; }
    #export[aria-expanded='true'] { background: #e3ecf7; border-color: #8fa6c4; }
    #export::after { content: ''; display: inline-block; margin-left: 0.4em; vertical-align: 0.15em; border: 0.28em solid transparent; border-top-color: currentColor; border-bottom: 0; }
    [role='menu'] { position: absolute; right: 0; top: calc(100% + 4px); z-index: 20; min-width: 17.5rem; margin: 0; padding: 0.3rem; list-style: none;
      background: #fff; border: 1px solid #c9d1db; border-radius: 8px; box-shadow: 0 8px 28px rgba(20, 30, 45, 0.18); display: grid; gap: 1px; }
    [role='menu'][hidden] { display: none; }
    [role='menuitem'] { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; width: 100%; text-align: left; border: 0; border-radius: 5px; padding: 0.38rem 0.55rem; background: transparent; }
    [role='menuitem']:hover:not(:disabled), [role='menuitem']:focus-visible { background: #e8f0fb; outline: none; }
    [role='menuitem']:disabled { color: #999; cursor: default; }
    [role='menuitem'].chart { padding-left: 1.3rem; font-size: 0.8rem; }
    .label { font-weight: 600; }
    .hint { color: #5a6472; font-size: 0.78rem; }
    [role='menuitem']:disabled .hint { color: #aaa; }
    .sep { height: 1px; background: #e3e7ec; margin: 0.2rem 0.3rem; }
    .said { position: absolute; right: 0; top: calc(100% + 4px); z-index: 19; width: max-content; max-width: min(30rem, 80vw); box-sizing: border-box;
      font-size: 0.8rem; line-height: 1.35; padding: 0.35rem 0.6rem; border-radius: 6px; background: #e8f0fb; color: #1d3f70; box-shadow: 0 4px 14px rgba(20, 30, 45, 0.12); }
    .said.failed { background: #fff4e0; color: #6b4500; }
    .said input { display: block; width: 100%; box-sizing: border-box; margin-top: 0.3rem; font: 0.78rem ui-monospace, monospace; padding: 0.2rem 0.3rem; border: 1px solid #c9b48a; border-radius: 4px; }
    .said .close { float: right; margin: -0.1rem -0.25rem 0 0.5rem; padding: 0 0.35rem; border: 0; background: transparent; font-size: 1rem; line-height: 1; }
  `;

  /** The app's test hook (`window.__pgp` on the page, `element.hook` embedded). */
  @property({ attribute: false }) hook: ExportHost | null = null;

  @state() private open = false;
  /** The charts on screen when the menu opened: one PNG item each. */
  @state() private charts: string[] = [];
  /** One line about the last export; `link` is a link the clipboard refused, shown to copy by hand. */
  @state() private said: { text: string; failed: boolean; link?: string } | null = null;
  @state() private working = false;
  @query('#export') private button!: HTMLButtonElement;
  #saidTimer = 0;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('pointerdown', this.#onOutside, true);
    clearTimeout(this.#saidTimer);
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has('said') && this.said?.link) {
      const box = this.renderRoot.querySelector<HTMLInputElement>('.said input');
      box?.focus();
      box?.select();
    }
  }

  get #items(): HTMLButtonElement[] {
    return [...this.renderRoot.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)')];
  }

  async #show(focus: 'first' | 'last'): Promise<void> {
    this.charts = this.hook ? shownCharts(this.hook.app.renderRoot) : [];
    this.open = true;
    this.said = null;
    addEventListener('pointerdown', this.#onOutside, true);
    await this.updateComplete;
    const items = this.#items;
    (focus === 'first' ? items[0] : items[items.length - 1])?.focus();
  }

  #hide(refocus: boolean): void {
    this.open = false;
    removeEventListener('pointerdown', this.#onOutside, true);
    if (refocus) this.button.focus();
  }

  readonly #onOutside = (event: PointerEvent): void => {
    if (!event.composedPath().includes(this)) this.#hide(false);
  };

  #onButtonKey(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.open) {
      event.preventDefault();
      this.#hide(true);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      void this.#show(event.key === 'ArrowDown' ? 'first' : 'last');
    }
  }

  #onButtonClick(): void {
    if (this.open) this.#hide(false);
    else void this.#show('first');
  }

  #onMenuKey(event: KeyboardEvent): void {
    const items = this.#items;
    const at = items.indexOf((this.renderRoot as ShadowRoot).activeElement as HTMLButtonElement);
    const move = (index: number) => {
      event.preventDefault();
      items[(index + items.length) % items.length]?.focus();
    };
    switch (event.key) {
      case 'ArrowDown': return move(at + 1);
      case 'ArrowUp': return move(at - 1);
      case 'Home': return move(0);
      case 'End': return move(items.length - 1);
      case 'Escape':
        event.preventDefault();
        return this.#hide(true);
      case 'Tab':
        return this.#hide(false);
      case ' ':
        // Space chooses the item (the menu pattern), not the page's play key; the window's
        // shortcut listener skips a key that was handled.
        event.preventDefault();
        if (!event.repeat) items[at]?.click();
        return;
    }
  }

  async #choose(id: ItemId): Promise<void> {
    this.#hide(true);
    const hook = this.hook;
    if (!hook) return;
    try {
      this.working = true;
      await this.#export(id, hook);
    } catch (error) {
      this.#say(`Could not export: ${(error as Error).message}`, true);
    } finally {
      this.working = false;
    }
  }

  async #export(id: ItemId, hook: ExportHost): Promise<void> {
    const preset = hook.app.preset;
    const run = exportRun(hook);
    const parent = this.renderRoot;
    if (id === 'link') return this.#copyLink(hook, run);
    if (id === 'config') {
      const config = run?.config ?? hook.config;
      const name = exportFileName(preset, null, '-config.json');
      download([configToJson(config)], 'application/json', name, parent);
      return this.#say(`Saved ${name}: run it with npm run sim -- --config ${name}${this.#changesNote(run)}`);
    }
    if (!run) return this.#say('Nothing to export yet: the run has not started.', true);
    switch (id) {
      case 'csv':
      case 'json': {
        const name = exportFileName(preset, run.steps, `.${id}`);
        const text = id === 'csv' ? rowsToCsv(run.description, run.rows) : rowsToJson(run.description, run.rows);
        download([text], id === 'csv' ? 'text/csv' : 'application/json', name, parent);
        const thinned = run.rows.steps.length < run.windows
          ? ` of the ${formatCount(run.windows)} the run has had (the page keeps at most 2,000 and records fewer while running fast; sim --config writes them all)`
          : '';
        return this.#say(`Saved ${name}: ${formatCount(run.rows.steps.length)} rows per group${thinned}${this.#changesNote(run)}`);
      }
      case 'png':
        return this.#exportPng(hook, run, preset, null);
      case 'agents':
        return this.#exportAgents(hook, preset);
      default:
        return this.#exportPng(hook, run, preset, id.slice('png:'.length));
    }
  }

  /** The charts on screen as one image, or one chart (`chart`, its short name) alone. */
  async #exportPng(hook: ExportHost, run: ExportRun, preset: string | null, chart: string | null): Promise<void> {
    await catchUpCharts(hook.app.renderRoot);
    const title = chart ? `Policy Gradient Playground: ${chart}` : 'Policy Gradient Playground';
    const canvas = drawDashboard(hook.app.renderRoot, { title, subtitle: this.#runLine(run, preset) }, chart ?? undefined);
    if (!canvas) return this.#say(chart ? `The ${chart} chart is not on screen.` : 'No chart is on screen to save.', true);
    const name = exportFileName(preset, run.steps, chart ? `-${chart}.png` : '.png');
    download([await canvasPng(canvas)], 'image/png', name, this.renderRoot);
    return this.#say(`Saved ${name} (${canvas.width}×${canvas.height}).`);
  }

  /** Pauses a playing run while the agents are read, so the file is one step's state, named by it. */
  async #exportAgents(hook: ExportHost, preset: string | null): Promise<void> {
    const runner = hook.runner;
    const wasPlaying = runner.playing;
    if (wasPlaying) runner.pause();
    try {
      for (let waited = 0; runner.busy && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const run = exportRun(hook);
      if (!run) return this.#say('Nothing to export yet: the run has not started.', true);
      const agents = run.config.groups.reduce((n, g) => n + (g.agents ?? run.config.params.agents), 0);
      this.#say(`Reading ${formatCount(agents)} agents…`);
      const parts = await agentsCsvParts(run.engine);
      const name = exportFileName(preset, run.engine.stepsDone, '-agents.csv');
      download(parts, 'text/csv', name, this.renderRoot);
      this.#say(`Saved ${name}: ${formatCount(agents)} agents after step ${formatCount(run.engine.stepsDone)}.`);
    } finally {
      if (wasPlaying) runner.play();
    }
  }

  async #copyLink(hook: ExportHost, run: ExportRun | null): Promise<void> {
    const isPage = typeof window !== 'undefined' && window.__pgp === (hook as unknown);
    const link = shareLink(isPage, run ? encodeLink(run.config, hook.app.preset, run.engine.paramChanges) : encodeLink(hook.config, hook.app.preset));
    try {
      await navigator.clipboard.writeText(link);
      this.#say('Copied the link: opening it replays this run.');
    } catch {
      // No clipboard here (an insecure page, a refused permission): the link, selected, to copy by hand.
      this.#say('Could not copy here: the link is selected, press Ctrl+C (⌘C).', true, link);
    }
  }

  /** The run in one line, for the image's heading. */
  #runLine(run: ExportRun, preset: string | null): string {
    const groups = run.config.groups.length;
    const agents = run.config.groups.map((g) => g.agents ?? run.config.params.agents);
    const population = groups > 1 && agents.every((n) => n === agents[0])
      ? `${formatCount(agents[0])} agents × ${groups} groups`
      : `${agents.map(formatCount).join(' + ')} agents`;
    return [preset ? `preset ${preset}` : 'custom experiment', population, `step ${formatCount(run.steps)}`,
      `seed ${run.config.params.seed}`, run.engine.kind === 'gpu' ? `WebGPU: ${run.engine.description}` : run.engine.description].join(' · ');
  }

  #changesNote(run: ExportRun | null): string {
    const changes = run?.engine.paramChanges.length ?? 0;
    return changes > 0
      ? ` (the config the run started from; its ${changes} live change${changes > 1 ? 's are' : ' is'} in the link, not the file)`
      : '';
  }

  #say(text: string, failed = false, link?: string): void {
    clearTimeout(this.#saidTimer);
    this.said = { text, failed, ...(link ? { link } : {}) };
    // A refused link stays until closed; other lines go after a while.
    if (!link) this.#saidTimer = window.setTimeout(() => { this.said = null; }, kSaidMs);
  }

  render() {
    const running = this.hook?.engine != null && this.hook.history != null;
    const said = this.said;
    return html`<button id="export" aria-haspopup="menu" aria-expanded=${this.open ? 'true' : 'false'} aria-controls="export-menu"
        title="Save this run: statistics, config, charts, agents, or its link" ?disabled=${this.working}
        @click=${this.#onButtonClick} @keydown=${this.#onButtonKey}>Export</button>
      <div id="export-menu" role="menu" aria-label="Export" ?hidden=${!this.open} @keydown=${this.#onMenuKey}
        @keyup=${(e: KeyboardEvent) => { if (e.key === ' ') e.preventDefault(); }}>
        ${kItems.map((item) => html`${item.id === 'link' ? html`<div class="sep" role="separator"></div>` : nothing}
          <button role="menuitem" id=${`export-${item.id}`} tabindex="-1" ?disabled=${item.needsRun && !running}
            @click=${() => this.#choose(item.id)}><span class="label">${item.label}</span><span class="hint" aria-hidden="true">${item.hint}</span></button>
          ${item.id === 'png' ? this.charts.map((chart) => html`<button role="menuitem" class="chart" id=${`export-png-${chart}`} tabindex="-1" ?disabled=${!running}
            @click=${() => this.#choose(`png:${chart}`)}><span class="label">PNG: ${chart}</span><span class="hint" aria-hidden="true">this chart alone</span></button>`) : nothing}`)}
      </div>
      ${said && !this.open ? html`<div class=${said.failed ? 'said failed' : 'said'} role="status" id="export-said">
          ${said.link ? html`<button class="close" aria-label="Close" @click=${() => { this.said = null; }}>×</button>` : nothing}${said.text}
          ${said.link ? html`<input readonly aria-label="Link to this run" .value=${said.link}>` : nothing}
        </div>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-export-menu': PgExportMenu;
  }
}

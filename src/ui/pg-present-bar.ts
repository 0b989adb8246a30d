/**
 * Present mode's one thin bar: what a presenter touches during a demo (play, reset, baseline on
 * vs off, the learning rate; both disabled, with their reason as the tooltip, where no group is
 * a softmax policy) and the way out (full screen, keys, leave present mode), with the
 * step counter and the engine in a few words. Commands go up as the app's usual events
 * (`run-command`, `compare-change`, `param-change`) plus `app-command` for the page's own.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import { type NumberSpec, paramSpec } from '../core/schema.ts';
import { isBaselineComparison } from './config-edit.ts';
import { formatCount, formatNumber } from './format.ts';
import type { ParamChangeDetail } from './pg-param.ts';
import { noBaselineComparison, noLearningRate } from './policy-keys.ts';
import type { RunCommand, RunCommandDetail } from './pg-run-bar.ts';
import { type RunStatus, runStatusContext } from './run-controller.ts';
import { sliderScale } from './slider-scale.ts';

/** The app's own commands (not the run's): the same as their keys. */
export type AppCommand = 'present' | 'fullscreen' | 'keys' | 'embed';

const kLrSpec = paramSpec('lr') as NumberSpec;
const kLrScale = sliderScale(kLrSpec)!;

@customElement('pg-present-bar')
export class PgPresentBar extends LitElement {
  static styles = css`
    :host { display: block; font-size: var(--pg-bar-font, 1rem); }
    .bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em 0.9em; }
    button { font: inherit; padding: 0.15em 0.6em; border-radius: 0.35em; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; line-height: 1.3; }
    button:hover:not(:disabled) { background: #eef3fa; }
    button:disabled { opacity: 0.5; cursor: default; }
    button.primary { background: #1d4f91; color: #fff; border-color: #1d4f91; min-width: 5.6em; font-weight: 600; }
    label { display: inline-flex; align-items: center; gap: 0.35em; cursor: pointer; }
    input[type='checkbox'] { width: 1em; height: 1em; accent-color: #b34a00; margin: 0; }
    input[type='range'] { width: 9em; accent-color: #1d4f91; }
    .lr-value { font-variant-numeric: tabular-nums; min-width: 3.2em; font-weight: 600; }
    .status { color: #444; font-variant-numeric: tabular-nums; }
    .status .fallback { color: #8a5a00; font-weight: 600; }
    .spacer { flex: 1 1 auto; }
    .tools { display: inline-flex; gap: 0.4em; }
  `;

  @property({ attribute: false }) config!: ExperimentConfig;

  @consume({ context: runStatusContext, subscribe: true })
  @state()
  private status?: RunStatus;

  #emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #run(command: RunCommand): void {
    this.#emit('run-command', { command } satisfies RunCommandDetail);
  }

  render() {
    const status = this.status;
    const config = this.config;
    if (!status || !config) return nothing;
    const { ready, playing, atBudget } = status;
    const groups = resolveGroups(config);
    // The learning rate of the groups it acts on: an epsilon-greedy group's lr is unused.
    const lr = (groups.find((g) => g.policy === 'softmax') ?? groups[0]).lr;
    const noLr = noLearningRate(config);
    const comparing = isBaselineComparison(config);
    const noComparison = noBaselineComparison(config, comparing);
    return html`<div class="bar">
      <button class="primary" id="present-play" ?disabled=${!ready} @click=${() => this.#run(playing ? 'pause' : atBudget ? 'replay' : 'play')}
        aria-label=${playing ? 'Pause' : atBudget ? 'Replay from step 1' : 'Play'}>${playing ? '❚❚ Pause' : atBudget ? '↻ Replay' : '▶ Play'}</button>
      <button id="present-reset" ?disabled=${!ready} @click=${() => this.#run('reset')} title="Same seed, from step 1 (R)">Reset</button>
      <label title=${noComparison ? `Off: ${noComparison}` : 'A second group identical but for the baseline (B)'}>
        <input id="present-compare" type="checkbox" .checked=${live(comparing)} ?disabled=${noComparison !== ''}
          @change=${(e: Event) => this.#emit('compare-change', (e.target as HTMLInputElement).checked)} />
        Baseline on vs off</label>
      <label for="present-lr" title=${noLr ? `No learning rate: ${noLr}` : 'Learning rate of the softmax groups'}>lr
        <input id="present-lr" type="range" min="0" max=${kLrScale.positions} step="1" .value=${live(String(kLrScale.toPosition(lr)))}
          ?disabled=${noLr !== ''}
          aria-valuetext=${formatNumber(lr)}
          @input=${(e: Event) => this.#emit('param-change', { key: 'lr', value: kLrScale.fromPosition(Number((e.target as HTMLInputElement).value)) } satisfies ParamChangeDetail)} />
        <span class="lr-value">${noLr ? '–' : formatNumber(lr)}</span></label>
      <span class="status" id="present-status">
        ${ready ? `step ${formatCount(status.stepsDone)} / ${formatCount(status.budget)}` : 'starting…'}
        ${status.fallback ? html` · <span class="fallback">CPU fallback</span>` : nothing}
      </span>
      <span class="spacer"></span>
      <span class="tools">
        <button id="present-fullscreen" @click=${() => this.#emit('app-command', 'fullscreen' satisfies AppCommand)} title="Full screen (F)">Full screen</button>
        <button id="present-keys" @click=${() => this.#emit('app-command', 'keys' satisfies AppCommand)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">?</button>
        <button id="present-exit" @click=${() => this.#emit('app-command', 'present' satisfies AppCommand)} title="Leave present mode (P)">✕ Exit</button>
      </span>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-present-bar': PgPresentBar;
  }
}

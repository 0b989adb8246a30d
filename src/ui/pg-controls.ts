/**
 * The parameter panel: presets, the baseline on/off comparison, and one control per entry of the
 * schema (`kParamSpecs`, in its order; no second list of parameters). Changes go up as events.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type ExperimentConfig, encodeConfigQuery, resolveGroups } from '../core/config.ts';
import { kPresets } from '../core/presets.ts';
import { kParamSpecs } from '../core/schema.ts';
import { comparedBaseline, groupValuesText, isBaselineComparison } from './config-edit.ts';
import './pg-param.ts';
import type { RunCommandDetail } from './pg-run-bar.ts';

@customElement('pg-controls')
export class PgControls extends LitElement {
  static styles = css`
    :host { display: block; font-size: 0.9rem; }
    .top { display: grid; gap: 0.5rem; padding-bottom: 0.5rem; border-bottom: 1px solid #ddd; }
    label.field { display: grid; gap: 0.2rem; font-weight: 600; font-size: 0.88rem; }
    select { font: inherit; font-size: 0.88rem; padding: 0.2rem; }
    .preset-help, .toggle-help { color: #555; font-size: 0.78rem; font-weight: 400; margin: 0; line-height: 1.3; }
    .toggle { display: flex; gap: 0.45rem; align-items: flex-start; font-weight: 600; font-size: 0.88rem; cursor: pointer; }
    .toggle input { margin-top: 0.2rem; accent-color: #b34a00; }
    button.seed { font: inherit; font-size: 0.78rem; padding: 0.1rem 0.45rem; border-radius: 5px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
  `;

  @property({ attribute: false }) config!: ExperimentConfig;
  /** Refused values, by key. */
  @property({ attribute: false }) errors: ReadonlyMap<string, string> = new Map();
  /** The most agents this device holds (GPU), or null. */
  @property({ type: Number }) agentLimit: number | null = null;

  #presetName(): string {
    const query = encodeConfigQuery(this.config);
    return kPresets.find((p) => encodeConfigQuery(p.config) === query)?.name ?? '';
  }

  #emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  render() {
    const config = this.config;
    if (!config) return nothing;
    const presetName = this.#presetName();
    const preset = kPresets.find((p) => p.name === presetName);
    const comparing = isBaselineComparison(config);
    // Group keys show group 0's value (the groups' own values are listed when they differ).
    const first = resolveGroups(config)[0];
    return html`
      <div class="top">
        <label class="field">Preset
          <select id="preset" @change=${(e: Event) => this.#emit('preset-change', (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${presetName === ''}>(your own settings)</option>
            ${kPresets.map((p) => html`<option value=${p.name} ?selected=${p.name === presetName} title=${p.description}>${p.name}</option>`)}
          </select>
          ${preset ? html`<p class="preset-help">${preset.description}</p>` : nothing}
        </label>
        <label class="toggle">
          <input id="compare" type="checkbox" .checked=${comparing}
            @change=${(e: Event) => this.#emit('compare-change', (e.target as HTMLInputElement).checked)} />
          <span>Baseline on vs off, side by side
            <p class="toggle-help">Adds a second group identical but for the baseline (“${comparedBaseline(config)}” vs “none”):
              same agents, same random numbers, on the same charts in a second colour. Restarts the run.</p>
          </span>
        </label>
      </div>
      ${kParamSpecs.map((spec) => html`<pg-param
          .spec=${spec}
          .value=${first[spec.key]}
          .groupValues=${spec.scope === 'group' ? groupValuesText(config, spec.key) : null}
          .maxValue=${spec.key === 'agents' && this.agentLimit !== null ? Math.floor(this.agentLimit / config.groups.length) : null}
          .error=${this.errors.get(spec.key) ?? ''}
          .extra=${spec.key === 'seed'
            ? html`<button class="seed" id="new-seed-param" @click=${() => this.#emit('run-command', { command: 'new-seed' } satisfies RunCommandDetail)}>new seed</button>`
            : nothing}
          data-key=${spec.key}></pg-param>`)}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-controls': PgControls;
  }
}

/**
 * The parameter panel: presets, the baseline on/off comparison, the groups (pg-groups.ts: add,
 * remove, sweep, which group the controls edit), and one control per entry of the schema
 * (`kParamSpecs`; no second list of parameters): the knobs a learner drags first, the rest folded
 * away in schema order. Only the keys that act on the edited groups' policies show
 * (policy-keys.ts): a learning rate means nothing to an epsilon-greedy group. Changes go up as events: `param-change` sets a key for every group;
 * while one group is being edited, a group key's change goes up as `group-param-change`
 * (`{ group, key, value }`) instead.
 */
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import { encodeLink } from '../core/link.ts';
import { kPresets } from '../core/presets.ts';
import { type ParamKey, type ParamSpec, type Params, kParamSpecs } from '../core/schema.ts';
import { comparedBaseline, groupValuesText, isBaselineComparison } from './config-edit.ts';
import './pg-groups.ts';
import './pg-param.ts';
import type { ParamChangeDetail } from './pg-param.ts';
import { keyApplies, noBaselineComparison, policiesOf } from './policy-keys.ts';
import type { RunCommandDetail } from './pg-run-bar.ts';

export interface GroupParamChangeDetail extends ParamChangeDetail {
  group: number;
}

/** The knobs the lesson is about, shown first; every other parameter folds away under "More settings". */
const kLearnerKeys: readonly ParamKey[] = ['lr', 'baseline', 'baselineStart', 'epsilon', 'initialValue', 'offset', 'scale', 'arms'];
// A group's name (`label`) is given in the groups panel (Rename group), not here.

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
    details.more { margin-top: 0.6rem; border-top: 1px solid #ddd; padding-top: 0.3rem; }
    details.more > summary { cursor: pointer; font-weight: 600; font-size: 0.88rem; color: #333; padding: 0.2rem 0; }
    button.seed { font: inherit; font-size: 0.78rem; padding: 0.1rem 0.45rem; border-radius: 5px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
  `;

  @property({ attribute: false }) config!: ExperimentConfig;
  /** Refused values, by key. */
  @property({ attribute: false }) errors: ReadonlyMap<string, string> = new Map();
  /** The most agents this device holds (GPU), or null. */
  @property({ type: Number }) agentLimit: number | null = null;

  /** The preset the config builds on (the page's link names it), or null. */
  @property({ attribute: false }) preset: string | null = null;

  /** The group the controls edit and show, or null: all of them (group 0's values shown). */
  @state() private editGroup: number | null = null;

  protected willUpdate(changed: PropertyValues): void {
    // A group that no longer exists (removed, a preset with fewer groups) is not edited.
    if (changed.has('config') && this.config && this.editGroup !== null && this.editGroup >= this.config.groups.length) this.editGroup = null;
  }

  /** While one group is edited, its group keys' changes go up for that group only. */
  #onParamChange(event: CustomEvent<ParamChangeDetail>): void {
    const group = this.editGroup;
    if (group === null || kParamSpecs.find((s) => s.key === event.detail.key)?.scope !== 'group') return;
    event.stopPropagation();
    this.#emit('group-param-change', { ...event.detail, group } satisfies GroupParamChangeDetail);
  }

  #emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  render() {
    const config = this.config;
    if (!config) return nothing;
    const presetName = this.preset ?? '';
    // What the link adds to the preset: the keys changed since it was loaded.
    const changes = presetName
      ? encodeLink(config, presetName).split('&').slice(1).map((kv) => (kv.startsWith('group=') ? 'groups' : decodeURIComponent(kv.split('=')[0])))
      : [];
    const comparing = isBaselineComparison(config);
    const noComparison = noBaselineComparison(config, comparing);
    const edited = this.editGroup === null ? null : [this.editGroup];
    const policies = policiesOf(config, edited);
    const shown = (spec: ParamSpec) => keyApplies(spec.key, policies);
    // Group keys show the edited group's value, or when all are edited the first group's that
    // the key acts on (the groups' own values are listed when they differ).
    const groups = resolveGroups(config);
    const valueOf = (spec: ParamSpec) => {
      if (this.editGroup !== null) return (groups[this.editGroup] ?? groups[0])[spec.key];
      return (groups.find((g) => keyApplies(spec.key, new Set([g.policy]))) ?? groups[0])[spec.key];
    };
    return html`
      <div class="top">
        <label class="field">Preset
          <select id="preset" @change=${(e: Event) => this.#emit('preset-change', (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${presetName === ''}>(your own settings)</option>
            ${kPresets.map((p) => html`<option value=${p.name} ?selected=${p.name === presetName} title=${p.description}>${p.name}</option>`)}
          </select>
          ${changes.length > 0
            ? html`<p class="preset-help" id="preset-changes">Changed from the preset: ${[...new Set(changes)].join(', ')}. Pick it again to go back.</p>`
            : nothing}
        </label>
        <label class="toggle">
          <input id="compare" type="checkbox" .checked=${comparing} ?disabled=${noComparison !== ''}
            @change=${(e: Event) => this.#emit('compare-change', (e.target as HTMLInputElement).checked)} />
          <span>Baseline on vs off, side by side
            <p class="toggle-help">Adds a second group identical but for the baseline (“${comparedBaseline(config)}” vs “none”):
              same agents, same random numbers, on the same charts in a second colour. Restarts the run.</p>
            ${noComparison ? html`<p class="toggle-help" id="compare-off">Off here: ${noComparison}.</p>` : nothing}
          </span>
        </label>
      </div>
      <pg-groups .config=${config} .editGroup=${this.editGroup}
        @edit-group-change=${(e: CustomEvent<number | null>) => { this.editGroup = e.detail; }}></pg-groups>
      <div class="params" @param-change=${this.#onParamChange}>
        ${kLearnerKeys.map((key) => kParamSpecs.find((s) => s.key === key)!).filter(shown).map((spec) => this.#param(spec, config, valueOf(spec)))}
        <details class="more">
          <summary>More settings</summary>
          ${kParamSpecs.filter((s) => !kLearnerKeys.includes(s.key) && s.key !== 'label' && shown(s)).map((spec) => this.#param(spec, config, valueOf(spec)))}
        </details>
      </div>`;
  }

  #param(spec: ParamSpec, config: ExperimentConfig, value: Params[ParamKey]) {
    return html`<pg-param
          .spec=${spec}
          .value=${value}
          .groupValues=${spec.scope === 'group' && this.editGroup === null ? groupValuesText(config, spec.key) : null}
          .maxValue=${spec.key === 'agents' && this.agentLimit !== null ? Math.floor(this.agentLimit / config.groups.length) : null}
          .error=${this.errors.get(spec.key) ?? ''}
          .extra=${spec.key === 'seed'
            ? html`<button class="seed" id="new-seed-param" @click=${() => this.#emit('run-command', { command: 'new-seed' } satisfies RunCommandDetail)}>new seed</button>`
            : nothing}
          data-key=${spec.key}></pg-param>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-controls': PgControls;
  }
}

/**
 * The groups panel: one row per group (its colour, as on the charts, and its name, else its label
 * from the parameters that tell the groups apart, as the CSV names them), "Rename group" (the
 * group key `label`, which the charts, files and links carry), "Add group", "Remove group",
 * which group the parameter controls edit (all of them, or one), and "Sweep": a small form that
 * makes one group per value of a group parameter, from a list or a linear or log range.
 *
 * Properties down, events up: `groups-change` with `{ config, reason }` (a config the pure
 * functions of config-edit.ts built; a sweep the schema refused never leaves the form) and
 * `edit-group-change` with the group to edit, or null for all.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ExperimentConfig, kMaxGroups } from '../core/config.ts';
import { ConfigError, type ParamKey, checkValue, formatFieldError, paramSpec } from '../core/schema.ts';
import {
  type RangeScale,
  type SweepMode,
  addGroup,
  groupLabels,
  removeGroup,
  sweepList,
  withGroupParam,
  sweepRange,
  sweepableSpecs,
  withSweep,
} from './config-edit.ts';
import { groupColours } from './palette.ts';

export interface GroupsChangeDetail {
  config: ExperimentConfig;
  reason: string;
}

@customElement('pg-groups')
export class PgGroups extends LitElement {
  static styles = css`
    :host { display: block; padding: 0.5rem 0; border-bottom: 1px solid #ddd; font-size: 0.88rem; }
    h3 { font-size: 0.88rem; margin: 0 0 0.25rem; }
    .crn { color: #555; font-size: 0.76rem; margin: 0 0 0.35rem; line-height: 1.3; }
    ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.15rem; }
    li { display: flex; align-items: center; gap: 0.4rem; }
    li.editing { background: #eef3fa; border-radius: 4px; }
    .swatch { width: 0.9em; height: 0.9em; border-radius: 2px; flex: none; }
    .label { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; }
    .index { color: #666; font-variant-numeric: tabular-nums; }
    button { font: inherit; font-size: 0.78rem; padding: 0.1rem 0.45rem; border-radius: 5px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
    button:disabled { opacity: 0.45; cursor: default; }
    button.remove, button.rename-button { padding: 0 0.35rem; }
    input.rename { flex: 1 1 auto; min-width: 0; }
    .actions { display: flex; gap: 0.35rem; margin-top: 0.35rem; flex-wrap: wrap; align-items: center; }
    label.edit { display: grid; grid-template-columns: auto minmax(0, 1fr); align-items: center; gap: 0.4rem; font-weight: 600; margin-top: 0.4rem; }
    select, input { font: inherit; font-size: 0.85rem; padding: 0.1rem 0.2rem; }
    form { margin-top: 0.4rem; padding: 0.4rem; border: 1px solid #dde1e6; border-radius: 6px; display: grid; gap: 0.3rem; background: #fafbfc; }
    form label { display: grid; gap: 0.1rem; font-size: 0.8rem; font-weight: 600; min-width: 0; }
    form select, form input:not([type='radio']), label.edit select { width: 100%; box-sizing: border-box; min-width: 0; }
    form > * { min-width: 0; }
    form .row { display: flex; gap: 0.3rem; }
    form .row label { flex: 1 1 0; min-width: 0; }
    form .row input { width: 100%; box-sizing: border-box; }
    fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 0.6rem; font-size: 0.8rem; }
    fieldset label { display: inline-flex; font-weight: 400; gap: 0.2rem; align-items: center; }
    .hint { color: #555; font-size: 0.75rem; margin: 0; line-height: 1.3; }
    .error { color: #b00020; font-size: 0.78rem; margin: 0; white-space: pre-line; overflow-wrap: anywhere; }
  `;

  @property({ attribute: false }) config!: ExperimentConfig;
  /** The group the parameter controls edit, or null: every group. */
  @property({ attribute: false }) editGroup: number | null = null;

  @state() private sweepOpen = false;
  @state() private sweepKey: ParamKey = 'lr';
  @state() private valuesAs: 'list' | 'range' = 'list';
  @state() private sweepMode: SweepMode = 'replace';
  @state() private sweepError = '';
  /** The group whose name is being typed, or null. */
  @state() private renaming: number | null = null;
  @state() private renameError = '';

  #emit(config: ExperimentConfig, reason: string): void {
    this.dispatchEvent(new CustomEvent<GroupsChangeDetail>('groups-change', { detail: { config, reason }, bubbles: true, composed: true }));
  }

  #edit(group: number | null): void {
    this.dispatchEvent(new CustomEvent<number | null>('edit-group-change', { detail: group, bubbles: true, composed: true }));
  }

  #add(): void {
    const from = this.editGroup ?? 0;
    try {
      const next = addGroup(this.config, from);
      this.#emit(next, `group ${next.groups.length - 1} added (a copy of group ${from})`);
      this.#edit(next.groups.length - 1);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.sweepError = error.errors.map(formatFieldError).join('\n');
    }
  }

  #remove(group: number): void {
    const next = removeGroup(this.config, group);
    if (this.editGroup !== null && this.editGroup >= group) this.#edit(this.editGroup === group ? null : this.editGroup - 1);
    this.#emit(next, `group ${group} removed`);
  }

  /** Names group `group` (empty: back to its parameters' label); a name the schema refuses stays in the field, said. */
  #rename(group: number, text: string): void {
    const checked = checkValue(paramSpec('label')!, text);
    if (!checked.ok) {
      this.renameError = `Group name: ${checked.message}`;
      return;
    }
    this.renaming = null;
    this.renameError = '';
    if ((this.config.groups[group].label ?? this.config.params.label) === checked.value) return;
    this.#emit(withGroupParam(this.config, group, 'label', checked.value), checked.value ? `group ${group} named ${checked.value}` : `group ${group} unnamed`);
  }

  #renameKey(event: KeyboardEvent, group: number): void {
    if (event.key === 'Enter') this.#rename(group, (event.target as HTMLInputElement).value);
    else if (event.key === 'Escape') {
      event.stopPropagation();
      this.renaming = null;
      this.renameError = '';
    }
  }

  #field(name: string): string {
    return this.renderRoot.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)?.value ?? '';
  }

  #applySweep(event: Event): void {
    event.preventDefault();
    const key = this.sweepKey;
    try {
      const values = this.valuesAs === 'list'
        ? sweepList(key, this.#field('values'))
        : sweepRange(key, numberOrNaN(this.#field('from')), numberOrNaN(this.#field('to')), numberOrNaN(this.#field('count')), this.#field('scale') as RangeScale);
      const next = withSweep(this.config, key, values, this.sweepMode, this.editGroup ?? 0);
      this.sweepError = '';
      this.sweepOpen = false;
      this.#edit(null);
      this.#emit(next, `sweep over ${key}: ${next.groups.length} groups`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Nothing is applied: the form stays open with every bad field named.
      this.sweepError = error.errors.map(formatFieldError).join('\n');
    }
  }

  render() {
    const config = this.config;
    if (!config) return nothing;
    const count = config.groups.length;
    const labels = groupLabels(config);
    const colours = groupColours(config);
    const label = (g: number) => labels[g] || 'the only group';
    return html`
      <h3 id="groups-heading">Groups</h3>
      <p class="crn" id="crn-note" title="Common random numbers: agent i of each group sees the same bandit and the same draws">Every group meets the same agents and the same random numbers: differences are the parameters'.</p>
      <ol aria-labelledby="groups-heading">
        ${config.groups.map((_, g) => html`<li class=${this.editGroup === g ? 'editing' : ''} data-group=${g}>
          <span class="swatch" style=${`background: ${colours[g].line}`} aria-hidden="true"></span>
          ${this.renaming === g
            ? html`<input class="rename" aria-label=${`Name of group ${g}`} maxlength="24" placeholder="empty: its parameters"
                .value=${config.groups[g].label ?? config.params.label} @keydown=${(e: KeyboardEvent) => this.#renameKey(e, g)}
                @change=${(e: Event) => this.#rename(g, (e.target as HTMLInputElement).value)} />`
            : html`<span class="label"><span class="index">${g}</span> ${label(g)}</span>`}
          <button class="rename-button" aria-label=${`Rename group ${g} (${label(g)})`} title="Name this group (restarts the run: the same seed, the same run)"
            @click=${() => { this.renaming = this.renaming === g ? null : g; this.renameError = ''; }}>✎</button>
          <button class="remove" aria-label=${`Remove group ${g} (${label(g)})`} title="Remove this group (restarts the run)"
            ?disabled=${count <= 1} @click=${() => this.#remove(g)}>✕</button>
        </li>`)}
      </ol>
      ${this.renameError ? html`<p class="error" role="alert" id="rename-error">${this.renameError}</p>` : nothing}
      <div class="actions">
        <button id="add-group" ?disabled=${count >= kMaxGroups} title=${`A copy of ${this.editGroup === null ? 'group 0' : `group ${this.editGroup}`} (restarts the run; at most ${kMaxGroups})`}
          @click=${() => this.#add()}>Add group</button>
        <button id="sweep" aria-expanded=${this.sweepOpen ? 'true' : 'false'} aria-controls="sweep-form"
          @click=${() => { this.sweepOpen = !this.sweepOpen; this.sweepError = ''; }}>Sweep</button>
      </div>
      ${count > 1 ? html`<label class="edit">The controls below edit
        <select id="edit-group" aria-label="Which group the controls edit"
          @change=${(e: Event) => { const v = (e.target as HTMLSelectElement).value; this.#edit(v === 'all' ? null : Number(v)); }}>
          <option value="all" ?selected=${this.editGroup === null}>All groups</option>
          ${count > 1 ? config.groups.map((_, g) => html`<option value=${g} ?selected=${this.editGroup === g}>group ${g}: ${label(g)}</option>`) : nothing}
        </select>
      </label>
      <p class="hint">${this.editGroup === null
        ? 'A change sets every group to one value.'
        : `Group parameters change group ${this.editGroup} only; shared ones (arms, steps, seed, ...) change every group.`}</p>` : nothing}
      ${this.sweepOpen ? this.#sweepForm() : this.sweepError ? html`<p class="error" role="alert">${this.sweepError}</p>` : nothing}`;
  }

  #sweepForm() {
    const spec = paramSpec(this.sweepKey);
    const numeric = spec?.type === 'int' || spec?.type === 'float';
    const valuesAs = numeric ? this.valuesAs : 'list';
    const count = this.config.groups.length;
    const base = this.editGroup ?? 0;
    return html`<form id="sweep-form" aria-label="Sweep a parameter" @submit=${(e: Event) => this.#applySweep(e)}>
      <label>Parameter
        <select name="key" aria-label="Sweep parameter" @change=${(e: Event) => { this.sweepKey = (e.target as HTMLSelectElement).value as ParamKey; this.sweepError = ''; }}>
          ${sweepableSpecs().map((s) => html`<option value=${s.key} ?selected=${s.key === this.sweepKey}>${s.label} (${s.key})</option>`)}
        </select>
      </label>
      ${numeric ? html`<fieldset aria-label="Values as">
        <label><input type="radio" name="values-as" value="list" .checked=${valuesAs === 'list'} @change=${() => { this.valuesAs = 'list'; }} />a list</label>
        <label><input type="radio" name="values-as" value="range" .checked=${valuesAs === 'range'} @change=${() => { this.valuesAs = 'range'; }} />a range</label>
      </fieldset>` : nothing}
      ${valuesAs === 'list'
        ? html`<label>Values <input name="values" aria-label="Sweep values" placeholder=${spec?.type === 'enum' ? spec.options.join(', ') : '0.01, 0.1, 1'} /></label>`
        : html`<div class="row">
            <label>From <input name="from" aria-label="Range from" inputmode="decimal" /></label>
            <label>To <input name="to" aria-label="Range to" inputmode="decimal" /></label>
            <label>Count <input name="count" aria-label="Range count" inputmode="numeric" value="3" /></label>
            <label>Scale <select name="scale" aria-label="Range scale"><option value="linear">linear</option><option value="log">log</option></select></label>
          </div>`}
      <label>The groups
        <select name="mode" aria-label="Sweep groups" @change=${(e: Event) => { this.sweepMode = (e.target as HTMLSelectElement).value as SweepMode; }}>
          <option value="replace" ?selected=${this.sweepMode === 'replace'}>replace: one group per value (copies of group ${base})</option>
          <option value="multiply" ?selected=${this.sweepMode === 'multiply'} >multiply: each of the ${count} groups once per value</option>
        </select>
      </label>
      <p class="hint">At most ${kMaxGroups} groups. Every group meets the same agents and random numbers, so the values' differences are the parameter's. Restarts the run.</p>
      ${this.sweepError ? html`<p class="error" role="alert" id="sweep-error">${this.sweepError}</p>` : nothing}
      <div class="actions">
        <button type="submit" id="apply-sweep">Apply sweep</button>
        <button type="button" @click=${() => { this.sweepOpen = false; this.sweepError = ''; }}>Cancel</button>
      </div>
    </form>`;
  }
}

/** A typed number, or NaN for anything else (an empty field included), which the range check names. */
function numberOrNaN(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-groups': PgGroups;
  }
}

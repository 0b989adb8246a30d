/**
 * One parameter's control, drawn from its schema entry: a native range input (log, linear or
 * asinh steps; arrow keys take one step) with a number field for exact values, a select for
 * enums, a text field for lists. Live parameters report every move; the others report when the
 * slider is released, since they restart the run.
 *
 * Fires `param-change` with `{ key, value }` (a value the schema accepts) and never changes
 * anything itself: properties down, events up.
 */
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import {
  type NumberSpec,
  type ParamKey,
  type ParamSpec,
  type Params,
  checkValue,
  describeRange,
  formatValue,
  parseValue,
} from '../core/schema.ts';
import { formatNumber } from './format.ts';
import { type SliderScale, sliderScale } from './slider-scale.ts';

export interface ParamChangeDetail {
  key: ParamKey;
  value: Params[ParamKey];
}

@customElement('pg-param')
export class PgParam extends LitElement {
  static styles = css`
    :host { display: block; padding: 0.35rem 0; border-bottom: 1px solid #eee; }
    .row { display: flex; align-items: baseline; gap: 0.4rem; flex-wrap: wrap; }
    label { font-weight: 600; font-size: 0.88rem; flex: 1 1 auto; }
    .value { display: flex; align-items: baseline; gap: 0.25rem; font-size: 0.85rem; }
    .value input { width: 6.5em; font: inherit; padding: 0.1rem 0.25rem; text-align: right; }
    .unit { color: #666; font-size: 0.8rem; }
    input[type='range'] { width: 100%; margin: 0.2rem 0 0; accent-color: #1d4f91; }
    select, input.text { font: inherit; font-size: 0.88rem; padding: 0.15rem 0.25rem; max-width: 100%; }
    input.text { width: 100%; box-sizing: border-box; margin-top: 0.2rem; }
    .hint { color: #666; font-size: 0.76rem; margin: 0.15rem 0 0; line-height: 1.3; }
    .restart { color: #8a5a00; }
    .error { color: #b00020; font-size: 0.78rem; margin: 0.15rem 0 0; }
    .groups { color: #1d4f91; font-size: 0.76rem; margin: 0.1rem 0 0; }
  `;

  @property({ attribute: false }) spec!: ParamSpec;
  @property({ attribute: false }) value!: Params[ParamKey];
  /** "0.1 | 0.4" when groups use different values (the control then sets all of them). */
  @property({ attribute: false }) groupValues: string | null = null;
  /** An upper bound below the schema's (what the device allows). */
  @property({ type: Number }) maxValue: number | null = null;
  /** Shown under the control (a refused value, a note from the page). */
  @property() error = '';
  /** Extra content after the number field (the seed's button). */
  @property({ attribute: false }) extra: unknown = nothing;

  @state() private draft: number | null = null;
  @state() private localError = '';
  #scale: SliderScale | null = null;

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has('spec') || changed.has('maxValue')) {
      const spec = this.spec;
      this.#scale = spec.type === 'int' || spec.type === 'float' ? sliderScale(this.#effectiveSpec(spec)) : null;
    }
    if (changed.has('value')) {
      this.draft = null;
      this.localError = '';
    }
  }

  #effectiveSpec(spec: NumberSpec): NumberSpec {
    return this.maxValue !== null && this.maxValue < spec.max ? { ...spec, max: Math.max(spec.min, this.maxValue) } : spec;
  }

  #emit(value: Params[ParamKey]): void {
    this.localError = '';
    this.dispatchEvent(new CustomEvent<ParamChangeDetail>('param-change', {
      detail: { key: this.spec.key, value },
      bubbles: true,
      composed: true,
    }));
  }

  #onSlider(event: Event, commit: boolean): void {
    const scale = this.#scale;
    if (!scale) return;
    const value = scale.fromPosition(Number((event.target as HTMLInputElement).value));
    if (this.spec.live) {
      if (value !== this.value) this.#emit(value);
    } else if (commit) {
      this.draft = null;
      if (value !== this.value) this.#emit(value);
    } else {
      this.draft = value;
    }
  }

  #onText(event: Event): void {
    const input = event.target as HTMLInputElement | HTMLSelectElement;
    const parsed = parseValue(this.spec, input.value);
    if (!parsed.ok) {
      this.localError = parsed.message;
      return;
    }
    const spec = this.spec;
    if ((spec.type === 'int' || spec.type === 'float') && this.maxValue !== null && (parsed.value as number) > this.maxValue) {
      this.localError = `at most ${formatNumber(this.maxValue)} here (what this device holds)`;
      return;
    }
    const checked = checkValue(spec, parsed.value);
    if (!checked.ok) {
      this.localError = checked.message;
      return;
    }
    this.#emit(checked.value);
  }

  #hint() {
    const spec = this.spec;
    return html`<p class="hint">${spec.help}${spec.live ? nothing : html` <span class="restart">Changing it restarts the run.</span>`}</p>`;
  }

  render() {
    const spec = this.spec;
    if (!spec) return nothing;
    const id = `param-${spec.key}`;
    const error = this.localError || this.error;
    const footer = html`
      ${this.groupValues ? html`<p class="groups">Groups: ${this.groupValues} (a change sets them all)</p>` : nothing}
      ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
      ${this.#hint()}`;
    switch (spec.type) {
      case 'enum':
        return html`<div class="row">
            <label for=${id}>${spec.label}</label>
            <select id=${id} .value=${live(String(this.value))} @change=${(e: Event) => this.#onText(e)}>
              ${spec.options.map((o) => html`<option value=${o} ?selected=${o === this.value}>${o}</option>`)}
            </select>
          </div>${footer}`;
      case 'names':
      case 'text':
      case 'list':
        return html`<div class="row"><label for=${id}>${spec.label}</label><span class="unit">${spec.unit}</span></div>
          <input id=${id} class="text" type="text" inputmode=${spec.type === 'list' ? 'decimal' : 'text'}
            placeholder=${spec.type === 'list' ? 'empty: evenly spaced 0..1' : spec.type === 'text' ? 'empty: its parameters' : 'empty: arm 0, arm 1, ...'}
            .value=${live(formatValue(this.value))} @change=${(e: Event) => this.#onText(e)}
            aria-describedby=${`${id}-range`} />
          <span id=${`${id}-range`} hidden>${describeRange(spec)}</span>${footer}`;
      default: {
        const scale = this.#scale;
        const shown = this.draft ?? (this.value as number);
        const max = this.maxValue !== null ? Math.min(spec.max, this.maxValue) : spec.max;
        const numberId = scale ? `${id}-number` : id;
        return html`<div class="row">
            <label for=${id}>${spec.label}</label>
            <span class="value">
              <input id=${numberId} type="number" aria-label=${`${spec.label} value`} step="any" min=${spec.min} max=${max}
                .value=${live(this.draft !== null ? String(this.draft) : formatValue(this.value))}
                @change=${(e: Event) => this.#onText(e)} />
              ${spec.unit ? html`<span class="unit">${spec.unit}</span>` : nothing}
              ${this.extra}
            </span>
          </div>
          ${scale
            ? html`<input id=${id} type="range" min="0" max=${scale.positions} step="1"
                .value=${live(String(scale.toPosition(shown)))}
                aria-valuetext=${`${formatNumber(shown)}${spec.unit ? ` ${spec.unit}` : ''}`}
                @input=${(e: Event) => this.#onSlider(e, false)} @change=${(e: Event) => this.#onSlider(e, true)} />`
            : nothing}
          ${footer}`;
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-param': PgParam;
  }
}

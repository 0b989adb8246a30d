/**
 * The three formulas of one REINFORCE step (softmax policy, sampling, update), written in HTML
 * with every term a focusable span: hovering or focusing one lights it up (and its twins), shows
 * its value for the inspected agent and step underneath, and tells the host which term it is
 * (`term-focus`), so the host can light the matching numbers in its tables, as CNN Explainer's
 * softmax view does. Each term carries `data-term` and an aria-label with its value.
 *
 * Per-arm terms (theta_j, pi_j, ...) stand for the arm `arm` (the host's choice: the sampled arm,
 * or the table row under the pointer).
 */
import { LitElement, type TemplateResult, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StepExplanation } from '../core/step-explain.ts';
import { formatNumber } from './format.ts';

export const kFormulaTerms = [
  'pi', 'exp', 'sum', 'theta', 'T', 'u', 'cumulative', 'a',
  'theta-new', 'lr', 'advantage', 'R', 'b', 'grad', 'indicator', 'delta',
] as const;
export type FormulaTerm = (typeof kFormulaTerms)[number];

/** Sent on hover and focus (null when the pointer or focus leaves every term). */
export type TermFocusDetail = FormulaTerm | null;

/** Numbers in the formulas and tables: enough digits to follow the arithmetic, with a true minus sign. */
export function formatTerm(value: number): string {
  return formatNumber(value, 4).replace(/^-/, '−');
}

/** "θ_j" written with a real subscript: θ<sub>j</sub>. */
function withSubscripts(text: string): (string | TemplateResult)[] {
  return text.split(/_(\w)/).map((part, i) => (i % 2 === 1 ? html`<sub>${part}</sub>` : part));
}

interface TermText {
  /** What the term is, in words. */
  name: string;
  /** Its value now, formatted. */
  value: string;
}

@customElement('pg-formula')
export class PgFormula extends LitElement {
  static styles = css`
    :host { display: block; }
    .rows { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0.55rem 0.8rem; align-items: center; }
    .what { font-size: 0.78rem; color: #555; text-transform: uppercase; letter-spacing: 0.04em; }
    .math { font: 1.06rem/1.6 'Cambria Math', 'STIX Two Math', 'Latin Modern Math', Georgia, serif; color: #111; overflow-x: auto; }
    var { font-style: italic; }
    sub { font-size: 0.7em; }
    .frac { display: inline-flex; flex-direction: column; vertical-align: middle; text-align: center; margin: 0 0.15em; }
    .frac > .over { border-top: 1.5px solid currentColor; padding-top: 0.05em; }
    .term { border-radius: 4px; padding: 0 0.08em; cursor: help; outline: none; text-decoration: underline dotted #b0b8c4; text-underline-offset: 0.2em; }
    /* Only the innermost term under the pointer (and its twins) lights up, not the terms around it. */
    .term.lit { background: #ffe58a; box-shadow: 0 0 0 1.5px #d9a400; text-decoration: none; }
    .readout { margin: 0.5rem 0 0; min-height: 1.5em; font-size: 0.9rem; color: #333; }
    .readout b { font-variant-numeric: tabular-nums; }
    .hint { color: #666; }
  `;

  @property({ attribute: false }) explanation: StepExplanation | null = null;
  /** The arm j that per-arm terms stand for. */
  @property({ type: Number }) arm = 0;
  @state() private active: FormulaTerm | null = null;

  /** The words (with _j for subscripts) and value of `term` for the current step. */
  termText(term: FormulaTerm): TermText {
    const e = this.explanation;
    const j = Math.min(this.arm, (e?.arms.length ?? 1) - 1);
    const arm = e?.arms[j];
    const v = (value: number | undefined) => (value === undefined ? '–' : formatTerm(value));
    const ofArm = (name: string, value: number | undefined): TermText => ({ name: arm ? `${name} (j = ${arm.label})` : name, value: v(value) });
    switch (term) {
      case 'pi': return ofArm('π_j, the probability of arm j', arm?.prob);
      case 'exp': return ofArm('exp(θ_j / T), computed as exp((θ_j − max) / T)', arm?.weight);
      case 'sum': return { name: 'Σ_i exp(θ_i / T), computed as Σ_i exp((θ_i − max) / T)', value: v(e?.weightSum) };
      case 'theta': return ofArm('θ_j, the preference before the update', arm?.pref);
      case 'T': return { name: 'T, the temperature', value: v(e?.temperature) };
      case 'u': return { name: 'u, the uniform draw', value: v(e?.uniform) };
      case 'cumulative': return ofArm('π_0 + … + π_j, the cumulative probability', arm?.cumulativeTo);
      case 'a': return { name: 'a, the sampled arm', value: e ? e.actionLabel : '–' };
      case 'theta-new': return ofArm('θ_j after the update', arm?.prefAfter);
      case 'lr': return { name: 'lr, the learning rate', value: v(e?.lr) };
      case 'advantage': return { name: 'R − b, the advantage', value: v(e?.advantage) };
      case 'R': return { name: 'R, the reward', value: v(e?.reward) };
      case 'b': return { name: 'b, the baseline', value: v(e?.baseline) };
      case 'grad': return ofArm('∇_j log π(a) = (1[j = a] − π_j) / T', arm?.grad);
      case 'indicator': return { ...ofArm('1[j = a], 1 for the sampled arm and 0 for the others', undefined), value: arm ? String(arm.indicator) : '–' };
      case 'delta': return ofArm('lr · (R − b) · ∇_j, the change of θ_j', arm?.delta);
    }
  }

  #setActive(term: FormulaTerm | null): void {
    if (term === this.active) return;
    this.active = term;
    this.dispatchEvent(new CustomEvent<TermFocusDetail>('term-focus', { detail: term, bubbles: true, composed: true }));
  }

  /** The innermost term under the event (terms nest: R inside R − b inside the update). */
  #termOf(event: Event): FormulaTerm | null {
    const target = event.composedPath()[0];
    const element = target instanceof Element ? target.closest<HTMLElement>('[data-term]') : null;
    return (element?.dataset.term as FormulaTerm | undefined) ?? null;
  }

  #t(term: FormulaTerm, content: TemplateResult | string): TemplateResult {
    const { name, value } = this.termText(term);
    return html`<span class="term ${this.active === term ? 'lit' : ''}" data-term=${term} tabindex="0" role="term"
      aria-label=${`${name.replace(/_(\w)/g, ' $1')} = ${value}`}>${content}</span>`;
  }

  render() {
    const t = (term: FormulaTerm, content: TemplateResult | string) => this.#t(term, content);
    const theta = (i = 'j') => html`<var>θ</var><sub><var>${i}</var></sub>`;
    const pi = (i = 'j') => html`<var>π</var><sub><var>${i}</var></sub>`;
    const T = t('T', html`<var>T</var>`);
    const active = this.active;
    const readout = active ? this.termText(active) : null;
    return html`
      <div class="rows" @mouseover=${(e: Event) => this.#setActive(this.#termOf(e))} @mouseleave=${() => this.#setActive(null)}
        @focusin=${(e: Event) => this.#setActive(this.#termOf(e))} @focusout=${() => this.#setActive(null)}>
        <span class="what">policy</span>
        <div class="math" aria-label="softmax policy">
          ${t('pi', pi())} =
          <span class="frac">
            ${t('exp', html`exp(${t('theta', theta())} / ${T})`)}
            <span class="over">${t('sum', html`Σ<sub><var>i</var></sub> exp(${theta('i')} / <var>T</var>)`)}</span>
          </span>
        </div>
        <span class="what">sample</span>
        <div class="math" aria-label="sampling">
          ${t('a', html`<var>a</var>`)} = the first <var>j</var> with ${t('u', html`<var>u</var>`)} &lt;
          ${t('cumulative', html`${pi('0')} + … + ${pi()}`)}, &nbsp;<var>u</var> ~ U[0, 1)
        </div>
        <span class="what">update</span>
        <div class="math" aria-label="REINFORCE update">
          ${t('theta-new', theta())} ← ${t('theta', theta())} +
          ${t('delta', html`${t('lr', html`<var>lr</var>`)} · ${t('advantage', html`(${t('R', html`<var>R</var>`)} − ${t('b', html`<var>b</var>`)})`)} ·
            ${t('grad', html`(${t('indicator', html`1[<var>j</var> = <var>a</var>]`)} − ${t('pi', pi())}) / ${T}`)}`)}
        </div>
      </div>
      <p class="readout" aria-live="polite">${readout
        ? html`${withSubscripts(readout.name)} = <b>${readout.value}</b>`
        : this.explanation ? html`<span class="hint">Hover or focus a term to see its value here and in the tables.</span>` : nothing}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-formula': PgFormula;
  }
}

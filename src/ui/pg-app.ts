import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { decodeConfigQuery } from '../core/config.ts';
import { CpuEngine } from '../core/cpu-engine.ts';
import { formatFieldError } from '../core/schema.ts';
import { scalarIndex } from '../core/stats.ts';

/**
 * The first page: runs the experiment in the URL hash on the CPU reference engine and shows
 * how the population learns. The full playground (sliders, charts, GPU) replaces it.
 */
@customElement('pg-app')
export class PgApp extends LitElement {
  static styles = css`
    :host { display: block; font: 15px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
    .warning { color: #a40; }
    table { border-collapse: collapse; }
    td, th { padding: 0.2rem 0.8rem; text-align: right; border-bottom: 1px solid #ddd; }
  `;

  @state() private rows: { step: number; reward: number; optimal: number; probOptimal: number }[] = [];
  @state() private errors: string[] = [];
  #frame = 0;

  connectedCallback(): void {
    super.connectedCallback();
    const { config, errors } = decodeConfigQuery(location.hash);
    this.errors = errors.map(formatFieldError);
    config.params.agents = Math.min(config.params.agents, 2000);
    const engine = new CpuEngine(config);
    const sink = {
      record: (group: number, step: number, values: Float64Array) => {
        if (group !== 0 || step % Math.max(1, Math.floor(config.params.steps / 10)) !== 0) return;
        this.rows = [...this.rows, {
          step,
          reward: values[scalarIndex('mean_reward')],
          optimal: values[scalarIndex('frac_optimal')],
          probOptimal: values[scalarIndex('mean_prob_optimal')],
        }];
      },
    };
    const tick = () => {
      if (engine.stepsDone >= config.params.steps) return;
      engine.advanceSync(Math.min(10, config.params.steps - engine.stepsDone), sink);
      this.#frame = requestAnimationFrame(tick);
    };
    this.#frame = requestAnimationFrame(tick);
  }

  disconnectedCallback(): void {
    cancelAnimationFrame(this.#frame);
    super.disconnectedCallback();
  }

  render() {
    return html`
      <h1>Policy Gradient Playground</h1>
      <p>Thousands of softmax-policy agents learning a bandit with REINFORCE (CPU reference engine).</p>
      ${this.errors.map((e) => html`<p class="warning">${e}</p>`)}
      <table>
        <tr><th>step</th><th>mean reward</th><th>chose the best arm</th><th>mean P(best arm)</th></tr>
        ${this.rows.map((r) => html`<tr><td>${r.step}</td><td>${r.reward.toFixed(3)}</td>
          <td>${(100 * r.optimal).toFixed(1)}%</td><td>${r.probOptimal.toFixed(3)}</td></tr>`)}
      </table>`;
  }
}

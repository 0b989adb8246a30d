/**
 * Chart 1: the probability of each agent's best arm over time (mean, and the 10-90% band across
 * agents) per group, and on request the mean probability of every arm. Per-arm lines are shown
 * where the experiment names its arms (Left, Right: they are the lesson) and folded away
 * otherwise (with 10 arms per group they are 10 legend entries each, and with gaussian arms each
 * agent's best arm differs, so they sit near 1/k); the "each arm" toggle shows or hides them.
 * A contextual group has no per-arm lines (its arms are turned in each context, so arm j's mean
 * probability is no one policy's); its pi(best arm) is that of the best arm in the context seen.
 * A gaussian group has no arms at all (a continuous action): it is left out, with a note.
 */
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { armLabel } from '../../core/schema.ts';
import { withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, contextualGroups, contextualNote, gaussianGroups, gaussianNote, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

/** Up to this many groups draw their 10-90% band (more bands on top of each other read as a grey block). */
const kMaxBands = 2;

/** Dashes that tell arms apart within a group's colour. */
const kArmDashes: readonly (number[] | undefined)[] = [undefined, [7, 4], [2, 3], [10, 3, 2, 3]];

@customElement('pg-prob-chart')
export class PgProbChart extends PgChart {
  /** Per-arm lines: null follows the run (shown where the arms have names). */
  @state() private perArm: boolean | null = null;

  protected get heading(): string {
    return 'Action probabilities over time';
  }

  protected get caption(): string {
    const session = this.session;
    const arms = session && this.#showArms(session);
    const perArm = arms ? ' Thin lines: mean π of each arm.' : '';
    const banded = !session || session.groups <= kMaxBands;
    const best = session?.ownArmValues ? 'π of each agent\'s own best arm' : 'π of the best arm';
    const spread = banded ? `Thick line and band: ${best} (mean, 10–90% of agents); a wide band means the agents disagree.` : `Lines: ${best}, mean over agents (each group's spread is in its heatmap).`;
    const contextual = session && contextualGroups(session).length > 0 ? ' In a contextual group the best arm is that of the context each agent saw.' : '';
    return `${spread}${perArm}${arms && session?.ownArmValues ? ' Per arm they sit near 1/k, since every agent has its own best arm.' : ''}${contextual}`;
  }

  protected note(session: RunSession): string {
    const contextual = contextualGroups(session);
    const gaussian = gaussianGroups(session);
    if (gaussian.length === session.groups) return '';
    // With every arm group contextual the "each arm" toggle is gone: the note says why.
    const asked = this.#showArms(session) || contextual.length + gaussian.length === session.groups;
    const notes = [asked ? contextualNote(session, contextual, 'their per-arm lines are left out') : '', gaussianNote(session, gaussian, 'they have no action probabilities and are left out')];
    return notes.filter((n) => n !== '').join(' ');
  }

  protected unavailable(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    return gaussian.length === session.groups ? gaussianNote(session, gaussian, 'there are no action probabilities to plot') : '';
  }

  protected rebuildOn(changed: PropertyValues): boolean {
    return changed.has('perArm');
  }

  #showArms(session: RunSession): boolean {
    if (contextualGroups(session).length + gaussianGroups(session).length === session.groups) return false;
    return this.perArm ?? session.config.params.armNames.length > 0;
  }

  protected controls(): unknown {
    const session = this.session;
    if (!session || contextualGroups(session).length + gaussianGroups(session).length === session.groups) return nothing;
    return html`<label title="Show the mean probability of every arm"><input type="checkbox" id="per-arm" .checked=${this.#showArms(session)}
      @change=${(e: Event) => { this.perArm = (e.target as HTMLInputElement).checked; }} />each arm</label>`;
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: (number[])[] = [history.steps];
    const bands: uPlot.Band[] = [];
    const labels: EndLabel[] = [];
    const unlisted: number[] = [];
    const single = session.groups === 1;
    const names = session.config.params.armNames;
    const arms = this.#showArms(session);
    const contextual = contextualGroups(session);
    const gaussian = gaussianGroups(session);
    for (let g = 0; g < session.groups; g++) {
      if (gaussian.includes(g)) continue;
      const colour = session.colours[g];
      const group = session.shortLabels[g];
      if (arms && !contextual.includes(g)) {
        for (let j = 0; j < session.arms; j++) {
          const name = armLabel(names, j);
          series.push({ label: single ? name : `${name} · ${group}`, stroke: withAlpha(colour.line, 0.8), width: 1.25, dash: kArmDashes[j % kArmDashes.length], value, points: { show: false } });
          data.push(history.column(g, `mean_prob_${j}`));
          labels.push({ series: series.length - 1, text: name, colour: colour.text });
        }
      }
      series.push({ label: single ? 'π(best arm)' : group, stroke: colour.line, width: 2.5, value, points: { show: false } });
      data.push(history.column(g, 'mean_prob_optimal'));
      labels.push({ series: series.length - 1, text: single ? 'best arm' : group, colour: colour.text });
      if (session.groups > kMaxBands) continue;
      series.push({ label: 'p90', stroke: withAlpha(colour.line, 0.45), width: 0.75, value, points: { show: false } });
      data.push(history.column(g, 'prob_optimal_p90'));
      series.push({ label: 'p10', stroke: withAlpha(colour.line, 0.45), width: 0.75, value, points: { show: false } });
      data.push(history.column(g, 'prob_optimal_p10'));
      if (!single) unlisted.push(series.length - 2, series.length - 1); // one legend entry per group
      bands.push({ series: [series.length - 2, series.length - 1], fill: withAlpha(colour.line, 0.13) });
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [kStepAxis, probabilityAxis('mean π')],
        series,
        bands,
      },
      data: data as uPlot.AlignedData,
      labels,
      unlisted,
      markers: true,
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-prob-chart': PgProbChart;
  }
}

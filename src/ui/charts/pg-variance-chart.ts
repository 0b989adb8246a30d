/**
 * Chart 4: the variance of the gradient estimate over time, log scale: the variance-reduction
 * view. Epsilon-greedy groups are left out: a value-based agent has no policy gradient (its
 * gradient statistics are 0, which a log axis cannot draw).
 */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { formatNumber } from '../format.ts';
import { withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { hasPolicyGradient } from '../policy-keys.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, kStepAxis, stepSeries, valueFormatter } from './pg-chart.ts';

@customElement('pg-variance-chart')
export class PgVarianceChart extends PgChart {
  protected get heading(): string {
    return 'Gradient-estimate variance (log scale)';
  }

  protected get caption(): string {
    return 'Solid: exact variance of the gradient estimate given each agent\'s policy; thin dashed: variance across agents. A good baseline pulls both down, often by orders of magnitude.';
  }

  protected note(session: RunSession): string {
    const left = this.#valueGroups(session);
    if (left.length === 0 || left.length === session.groups) return '';
    // Named only where their labels do not already say epsilon-greedy (a policy comparison's do).
    const names = left.map((g) => session.shortLabels[g] || `group ${g}`);
    const which = names.every((n) => n.includes('epsilon-greedy')) ? '' : ` (${names.join(', ')})`;
    return `Epsilon-greedy groups${which} have no policy gradient: not shown.`;
  }

  protected unavailable(session: RunSession): string {
    return this.#valueGroups(session).length === session.groups
      ? `${session.groups === 1 ? 'This group is' : 'Every group is'} epsilon-greedy, a value-based method: it learns action values Q(a), not a policy by gradient, so there is no gradient estimate whose variance to show.`
      : '';
  }

  #valueGroups(session: RunSession): number[] {
    const out: number[] = [];
    for (let g = 0; g < session.groups; g++) if (!hasPolicyGradient(session.config, g)) out.push(g);
    return out;
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: number[][] = [history.steps];
    const labels: EndLabel[] = [];
    const unlisted: number[] = [];
    const single = session.groups === 1;
    for (let g = 0; g < session.groups; g++) {
      if (!hasPolicyGradient(session.config, g)) continue;
      const colour = session.colours[g];
      const group = session.shortLabels[g];
      series.push({ label: single ? 'exact Var' : group, stroke: colour.line, width: 2, value, points: { show: false } });
      data.push(history.column(g, 'exact_grad_var'));
      labels.push({ series: series.length - 1, text: single ? 'exact' : group, colour: colour.text });
      series.push({ label: 'across agents', stroke: withAlpha(colour.line, 0.6), width: 1.25, dash: [5, 3], value, points: { show: false } });
      data.push(history.column(g, 'grad_var'));
      if (!single) unlisted.push(series.length - 1); // the caption says what dashed means
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { distr: 3, log: 10 } },
        axes: [kStepAxis, { label: 'Var of ∇ log π · (R − b)', labelSize: 20, size: 52, splits: decades, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v, 2))) }],
        series,
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
    'pg-variance-chart': PgVarianceChart;
  }
}

/**
 * Grid lines and ticks at powers of ten only (every second or third over many decades): uPlot's
 * log axis also rules 2..9 of each decade, which from a distance is a grey band, not a grid.
 */
function decades(_u: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [min, max];
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / 6));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += every) out.push(10 ** e);
  return out.length >= 2 ? out : [min, max];
}


/** Chart 1: mean probability of each arm over time, with the 10-90% band of pi(best arm). */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { armLabel } from '../../core/schema.ts';
import { armColour, groupShade, withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { PgChart, type PlotSpec, basePlotOptions, groupSuffix, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

@customElement('pg-prob-chart')
export class PgProbChart extends PgChart {
  protected get heading(): string {
    return 'Action probabilities over time';
  }

  protected get caption(): string {
    return this.session?.ownArmValues
      ? 'Thick line and band: π of each agent\'s own best arm (mean, 10–90% of agents); thin lines: mean π per arm, near 1/k here since every agent has its own best arm.'
      : 'Thin lines: mean π of each arm; thick line and band: π of the best arm (mean, 10–90% of agents). A wide band means the agents disagree.';
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: (number[])[] = [history.steps];
    const bands: uPlot.Band[] = [];
    for (let g = 0; g < session.groups; g++) {
      const suffix = groupSuffix(session, g);
      for (let j = 0; j < session.arms; j++) {
        series.push({ label: `${armLabel(session.config.params.armNames, j)}${suffix}`, stroke: armColour(j), width: 1, dash: g > 0 ? [5, 3] : undefined, value, points: { show: false } });
        data.push(history.column(g, `mean_prob_${j}`));
      }
      const dark = groupShade(g, 0);
      const mid = groupShade(g, 1);
      series.push({ label: `π(best arm)${suffix}`, stroke: dark, width: 2.5, value, points: { show: false } });
      data.push(history.column(g, 'mean_prob_optimal'));
      series.push({ label: `p90${suffix}`, stroke: withAlpha(mid, 0.6), width: 0.75, value, points: { show: false } });
      data.push(history.column(g, 'prob_optimal_p90'));
      series.push({ label: `p10${suffix}`, stroke: withAlpha(mid, 0.6), width: 0.75, value, points: { show: false } });
      data.push(history.column(g, 'prob_optimal_p10'));
      bands.push({ series: [series.length - 2, series.length - 1], fill: withAlpha(mid, 0.16) });
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
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-prob-chart': PgProbChart;
  }
}

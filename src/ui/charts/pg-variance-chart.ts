/** Chart 4: the variance of the gradient estimate over time, log scale: the variance-reduction view. */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { formatNumber } from '../format.ts';
import { groupShade } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { PgChart, type PlotSpec, basePlotOptions, groupSuffix, kStepAxis, stepSeries, valueFormatter } from './pg-chart.ts';

@customElement('pg-variance-chart')
export class PgVarianceChart extends PgChart {
  protected get heading(): string {
    return 'Gradient-estimate variance (log scale)';
  }

  protected get caption(): string {
    return 'Solid: exact variance of the gradient estimate given each agent\'s policy; dashed: variance across agents. A good baseline pulls both down, often by orders of magnitude.';
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: number[][] = [history.steps];
    for (let g = 0; g < session.groups; g++) {
      const suffix = groupSuffix(session, g);
      series.push({ label: `exact Var${suffix}`, stroke: groupShade(g, 0), width: 2, value, points: { show: false } });
      data.push(history.column(g, 'exact_grad_var'));
      series.push({ label: `across agents${suffix}`, stroke: groupShade(g, 1), width: 1.25, dash: [5, 3], value, points: { show: false } });
      data.push(history.column(g, 'grad_var'));
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { distr: 3, log: 10 } },
        axes: [kStepAxis, { label: 'Var of ∇ log π · (R − b)', labelSize: 20, size: 52, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v, 2))) }],
        series,
      },
      data: data as uPlot.AlignedData,
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-variance-chart': PgVarianceChart;
  }
}

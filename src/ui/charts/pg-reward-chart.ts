/** Chart 3: how often the best arm is chosen, and the reward the agents get and expect. */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { groupShade } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { PgChart, type PlotSpec, basePlotOptions, groupSuffix, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

@customElement('pg-reward-chart')
export class PgRewardChart extends PgChart {
  protected get heading(): string {
    return 'Choosing the best arm, and reward';
  }

  protected get caption(): string {
    return 'Dark: fraction of agents choosing their best arm (left axis); dashed: expected reward of the current policies; light: reward drawn (right axis).';
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: number[][] = [history.steps];
    for (let g = 0; g < session.groups; g++) {
      const suffix = groupSuffix(session, g);
      series.push({ label: `chose best${suffix}`, scale: 'frac', stroke: groupShade(g, 0), width: 2, value, points: { show: false } });
      data.push(history.column(g, 'frac_optimal'));
      series.push({ label: `reward${suffix}`, scale: 'reward', stroke: groupShade(g, 2), width: 1, value, points: { show: false } });
      data.push(history.column(g, 'mean_reward'));
      series.push({ label: `expected reward${suffix}`, scale: 'reward', stroke: groupShade(g, 1), width: 1.5, dash: [6, 3], value, points: { show: false } });
      data.push(history.column(g, 'mean_expected_reward'));
    }
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, frac: { range: [0, 1] }, reward: { auto: true } },
        axes: [
          kStepAxis,
          { ...probabilityAxis('fraction choosing best'), scale: 'frac' },
          { scale: 'reward', side: 1, label: 'mean reward', labelSize: 20, size: 48, grid: { show: false } },
        ],
        series,
      },
      data: data as uPlot.AlignedData,
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-reward-chart': PgRewardChart;
  }
}

/**
 * PPO's view (`clip`, shown where a group takes several passes over its batches): the share of a
 * batch's samples that the later passes left out because their probability ratio had left
 * [1 - clip, 1 + clip] (`clip_fraction`). A group without clipping stays at 0, which is the
 * point: it keeps pushing on samples whose probability has already moved far.
 */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import type { RunSession } from '../run-controller.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

@customElement('pg-clip-chart')
export class PgClipChart extends PgChart {
  protected get heading(): string {
    return 'PPO: share of samples clipped';
  }

  protected get caption(): string {
    return 'Of each batch, the share of samples that the later passes over it left out: their probability had moved past the clip bound since the batch was drawn. Without clipping (or with one pass) it stays at 0, and the passes keep pushing.';
  }

  protected build(session: RunSession): PlotSpec {
    const history = session.history;
    const value = valueFormatter(3);
    const series: uPlot.Series[] = [stepSeries()];
    const data: number[][] = [history.steps];
    const labels: EndLabel[] = [];
    const single = session.groups === 1;
    for (let g = 0; g < session.groups; g++) {
      const colour = session.colours[g];
      series.push({ label: single ? 'clipped' : session.shortLabels[g], stroke: colour.line, width: 2, value, points: { show: false } });
      data.push(history.column(g, 'clip_fraction'));
      labels.push({ series: series.length - 1, text: single ? 'clipped' : session.shortLabels[g], colour: colour.text });
    }
    return {
      options: {
        ...basePlotOptions(),
        // From 0 to a little above the largest share: shares are often well under a half.
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.min(1, Math.max(0.05, (Number.isFinite(max) ? max : 0) * 1.15))] } },
        axes: [kStepAxis, probabilityAxis('share clipped')],
        series,
      },
      data: data as uPlot.AlignedData,
      labels,
      markers: true,
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-clip-chart': PgClipChart;
  }
}

/**
 * Chart 3: how often the best arm is chosen, and the reward the agents get and expect, as two
 * stacked plots on one time axis: one quantity per y axis, so no value is ever drawn at two
 * heights (a fraction and a reward on twin axes would draw 0.5 and 10 at the same height).
 *
 * An actor-critic group (baseline critic) also draws its critic's V of the context each agent
 * saw, dashed on the reward plot: a critic that has learned predicts the reward, so V comes to
 * lie on the expected reward, which is the thing to see. The group's baseline as the run
 * started decides (a live switch to critic shows from the next run).
 *
 * A gaussian group has no arms to choose (a continuous action): the top plot leaves it out, and
 * with every group gaussian the chart is the reward plot alone. Its expected reward is the
 * policy's, offset + scale E[exp(-(x - x*)^2 / 2)], which reaches offset + scale as mu -> x*, sigma -> 0.
 */
import { customElement } from 'lit/decorators.js';
import type uPlot from 'uplot';
import { resolveGroups } from '../../core/config.ts';
import { withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import type { EndLabel } from './annotations.ts';
import { PgChart, type PlotSpec, basePlotOptions, gaussianGroups, gaussianNote, kStepAxis, probabilityAxis, stepSeries, valueFormatter } from './pg-chart.ts';

/** The top plot's time axis: grid lines only, the bottom plot names the steps. */
const kBareStepAxis: uPlot.Axis = { size: 6, labelSize: 0, values: (_u, splits) => splits.map(() => '') };
/** Both y axes as wide, so that the two plots' time axes line up. */
const kYAxisSize = 46;

@customElement('pg-reward-chart')
export class PgRewardChart extends PgChart {
  protected get plotCount(): number {
    return 2;
  }

  protected get heading(): string {
    return this.session !== null && this.#allGaussian(this.session) ? 'Reward' : 'Choosing the best arm, and reward';
  }

  protected get caption(): string {
    const session = this.session;
    const critic = session !== null && criticGroups(session).length > 0
      ? ' Dashed: the critic\'s V of the context each agent saw (mean over agents): once it has learned, it lies on the expected reward.'
      : '';
    const gaussian = session !== null && gaussianGroups(session).length > 0
      ? ` A gaussian policy's expected reward is offset + scale · E[exp(−(x − x*)² / 2)] over its actions: it reaches offset + scale only with μ = x* and σ → 0.`
      : '';
    if (session !== null && this.#allGaussian(session)) return `Expected reward of the current policies (solid) and reward drawn (thin).${gaussian}${critic}`;
    return `Top: fraction of agents that chose their best arm at that step. Bottom: expected reward of the current policies (solid) and reward drawn (thin).${gaussian}${critic}`;
  }

  protected note(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    return gaussian.length === session.groups ? '' : gaussianNote(session, gaussian, 'the top plot leaves them out (there is no best arm to choose)');
  }

  protected shownPlots(session: RunSession): number {
    return this.#allGaussian(session) ? 1 : 2;
  }

  #allGaussian(session: RunSession): boolean {
    return gaussianGroups(session).length === session.groups;
  }

  protected build(session: RunSession): PlotSpec[] {
    const history = session.history;
    const value = valueFormatter(3);
    const single = session.groups === 1;
    const fraction: uPlot.Series[] = [stepSeries()];
    const fractionData: number[][] = [history.steps];
    const fractionLabels: EndLabel[] = [];
    const reward: uPlot.Series[] = [stepSeries()];
    const rewardData: number[][] = [history.steps];
    const rewardLabels: EndLabel[] = [];
    const drawn: number[] = [];
    const critics = criticGroups(session);
    const gaussian = gaussianGroups(session);
    for (let g = 0; g < session.groups; g++) {
      const colour = session.colours[g];
      const group = session.shortLabels[g];
      if (!gaussian.includes(g)) {
        fraction.push({ label: single ? 'chose best arm' : group, stroke: colour.line, width: 2, value, points: { show: false } });
        fractionData.push(history.column(g, 'frac_optimal'));
        fractionLabels.push({ series: fraction.length - 1, text: single ? 'chose best' : group, colour: colour.text });
      }
      reward.push({ label: single ? 'reward drawn' : `drawn · ${group}`, stroke: withAlpha(colour.line, 0.4), width: 1, value, points: { show: false } });
      rewardData.push(history.column(g, 'mean_reward'));
      if (!single) drawn.push(reward.length - 1); // one legend entry per group
      reward.push({ label: single ? 'expected reward' : group, stroke: colour.line, width: 2, value, points: { show: false } });
      rewardData.push(history.column(g, 'mean_expected_reward'));
      rewardLabels.push({ series: reward.length - 1, text: single ? 'expected' : group, colour: colour.text });
      if (!critics.includes(g)) continue;
      // A group already labelled by its critic baseline need not say so twice.
      const name = single ? 'V (critic)' : group.includes('critic') ? `V · ${group}` : `V (critic) · ${group}`;
      reward.push({ label: name, stroke: colour.line, width: 2, dash: [6, 4], value, points: { show: false } });
      rewardData.push(history.column(g, 'mean_baseline'));
      rewardLabels.push({ series: reward.length - 1, text: critics.length === 1 ? 'V (critic)' : `V · ${group}`, colour: colour.text });
    }
    const rewardPlot: PlotSpec = {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { auto: true } },
        axes: [kStepAxis, { label: 'mean reward', labelSize: 20, size: kYAxisSize }],
        series: reward,
      },
      data: rewardData as uPlot.AlignedData,
      height: Math.round(this.plotHeight * 0.8),
      labels: rewardLabels,
      unlisted: drawn,
      markers: true,
      markerText: false,
    };
    if (gaussian.length === session.groups) return [{ ...rewardPlot, height: this.plotHeight, markerText: true }];
    const top = Math.round(this.plotHeight * 0.62);
    return [
      {
        options: {
          ...basePlotOptions(),
          scales: { x: { time: false }, y: { range: [0, 1] } },
          axes: [kBareStepAxis, { ...probabilityAxis('chose best'), size: kYAxisSize }],
          series: fraction,
        },
        data: fractionData as uPlot.AlignedData,
        height: top,
        labels: fractionLabels,
        markers: true,
      },
      rewardPlot,
    ];
  }
}

/** Groups whose baseline is the critic's V (as the run started; an epsilon-greedy agent has no baseline). */
function criticGroups(session: RunSession): number[] {
  const groups = resolveGroups(session.config);
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) if (groups[g].policy !== 'epsilon-greedy' && groups[g].baseline === 'critic') out.push(g);
  return out;
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-reward-chart': PgRewardChart;
  }
}

/**
 * Chart 5: the policy now, as bars: the mean probability of each arm over agents at the latest
 * step, and a last bar for each agent's own best arm with the spread across agents (10-90% whisker,
 * 25-75% box) from the group's histogram. The engine records the spread for the best arm only,
 * so only that bar has one. A contextual group draws the best-arm bar only (the best arm of the
 * context each agent saw): its per-arm means mix turned arms, no one policy's bars. A gaussian
 * group has no arms (a continuous action) and no bars.
 */
import { customElement } from 'lit/decorators.js';
import uPlot from 'uplot';
import { scalarIndex } from '../../core/stats.ts';
import { withAlpha } from '../palette.ts';
import type { RunSession } from '../run-controller.ts';
import { PgChart, type PlotSpec, basePlotOptions, contextualGroups, contextualNote, gaussianGroups, gaussianNote, probabilityAxis, valueFormatter } from './pg-chart.ts';

/** Share of a slot the bars of all groups take together. */
const kSlotWidth = 0.8;

@customElement('pg-policy-chart')
export class PgPolicyChart extends PgChart {
  /** series[g]: one entry per x position, the group's own positions filled, the others null. */
  #series: (number | null)[][] = [];
  /** Per group: on a contextual bandit (no per-arm bars). */
  #contextual: boolean[] = [];
  /** Per group: a gaussian policy (no bars at all). */
  #gaussian: boolean[] = [];

  protected get heading(): string {
    return 'The policy now';
  }

  protected get caption(): string {
    return 'Mean π of each arm now; last bar: π of each agent\'s best arm, whisker 10–90% and box 25–75% of agents (the engine records the spread for the best arm only).';
  }

  protected note(session: RunSession): string {
    const contextual = contextualGroups(session);
    const gaussian = gaussianGroups(session);
    if (contextual.length + gaussian.length === session.groups) return '';
    return [contextualNote(session, contextual, 'only their best-arm bar (in the context each agent saw) is drawn'), gaussianNote(session, gaussian, 'they have no bars')]
      .filter((n) => n !== '').join(' ');
  }

  protected unavailable(session: RunSession): string {
    const gaussian = gaussianGroups(session);
    if (gaussian.length === session.groups) return gaussianNote(session, gaussian, 'there is no probability of each arm to draw');
    if (gaussian.length > 0 && contextualGroups(session).length + gaussian.length === session.groups) {
      return `${gaussianNote(session, gaussian, 'they have no bars')} The other groups are on a contextual bandit: π of the best arm in the context each agent saw is in the charts above.`;
    }
    return contextualGroups(session).length === session.groups
      ? `${session.groups === 1 ? 'This group is' : 'Every group is'} on a contextual bandit: one policy per context, with the arms turned in each, so the mean π of arm j mixes different arms' roles and is no one policy's bars. π of the best arm in the context each agent saw is in the charts above.`
      : '';
  }

  protected xRange(session: RunSession): [number, number] {
    return [-0.6, session.arms + 0.6];
  }

  protected countPoints(session: RunSession): number {
    return session.history.latestStep[0] > 0 ? session.arms + 1 : 0;
  }

  #offset(session: RunSession, group: number): number {
    const groups = session.groups;
    return groups === 1 ? 0 : (group - (groups - 1) / 2) * (kSlotWidth / groups);
  }

  protected build(session: RunSession): PlotSpec {
    const slots = session.arms + 1;
    const groups = session.groups;
    const x: number[] = [];
    for (let s = 0; s < slots; s++) for (let g = 0; g < groups; g++) x.push(s + this.#offset(session, g));
    this.#series = Array.from({ length: groups }, () => new Array<number | null>(x.length).fill(null));
    const contextual = contextualGroups(session);
    this.#contextual = Array.from({ length: groups }, (_, g) => contextual.includes(g));
    const gaussian = gaussianGroups(session);
    this.#gaussian = Array.from({ length: groups }, (_, g) => gaussian.includes(g));
    const value = valueFormatter(3);
    const bars = uPlot.paths.bars?.({ size: [0.92, 80], align: 0 });
    const series: uPlot.Series[] = [{ label: 'arm', value: (_u, v) => (v === null ? '–' : armName(Math.round(v), session.arms, session.config.params.armNames)) }];
    for (let g = 0; g < groups; g++) {
      series.push({
        label: session.groups > 1 ? session.shortLabels[g] : 'mean π',
        stroke: session.colours[g].line,
        fill: withAlpha(session.colours[g].line, 0.7),
        width: 1,
        paths: bars,
        points: { show: false },
        value,
      });
    }
    const labelEvery = Math.ceil(slots / 16);
    return {
      options: {
        ...basePlotOptions(),
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          {
            label: 'arm',
            labelSize: 20,
            size: 36,
            splits: () => Array.from({ length: slots }, (_, s) => s),
            values: (_u, splits) => splits.map((s) => (s === slots - 1 || s % labelEvery === 0 ? armName(s, session.arms, session.config.params.armNames) : '')),
            grid: { show: false },
          },
          probabilityAxis('mean π'),
        ],
        series,
        hooks: { draw: [(u) => this.#drawSpread(u)] },
      },
      data: [x, ...this.#series] as uPlot.AlignedData,
      // A gaussian group has no bars: its legend entry would only ever read "–".
      unlisted: gaussian.map((g) => g + 1),
    };
  }

  protected prepare(session: RunSession): void {
    const history = session.history;
    const groups = session.groups;
    const k = session.arms;
    for (let g = 0; g < groups; g++) {
      if (this.#gaussian[g]) continue;
      const latest = history.latest[g];
      const column = this.#series[g];
      for (let s = this.#contextual[g] ? k : 0; s <= k; s++) {
        const v = s < k ? latest[history.layout.probOffset + s] : latest[scalarIndex('mean_prob_optimal')];
        column[s * groups + g] = Number.isNaN(v) ? null : v;
      }
    }
  }

  /** Whisker (10-90%) and box (25-75%) on each group's best-arm bar. */
  #drawSpread(u: uPlot): void {
    const session = this.session;
    if (!session) return;
    const history = session.history;
    const { ctx } = u;
    const px = devicePixelRatio || 1;
    ctx.save();
    for (let g = 0; g < session.groups; g++) {
      if (this.#gaussian[g]) continue;
      const latest = history.latest[g];
      const q = (name: Parameters<typeof scalarIndex>[0]) => latest[scalarIndex(name)];
      if (Number.isNaN(q('prob_optimal_p10'))) continue;
      const x = u.valToPos(session.arms + this.#offset(session, g), 'x', true);
      const y = (v: number) => u.valToPos(v, 'y', true);
      const half = Math.max(3 * px, Math.min(10 * px, (u.bbox.width / (session.arms + 1.2)) * (kSlotWidth / session.groups) * 0.25));
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.5 * px;
      ctx.beginPath();
      ctx.moveTo(x, y(q('prob_optimal_p10')));
      ctx.lineTo(x, y(q('prob_optimal_p90')));
      for (const level of [q('prob_optimal_p10'), q('prob_optimal_p90')]) {
        ctx.moveTo(x - half / 2, y(level));
        ctx.lineTo(x + half / 2, y(level));
      }
      ctx.stroke();
      const top = y(q('prob_optimal_p75'));
      const bottom = y(q('prob_optimal_p25'));
      ctx.fillStyle = 'rgba(255,255,255,0.35)';
      ctx.fillRect(x - half, top, 2 * half, Math.max(1, bottom - top));
      ctx.strokeRect(x - half, top, 2 * half, Math.max(1, bottom - top));
      ctx.beginPath();
      ctx.moveTo(x - half, y(q('prob_optimal_p50')));
      ctx.lineTo(x + half, y(q('prob_optimal_p50')));
      ctx.stroke();
    }
    ctx.restore();
  }
}

function armName(slot: number, arms: number, names: readonly string[]): string {
  return slot >= arms ? 'best' : names[slot] ?? String(slot);
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-policy-chart': PgPolicyChart;
  }
}

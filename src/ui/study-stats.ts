/**
 * What the parameter-study chart plots (Sutton & Barto figure 2.6 style), as pure functions:
 * which parameter the groups differ in (the x axis), and per group a statistic's value at the
 * latest kept row, or its mean over the last W kept rows, with an honest standard error.
 *
 * Standard errors, per row, over the N agents of a group (independent: each is its own seed):
 * - frac_optimal, the fraction of agents that chose the best arm: binomial, sqrt(p(1 - p) / N).
 *   With a batch or a window of several steps a row averages each agent's choices, a number in
 *   [0, 1] with mean p, whose variance is at most p(1 - p): the binomial SE is then an upper bound.
 * - mean_prob_optimal, the mean over agents of π(best): sqrt(s² / N) with s² the across-agent
 *   variance read from the row's π(best) histogram (kHistogramBins bins over [0, 1], each agent
 *   at its bin's midpoint: a binned estimate, off by at most a bin's width per agent). The
 *   histogram is taken after the row's last step, so it describes the row's value only when a
 *   row is one step (window 1) or holds its last step (windowStats last); otherwise the [0, 1]
 *   bound sqrt(p(1 - p) / N) is used.
 * - The mean over W rows: the rows come from the same agents and are correlated, so their
 *   variances do not add as independent ones would. The SD of a mean is at most the mean of the
 *   SDs (Minkowski; equality when the rows are perfectly correlated), so the mean of the rows'
 *   SEs is a conservative SE for it.
 */
import { type ExperimentConfig, distinguishingParams, resolveGroups } from '../core/config.ts';
import { type ParamKey, type Params, paramSpec } from '../core/schema.ts';
import { kHistogramBins } from '../core/stats.ts';
import type { StatsHistory } from './stats-history.ts';

/** The statistics with an honest SE (above); both are fractions in [0, 1]. */
export const kStudyStatistics = ['mean_prob_optimal', 'frac_optimal'] as const;
export type StudyStatistic = (typeof kStudyStatistics)[number];

export interface StudyAxis {
  /** The one parameter the groups differ in, or null with `problem` saying what is needed. */
  key: ParamKey | null;
  problem: string;
  /** Each group's x: the parameter's value, or for an option its position among the values. */
  x: number[];
  /** Enum parameters: the tick labels at positions 0, 1, ...; empty for numbers. */
  ticks: string[];
  /** Numbers all above 0 that span at least two decades: a log x axis. */
  log: boolean;
  /** Group indices in ascending x (uPlot needs sorted x). */
  order: number[];
}

const kNeedSweep = 'make a sweep to compare values (Sweep, in the parameter panel)';

/** The study's x axis for a config, or what it needs when the groups do not differ in exactly one parameter. */
export function studyAxis(config: ExperimentConfig): StudyAxis {
  const none = (problem: string): StudyAxis => ({ key: null, problem, x: [], ticks: [], log: false, order: [] });
  if (config.groups.length < 2) return none(`One group: nothing to compare; ${kNeedSweep}.`);
  const keys = distinguishingParams(config);
  if (keys.length === 0) return none(`The groups do not differ in any parameter; ${kNeedSweep}.`);
  if (keys.length > 1) return none(`The groups differ in ${keys.join(', ')}: a study puts one parameter on its x axis; ${kNeedSweep} over one of them.`);
  const key = keys[0];
  const spec = paramSpec(key)!;
  const groups = resolveGroups(config);
  if (spec.type === 'int' || spec.type === 'float') {
    const x = groups.map((g) => g[key] as number);
    const min = Math.min(...x);
    const max = Math.max(...x);
    const order = x.map((_, g) => g).sort((a, b) => x[a] - x[b]);
    return { key, problem: '', x, ticks: [], log: min > 0 && max / min >= 100, order };
  }
  if (spec.type === 'enum') {
    // Options in the schema's order, only those the groups use.
    const used = spec.options.filter((option) => groups.some((g) => g[key] === option));
    const x = groups.map((g) => used.indexOf(g[key] as string));
    const order = x.map((_, g) => g).sort((a, b) => x[a] - x[b]);
    return { key, problem: '', x, ticks: used, log: false, order };
  }
  return none(`The groups differ in ${key}, a list, which has no axis; ${kNeedSweep} over a number or an option.`);
}

/** The across-agent mean and SE of π(best) from one histogram row (bin midpoints), and its count. */
export function histogramMeanSe(histograms: ArrayLike<number>, row: number): { mean: number; se: number; count: number } {
  const base = row * kHistogramBins;
  let count = 0;
  let sum = 0;
  for (let b = 0; b < kHistogramBins; b++) {
    count += histograms[base + b];
    sum += histograms[base + b] * ((b + 0.5) / kHistogramBins);
  }
  if (count < 2) return { mean: count === 1 ? sum : Number.NaN, se: Number.NaN, count };
  const mean = sum / count;
  let squares = 0;
  for (let b = 0; b < kHistogramBins; b++) {
    const d = (b + 0.5) / kHistogramBins - mean;
    squares += histograms[base + b] * d * d;
  }
  return { mean, se: Math.sqrt(squares / (count - 1) / count), count };
}

/** The SE of a mean of N values in [0, 1] whose mean is p: binomial, and an upper bound for any such values. */
export function boundedSe(p: number, n: number): number {
  return n > 0 && p >= 0 && p <= 1 ? Math.sqrt((p * (1 - p)) / n) : Number.NaN;
}

/** Whether a row's histogram describes the row's mean_prob_optimal (see the top of this file). */
export function histogramDescribesRow(params: Pick<Params, 'window' | 'windowStats'>): boolean {
  return params.window === 1 || params.windowStats === 'last';
}

/**
 * Group `group`'s value of `statistic`, the mean over its last `rows` kept rows (1: the latest
 * kept row), and its SE; writes them to `out[0]`, `out[1]` (NaN where no row is kept yet).
 * Allocates nothing: the chart calls it every frame.
 */
export function studyPoint(history: StatsHistory, group: number, statistic: StudyStatistic, rows: number, fromHistogram: boolean, out: Float64Array): void {
  const kept = history.counts[group];
  const column = history.column(group, statistic);
  const agents = history.agents[group];
  const first = Math.max(0, kept - Math.max(1, rows));
  let sum = 0;
  let seSum = 0;
  for (let i = first; i < kept; i++) {
    const value = column[i];
    sum += value;
    seSum += statistic === 'mean_prob_optimal' && fromHistogram ? histogramMeanSe(history.histograms[group], i).se : boundedSe(value, agents);
  }
  const n = kept - first;
  out[0] = n > 0 ? sum / n : Number.NaN;
  out[1] = n > 0 ? seSum / n : Number.NaN;
}

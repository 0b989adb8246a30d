/**
 * The statistics every engine records, per group and per row (a row covers `window` steps).
 *
 * Action statistics (reward, optimal choice, baseline, advantage, gradient) describe the actions
 * taken in the row's steps under the policy before each update; policy statistics (probabilities,
 * entropy, expected reward, regret) describe the policy after each update. Both are averaged over
 * the row's agent-steps. Variances pool the N * W agent-steps of the row (for W = 1: the variance
 * across agents at that step). The histogram and its quantiles are taken after the row's last step.
 */

export const kHistogramBins = 64;
export const kQuantileLevels = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

export const kScalarStats = [
  'mean_reward',
  'frac_optimal',
  'mean_baseline',
  'mean_advantage',
  'mean_expected_reward',
  'mean_regret',
  'mean_entropy',
  'mean_prob_optimal',
  'prob_optimal_p10',
  'prob_optimal_p25',
  'prob_optimal_p50',
  'prob_optimal_p75',
  'prob_optimal_p90',
  'exact_grad_var',
  'grad_var',
  'grad_sqnorm_mean',
  'grad_sqnorm_var',
] as const;

export type ScalarStat = (typeof kScalarStats)[number];

/** Column positions of one row of statistics for k arms. */
export class StatsLayout {
  readonly arms: number;
  readonly names: readonly string[];
  readonly probOffset: number;
  readonly gradMeanOffset: number;
  readonly gradVarOffset: number;
  readonly #index: Map<string, number>;

  constructor(arms: number) {
    this.arms = arms;
    const perArm = (prefix: string) => Array.from({ length: arms }, (_, j) => `${prefix}_${j}`);
    this.probOffset = kScalarStats.length;
    this.gradMeanOffset = this.probOffset + arms;
    this.gradVarOffset = this.gradMeanOffset + arms;
    this.names = [...kScalarStats, ...perArm('mean_prob'), ...perArm('grad_mean'), ...perArm('grad_var')];
    this.#index = new Map(this.names.map((name, i) => [name, i]));
  }

  get count(): number {
    return this.names.length;
  }

  index(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) throw new Error(`unknown statistic "${name}"`);
    return i;
  }
}

/** Position of the scalar statistic `name` in a row: a constant, usable in hot loops. */
export function scalarIndex(name: ScalarStat): number {
  return kScalarStats.indexOf(name);
}

/** The bin of a probability in [0, 1]; 1 falls in the last bin. */
export function histogramBin(probability: number): number {
  const bin = Math.floor(probability * kHistogramBins);
  return bin < 0 ? 0 : bin >= kHistogramBins ? kHistogramBins - 1 : bin;
}

/**
 * Quantile of the distribution a histogram over [0, 1] describes, interpolating linearly
 * inside the bin (mass spread evenly over the bin): exact to within one bin width, 1/64.
 */
export function histogramQuantile(histogram: ArrayLike<number>, level: number): number {
  let total = 0;
  for (let b = 0; b < histogram.length; b++) total += histogram[b];
  if (total === 0) return Number.NaN;
  const target = level * total;
  let below = 0;
  for (let b = 0; b < histogram.length; b++) {
    const count = histogram[b];
    if (count > 0 && below + count >= target) {
      return (b + (target - below) / count) / histogram.length;
    }
    below += count;
  }
  return 1;
}

/** Fills the quantile columns of a row from its histogram. */
export function writeQuantiles(values: Float64Array, histogram: ArrayLike<number>): void {
  const first = scalarIndex('prob_optimal_p10');
  kQuantileLevels.forEach((level, i) => {
    values[first + i] = histogramQuantile(histogram, level);
  });
}

/** Receives finished rows. `values` and `histogram` are reused by the engine: copy what you keep. */
export interface StatsSink {
  record(group: number, step: number, values: Float64Array, histogram: Uint32Array): void;
  /** A group's preferences became non-finite at `step`; it records no rows from that step on. */
  diverged?(group: number, step: number, message: string): void;
}

/**
 * The statistics every engine records, per group and per row (a row covers `window` steps).
 *
 * Action statistics (reward, optimal choice, baseline, advantage, gradient) describe the actions
 * taken in the row's steps under the policy before each update; policy statistics (probabilities,
 * entropy, expected reward, regret) describe the policy after each update. Both are averaged over
 * the row's agent-steps. Variances pool the N * W agent-steps of the row (for W = 1: the variance
 * across agents at that step). The histogram and its quantiles are taken after the row's last step.
 * A gaussian policy has no arms: its histogram bins mu - x* instead (`kActionRange`), and
 * `mean_action_error` / `mean_action_std` describe it (README, "Other families").
 */
import { kAcc, kHistogramBins, recordBlocks } from './shared-constants.ts';

export { kHistogramBins };
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
  'clip_fraction',
  'mean_action_error',
  'mean_action_std',
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

/** Row statistics read straight from a finished record's scalar slots. */
const kScalarSlots: readonly (readonly [ScalarStat, keyof typeof kAcc])[] = [
  ['mean_reward', 'reward'],
  ['frac_optimal', 'optimal'],
  ['mean_baseline', 'baseline'],
  ['mean_advantage', 'advantage'],
  ['mean_expected_reward', 'expected'],
  ['mean_regret', 'regret'],
  ['mean_entropy', 'entropy'],
  ['mean_prob_optimal', 'probOptimal'],
  ['exact_grad_var', 'exactVar'],
  ['grad_sqnorm_mean', 'sqNorm'],
  ['grad_sqnorm_var', 'sqNorm2'],
  ['clip_fraction', 'clipped'],
  ['mean_action_error', 'actionError'],
  ['mean_action_std', 'actionStd'],
];

/**
 * Turns finished statistics records (see `kAcc`: a count, then means, with variances in the
 * second-moment slots) into rows for a StatsSink: both engines emit every row through one.
 * Owns the row and histogram arrays it hands to the sink (reused from row to row).
 */
export class RowWriter {
  readonly layout: StatsLayout;
  readonly #values: Float64Array;
  readonly #blocks: { prob: number; grad: number; grad2: number };
  readonly #histogram = new Uint32Array(kHistogramBins);
  readonly #rowIndex = Int32Array.from(kScalarSlots, ([name]) => scalarIndex(name));
  readonly #slotIndex = Int32Array.from(kScalarSlots, ([, slot]) => kAcc[slot]);

  constructor(layout: StatsLayout) {
    this.layout = layout;
    this.#values = new Float64Array(layout.count);
    this.#blocks = recordBlocks(layout.arms);
  }

  /** The record at `record[base ..]` and the histogram at `histogram[histogramBase ..]` as the row of `group` ending at `step`. */
  emit(sink: StatsSink, group: number, step: number, record: ArrayLike<number>, base: number, histogram: ArrayLike<number>, histogramBase: number): void {
    const values = this.#values;
    const layout = this.layout;
    const k = layout.arms;
    const blocks = this.#blocks;
    for (let i = 0; i < this.#rowIndex.length; i++) values[this.#rowIndex[i]] = record[base + this.#slotIndex[i]];
    let totalVariance = 0;
    for (let j = 0; j < k; j++) {
      values[layout.probOffset + j] = record[base + blocks.prob + j];
      values[layout.gradMeanOffset + j] = record[base + blocks.grad + j];
      const variance = record[base + blocks.grad2 + j];
      values[layout.gradVarOffset + j] = variance;
      totalVariance += variance;
    }
    values[scalarIndex('grad_var')] = totalVariance;
    for (let b = 0; b < kHistogramBins; b++) this.#histogram[b] = histogram[histogramBase + b];
    writeQuantiles(values, this.#histogram);
    sink.record(group, step, values, this.#histogram);
  }
}

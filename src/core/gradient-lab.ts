/**
 * The gradient-estimator lab: ONE softmax policy (preferences theta, temperature T) frozen on ONE
 * known bandit, and N independent REINFORCE estimates of its gradient drawn at that policy, each
 * with several baselines, next to the exact (analytic) gradient and variances. Pure math, no GPU:
 * `estimateGradientsCpu` is the reference that `GpuGradientLab` (src/gpu/gradient-lab-kernel.ts,
 * shaders/gradient_lab.wgsl) reproduces draw for draw.
 *
 * One estimate, with a ~ pi = softmax(theta / T) and R the reward of arm a:
 *   g_j = (R - b) (1[j = a] - pi_j) / T          (the score function d log pi_a / d theta_j)
 * E[g] = grad J for every b fixed before the draw; the baseline changes only the spread.
 *
 * Random numbers: sample i of call `frame` draws philox4x32 with counter
 * (frame, kPurpose.gradientLab, 0, 0) and key (seed, i): word 0 picks the action (sampleArm),
 * words 1 and 2 the reward, exactly as AgentStepper.takeStep draws them at a step.
 */
import { type StepConstants, AgentStepper, armNormal, drawReward, stepConstants } from './agent.ts';
import { philox4x32, uniformFromU32 } from './philox.ts';
import { analyticGradient, exactGradientVariance, sampleArm, softmaxInto } from './policy.ts';
import { type EnvKind, type Params, kMaxArms, kMinArms } from './schema.ts';
import { kHistogramBins, kPurpose } from './shared-constants.ts';

const f32 = Math.fround;

/** The baselines the lab compares, in this fixed order (the GPU packs their values in it too). */
export const kLabBaselines = [
  { id: 'none', label: 'none (b = 0)' },
  { id: 'average', label: 'average reward (b = J)' },
  { id: 'constant', label: 'constant b' },
  { id: 'optimal', label: 'optimal b*' },
] as const;
export type LabBaselineId = (typeof kLabBaselines)[number]['id'];

/** Samples one call may draw: sample indices and per-invocation ranges stay below 2^32 on the GPU. */
export const kMaxLabSamples = 2 ** 31;

/**
 * A baseline that spreads its histogram more than this many times the sensible baselines
 * (average, optimal) does not widen the shared range: its samples then fall outside.
 */
const kAbsurdSpread = 10;
/** The shared histogram range spans the projected mean +- this many standard deviations. */
const kRangeSds = 4;

/** One frozen policy on one known bandit, as the engine's step sees it. */
export interface LabProblem {
  /** k, in [2, 64]. */
  arms: number;
  /** Preferences theta (k numbers; taken as f32). */
  prefs: ArrayLike<number>;
  /** The policy uses 1 / temperature rounded to f32, as the engine's step does. */
  temperature: number;
  env: EnvKind;
  /**
   * Expected reward of each arm, offset and scale applied (f32, as AgentStepper.armMean; for
   * bernoulli offset + scale * armValue[a]): the exact results and the noise sums centre on it.
   */
  armMean: ArrayLike<number>;
  /** bernoulli: each arm's probability of reward 1; unused otherwise (may be empty). */
  armValue: ArrayLike<number>;
  offset: number;
  scale: number;
  /** scale * noise: gaussian and fixed rewards are armMean[a] + rewardSd * N(0, 1). */
  rewardSd: number;
  /** u32 key of the random numbers. */
  seed: number;
  /** The value of the `constant` baseline. */
  constantBaseline: number;
}

/** The histogram's range of the projected estimate g . u (u: unit direction of grad J). */
export interface HistogramRange {
  lo: number;
  hi: number;
}

/** The exact statistics of the estimator with one baseline. */
export interface ExactBaseline {
  id: LabBaselineId;
  label: string;
  /** The baseline as subtracted (f32). */
  value: number;
  /** Per arm: Var[g_j]. */
  variance: Float64Array;
  /** tr Cov[g] = sum_j Var[g_j]. */
  totalVariance: number;
  /** Mean and standard deviation of the projection g . u that the histogram counts. */
  projectionMean: number;
  projectionSd: number;
}

/** What follows from a problem before any draw: the f32 policy the sampler uses and the exact results. */
export interface LabAnalysis {
  arms: number;
  env: EnvKind;
  seed: number;
  invTemperature: number;
  offset: number;
  scale: number;
  rewardSd: number;
  /** Unnormalised softmax weights, their sum and the probabilities (f32, as policy() leaves them). */
  weights: Float32Array;
  weightSum: number;
  probs: Float32Array;
  armMean: Float32Array;
  armValue: Float32Array;
  /** Reward variance of each arm: rewardSd^2, or scale^2 p (1 - p) for bernoulli. */
  armVariance: Float64Array;
  /** J(theta) = sum_a pi_a armMean_a. */
  expectedReward: number;
  /** dJ/dtheta_j = pi_j (armMean_j - J) / T. */
  gradient: Float64Array;
  gradNorm: number;
  /** Unit direction the histogram projects on: grad J / |grad J|, or arm 0's axis where grad J is 0. */
  direction: Float64Array;
  /** Per arm (f32): (u_a - pi . u) / T, so that g . u = (R - b) * projection[a] for action a. */
  projection: Float32Array;
  /** In kLabBaselines order. */
  baselines: ExactBaseline[];
}

/**
 * Sufficient statistics of the draws. Every estimate g = (R - b) v_a with v_a = (e_a - pi) / T is
 * fixed by its action and reward, so the moments of g for ANY baseline follow from per-arm sums
 * of the reward noise r = R - armMean[a] (see finishLabEstimate); both engines accumulate these
 * and one function turns them into estimates.
 */
export interface LabSums {
  samples: number;
  /** Samples that took each arm. */
  counts: Uint32Array;
  /** [4 a + p - 1]: sum of r^p over the samples that took arm a, p = 1..4. */
  noise: Float64Array;
  /** [baseline * kHistogramBins + bin]: projections per bin, out-of-range ones in the edge bins. */
  histograms: Uint32Array;
  /** Per baseline: samples whose projection fell outside [lo, hi]. */
  outside: Uint32Array;
}

/** The Monte Carlo result for one baseline. */
export interface BaselineEstimate {
  id: LabBaselineId;
  value: number;
  samples: number;
  /** Sample mean of each g_j, and its standard error sqrt(variance_j / samples). */
  mean: Float64Array;
  meanSe: Float64Array;
  /** Sample variance of each g_j (divisor samples - 1). */
  variance: Float64Array;
  /** Sum of the per-arm variances (the trace of the sample covariance), and its standard error. */
  totalVariance: number;
  totalVarianceSe: number;
  histogram: Uint32Array;
  outside: number;
}

export interface LabEstimate {
  samples: number;
  frame: number;
  range: HistogramRange;
  analysis: LabAnalysis;
  sums: LabSums;
  /** In kLabBaselines order. */
  baselines: BaselineEstimate[];
}

function fail(field: string, message: string): never {
  throw new RangeError(`gradient lab: ${field}: ${message}`);
}

function checkFinite(field: string, value: number): void {
  if (!Number.isFinite(value)) fail(field, `must be a finite number, got ${value}`);
}

function checkLabProblem(p: LabProblem): void {
  if (!Number.isInteger(p.arms) || p.arms < kMinArms || p.arms > kMaxArms) fail('arms', `must be an integer in [${kMinArms}, ${kMaxArms}], got ${p.arms}`);
  const k = p.arms;
  for (const key of ['prefs', 'armMean'] as const) {
    if (p[key].length < k) fail(key, `needs one value per arm (${k}), got ${p[key].length}`);
    for (let j = 0; j < k; j++) checkFinite(`${key}[${j}]`, p[key][j]);
  }
  if (p.env === 'bernoulli') {
    if (p.armValue.length < k) fail('armValue', `needs one probability per arm (${k}), got ${p.armValue.length}`);
    for (let j = 0; j < k; j++) if (!(p.armValue[j] >= 0 && p.armValue[j] <= 1)) fail(`armValue[${j}]`, `must be a probability, got ${p.armValue[j]}`);
  }
  if (!(p.temperature > 0) || !Number.isFinite(p.temperature)) fail('temperature', `must be positive, got ${p.temperature}`);
  if (!(p.rewardSd >= 0) || !Number.isFinite(p.rewardSd)) fail('rewardSd', `must be >= 0, got ${p.rewardSd}`);
  for (const key of ['offset', 'scale', 'constantBaseline'] as const) checkFinite(key, p[key]);
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff) fail('seed', `must be a u32, got ${p.seed}`);
}

/**
 * The lab problem of agent `agent` of a group with parameters `params`, at preferences `prefs`:
 * the arms that agent meets in the engine (AgentStepper.loadArms; gaussian arm values from
 * armNormal), the group's temperature, reward offset, scale and noise.
 */
export function labProblemFromParams(params: Params, agent: number, prefs: ArrayLike<number>, constantBaseline = 0): LabProblem {
  const k = params.arms;
  const c: StepConstants = stepConstants(params);
  const stepper = new AgentStepper(k, params.seed);
  let normals: Float32Array | null = null;
  if (c.env === 'gaussian') {
    normals = new Float32Array(k);
    for (let j = 0; j < k; j++) normals[j] = armNormal(params.seed, agent, j, stepper.words);
  }
  stepper.loadArms(c, normals, 0);
  const armValue = c.env === 'gaussian' ? Float32Array.from(normals as Float32Array, (z) => f32(c.spread * z)) : c.means.slice(0, k);
  return {
    arms: k,
    prefs: Array.from(prefs),
    temperature: params.temperature,
    env: c.env,
    armMean: Array.from(stepper.armMean),
    armValue: Array.from(armValue),
    offset: c.offset,
    scale: c.scale,
    rewardSd: c.rewardSd,
    seed: params.seed >>> 0,
    constantBaseline,
  };
}

/**
 * The baseline that minimises the estimator's total variance. With s_a = |grad log pi_a|^2 =
 * (1 - 2 pi_a + sum_j pi_j^2) / T^2, tr Cov = sum_a pi_a (sigma_a^2 + (mu_a - b)^2) s_a - |grad J|^2
 * is a parabola in b (see exactGradientVariance in policy.ts), least at
 *   b* = E[R |grad log pi|^2] / E[|grad log pi|^2] = sum_a pi_a mu_a s_a / sum_a pi_a s_a
 * (the reward noise sigma_a does not move it; T cancels). Where every s_a is 0 (a one-hot policy)
 * every b gives variance 0 and b* is taken as J.
 */
export function optimalBaseline(probs: ArrayLike<number>, armMean: ArrayLike<number>, arms: number): number {
  let sumSquaredProbs = 0;
  let expected = 0;
  for (let a = 0; a < arms; a++) {
    sumSquaredProbs += probs[a] * probs[a];
    expected += probs[a] * armMean[a];
  }
  let numerator = 0;
  let denominator = 0;
  for (let a = 0; a < arms; a++) {
    const s = 1 - 2 * probs[a] + sumSquaredProbs;
    numerator += probs[a] * armMean[a] * s;
    denominator += probs[a] * s;
  }
  return denominator > 0 ? numerator / denominator : expected;
}

/**
 * Per-arm exact variance of g_j = (R - b)(1[j = a] - pi_j) / T:
 *   Var[g_j] = sum_a pi_a (sigma_a^2 + (mu_a - b)^2) (1[j = a] - pi_j)^2 / T^2 - (dJ/dtheta_j)^2.
 * Summed over j this is exactGradientVariance (policy.ts), whose derivation it shares.
 */
export function exactArmVariances(
  probs: ArrayLike<number>,
  armMean: ArrayLike<number>,
  armVariance: ArrayLike<number>,
  arms: number,
  baseline: number,
  invTemperature: number,
): Float64Array {
  const gradient = analyticGradient(probs, armMean, arms, invTemperature);
  const out = new Float64Array(arms);
  for (let j = 0; j < arms; j++) {
    let second = 0;
    for (let a = 0; a < arms; a++) {
      const centred = armMean[a] - baseline;
      const score = ((a === j ? 1 : 0) - probs[j]) * invTemperature;
      second += probs[a] * (armVariance[a] + centred * centred) * score * score;
    }
    out[j] = Math.max(0, second - gradient[j] * gradient[j]);
  }
  return out;
}

/** The f32 policy, the exact gradient and, per baseline, the exact variances. */
export function analyzeLab(problem: LabProblem): LabAnalysis {
  checkLabProblem(problem);
  const k = problem.arms;
  const invTemperature = f32(1 / problem.temperature);
  const prefs = Float32Array.from({ length: k }, (_, j) => problem.prefs[j]);
  const weights = new Float32Array(k);
  const probs = new Float32Array(k);
  const weightSum = softmaxInto(prefs, 0, k, invTemperature, weights, probs);
  const armMean = Float32Array.from({ length: k }, (_, j) => problem.armMean[j]);
  const armValue = Float32Array.from({ length: k }, (_, j) => (j < problem.armValue.length ? problem.armValue[j] : 0));
  const offset = f32(problem.offset);
  const scale = f32(problem.scale);
  const rewardSd = f32(problem.rewardSd);
  // As AgentStepper.loadArms: the variance of a bernoulli reward offset + scale * Bernoulli(p).
  const armVariance = Float64Array.from({ length: k }, (_, a) =>
    problem.env === 'bernoulli' ? scale * scale * armValue[a] * (1 - armValue[a]) : rewardSd * rewardSd,
  );

  // J over the f32 probabilities normalised in f64 (they sum to 1 only within f32 rounding): the
  // gradient then sums to 0 as the softmax gradient does, and is 0 where all means are equal
  // rather than k * 2^-24 * mean (analyticGradient in policy.ts, which skips this step).
  let probSum = 0;
  let weightedMean = 0;
  let largestMean = 0;
  for (let a = 0; a < k; a++) {
    probSum += probs[a];
    weightedMean += probs[a] * armMean[a];
    largestMean = Math.max(largestMean, Math.abs(armMean[a]));
  }
  const expectedReward = weightedMean / probSum;
  const gradient = Float64Array.from(probs, (p, j) => p * (armMean[j] - expectedReward) * invTemperature);
  const gradNorm = Math.hypot(...gradient);
  // A gradient that is zero up to f64 rounding (all means equal) has no direction of its own.
  const degenerate = !(gradNorm > 1e-12 * largestMean * invTemperature);
  const direction = Float64Array.from(gradient, (g, j) => (degenerate ? (j === 0 ? 1 : 0) : g / gradNorm));
  let probsDotDirection = 0;
  for (let a = 0; a < k; a++) probsDotDirection += probs[a] * direction[a];
  const projectionF64 = Float64Array.from(direction, (u) => (u - probsDotDirection) * invTemperature);
  const projection = Float32Array.from(projectionF64);
  const projectionMean = gradient.reduce((sum, g, j) => sum + g * direction[j], 0);

  const values: Record<LabBaselineId, number> = {
    none: 0,
    average: expectedReward,
    constant: problem.constantBaseline,
    optimal: optimalBaseline(probs, armMean, k),
  };
  const baselines = kLabBaselines.map(({ id, label }): ExactBaseline => {
    const value = f32(values[id]);
    // g . u = (R - b) c_a, so E[(g . u)^2] = sum_a pi_a (sigma_a^2 + (mu_a - b)^2) c_a^2.
    let projectedSecond = 0;
    for (let a = 0; a < k; a++) {
      const centred = armMean[a] - value;
      projectedSecond += probs[a] * (armVariance[a] + centred * centred) * projectionF64[a] * projectionF64[a];
    }
    return {
      id,
      label,
      value,
      variance: exactArmVariances(probs, armMean, armVariance, k, value, invTemperature),
      totalVariance: exactGradientVariance(probs, armMean, armVariance, k, value, 1, invTemperature),
      projectionMean,
      projectionSd: Math.sqrt(Math.max(0, projectedSecond - projectionMean * projectionMean)),
    };
  });

  return {
    arms: k, env: problem.env, seed: problem.seed >>> 0, invTemperature, offset, scale, rewardSd,
    weights, weightSum, probs, armMean, armValue, armVariance, expectedReward, gradient, gradNorm,
    direction, projection, baselines,
  };
}

/**
 * A histogram range that shows every sensible baseline: the projected mean +- 4 standard
 * deviations of the widest baseline whose spread is within kAbsurdSpread of the average and
 * optimal baselines' (a constant dragged far away, or no baseline under a large reward offset,
 * would otherwise squeeze the others into a bin or two; their samples count as `outside`).
 */
export function pickHistogramRange(analysis: LabAnalysis): HistogramRange {
  const sd = (id: LabBaselineId) => (analysis.baselines.find((b) => b.id === id) as ExactBaseline).projectionSd;
  const reference = Math.max(sd('average'), sd('optimal'));
  let widest = 0;
  for (const b of analysis.baselines) {
    if (reference === 0 || b.projectionSd <= kAbsurdSpread * reference) widest = Math.max(widest, b.projectionSd);
  }
  const centre = analysis.baselines[0].projectionMean;
  // Every estimate is the same number (no spread anywhere): any range around it will do.
  const half = widest > 0 ? kRangeSds * widest : Math.abs(centre) > 0 ? Math.abs(centre) : 1;
  return { lo: centre - half, hi: centre + half };
}

/** The f32 numbers both engines bin with: bin = floor((p - lo) * binScale), clamped to the edges. */
export interface HistogramMapping {
  lo: number;
  hi: number;
  binScale: number;
}

export function labHistogramMapping(range: HistogramRange): HistogramMapping {
  const lo = f32(range.lo);
  const hi = f32(range.hi);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) fail('range', `needs finite lo < hi (in f32), got [${range.lo}, ${range.hi}]`);
  const binScale = f32(kHistogramBins / (hi - lo));
  if (!Number.isFinite(binScale)) fail('range', `is too narrow for f32: [${range.lo}, ${range.hi}]`);
  return { lo, hi, binScale };
}

/** The projection g . u of the estimate for action `action`, reward `reward` and baseline `baseline`, in f32 as the shader. */
export function labProjection(reward: number, baseline: number, projection: number): number {
  return f32(f32(reward - baseline) * projection);
}

/** The histogram bin of projection `p` (out-of-range values in the edge bins), in f32 as the shader. */
export function labHistogramBin(p: number, m: HistogramMapping): number {
  const x = Math.floor(f32(f32(p - m.lo) * m.binScale));
  return Math.min(kHistogramBins - 1, Math.max(0, x));
}

/** One draw: the action and reward of sample `index` of call `frame`. */
export interface LabDraw {
  action: number;
  reward: number;
}

/** Draws sample `index` of call `frame` into `out` (`words`: 4 scratch words), as AgentStepper.takeStep draws a step. */
export function drawLabSample(analysis: LabAnalysis, frame: number, index: number, words: Uint32Array, out: LabDraw): void {
  philox4x32(frame, kPurpose.gradientLab, 0, 0, analysis.seed, index, words);
  const action = sampleArm(analysis.weights, analysis.arms, analysis.weightSum, uniformFromU32(words[0]));
  out.action = action;
  out.reward = drawReward(analysis, analysis.armMean, analysis.armValue, action, words);
}

function checkCall(samples: number, frame: number): void {
  if (!Number.isInteger(samples) || samples < 1 || samples > kMaxLabSamples) fail('samples', `must be an integer in [1, 2^31], got ${samples}`);
  if (!Number.isInteger(frame) || frame < 0 || frame > 0xffffffff) fail('frame', `must be a u32, got ${frame}`);
}

/** Empty sums for `arms` arms. */
export function emptyLabSums(arms: number, samples: number): LabSums {
  return {
    samples,
    counts: new Uint32Array(arms),
    noise: new Float64Array(4 * arms),
    histograms: new Uint32Array(kLabBaselines.length * kHistogramBins),
    outside: new Uint32Array(kLabBaselines.length),
  };
}

/** Most samples one LabSums may hold: its counts and histogram bins are u32. */
export const kMaxLabSumsSamples = 0xffffffff;

/**
 * Adds the draws of `from` to `into` (in place), so that many calls (different frames: other
 * samples) make one estimate: the sums are plain sums over samples, so finishLabEstimate of the
 * total is the estimate of all the draws together. Both must be for the same problem and
 * histogram range; that is the caller's to keep (only the arm count can be checked here).
 */
export function addLabSums(into: LabSums, from: LabSums): LabSums {
  if (into.counts.length !== from.counts.length) fail('sums', `cannot add sums for ${from.counts.length} arms to sums for ${into.counts.length}`);
  const samples = into.samples + from.samples;
  if (samples > kMaxLabSumsSamples) fail('sums', `would hold ${samples} samples, more than the u32 counts allow (${kMaxLabSumsSamples})`);
  into.samples = samples;
  for (let i = 0; i < into.counts.length; i++) into.counts[i] += from.counts[i];
  for (let i = 0; i < into.noise.length; i++) into.noise[i] += from.noise[i];
  for (let i = 0; i < into.histograms.length; i++) into.histograms[i] += from.histograms[i];
  for (let i = 0; i < into.outside.length; i++) into.outside[i] += from.outside[i];
  return into;
}

/**
 * The CPU's draws: samples 0 .. samples-1 of call `frame`, each action and reward in f32 exactly
 * as the shader computes them, the sums in f64.
 */
export function accumulateLabSamplesCpu(analysis: LabAnalysis, samples: number, frame: number, range: HistogramRange): LabSums {
  checkCall(samples, frame);
  const mapping = labHistogramMapping(range);
  const sums = emptyLabSums(analysis.arms, samples);
  const baselines = analysis.baselines.map((b) => b.value);
  const words = new Uint32Array(4);
  const draw: LabDraw = { action: 0, reward: 0 };
  for (let i = 0; i < samples; i++) {
    drawLabSample(analysis, frame, i, words, draw);
    const a = draw.action;
    const r = f32(draw.reward - analysis.armMean[a]);
    const r2 = r * r;
    sums.counts[a]++;
    sums.noise[4 * a] += r;
    sums.noise[4 * a + 1] += r2;
    sums.noise[4 * a + 2] += r2 * r;
    sums.noise[4 * a + 3] += r2 * r2;
    for (let m = 0; m < baselines.length; m++) {
      const p = labProjection(draw.reward, baselines[m], analysis.projection[a]);
      if (!(p >= mapping.lo && p <= mapping.hi)) sums.outside[m]++;
      sums.histograms[m * kHistogramBins + labHistogramBin(p, mapping)]++;
    }
  }
  return sums;
}

/**
 * Sample moments of g for every baseline from the per-arm noise sums, in f64.
 *
 * A sample with action a and noise r = R - mu_a has g = (r + mu_a - b) v_a, v_a = (e_a - pi) / T.
 * About the sample mean gbar: g - gbar = r v_a + e_a with e_a = (mu_a - b) v_a - gbar, fixed per
 * arm. Hence, per arm, with S_p = sum of r^p and n_a its count,
 *   sum (g_j - gbar_j)^2   = v_aj^2 S_2 + 2 v_aj e_aj S_1 + n_a e_aj^2,
 *   sum |g - gbar|^4       = alpha^2 S_4 + 2 alpha beta S_3 + (beta^2 + 2 alpha gamma) S_2
 *                            + 2 beta gamma S_1 + gamma^2 n_a,
 * with |g - gbar|^2 = alpha r^2 + beta r + gamma: alpha = |v_a|^2, beta = 2 v_a . e_a, gamma = |e_a|^2.
 * Centring each arm on its known mean keeps the large deterministic part out of the (f32 on the
 * GPU) sums, so that nothing cancels: a noise-free bandit gives S_p = 0 and exact moments.
 * The trace's standard error is sqrt((m4 - m2^2) / n), m2 and m4 the central moments of |g - gbar|^2.
 */
export function finishLabEstimate(analysis: LabAnalysis, sums: LabSums, frame: number, range: HistogramRange): LabEstimate {
  const k = analysis.arms;
  const n = sums.samples;
  const { probs, armMean, invTemperature } = analysis;
  const v = (a: number, j: number) => ((a === j ? 1 : 0) - probs[j]) * invTemperature;
  const baselines = analysis.baselines.map((exact, m): BaselineEstimate => {
    const b = exact.value;
    const mean = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      const advantageSum = sums.noise[4 * a] + sums.counts[a] * (armMean[a] - b);
      for (let j = 0; j < k; j++) mean[j] += v(a, j) * advantageSum;
    }
    for (let j = 0; j < k; j++) mean[j] /= n;
    const squares = new Float64Array(k);
    let second = 0;
    let fourth = 0;
    const e = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      const count = sums.counts[a];
      if (count === 0) continue;
      const [s1, s2, s3, s4] = sums.noise.subarray(4 * a, 4 * a + 4);
      let alpha = 0;
      let beta = 0;
      let gamma = 0;
      for (let j = 0; j < k; j++) {
        const vaj = v(a, j);
        e[j] = (armMean[a] - b) * vaj - mean[j];
        squares[j] += vaj * vaj * s2 + 2 * vaj * e[j] * s1 + count * e[j] * e[j];
        alpha += vaj * vaj;
        beta += 2 * vaj * e[j];
        gamma += e[j] * e[j];
      }
      second += alpha * s2 + beta * s1 + gamma * count;
      fourth += alpha * alpha * s4 + 2 * alpha * beta * s3 + (beta * beta + 2 * alpha * gamma) * s2 + 2 * beta * gamma * s1 + gamma * gamma * count;
    }
    const variance = Float64Array.from(squares, (s) => Math.max(0, s) / Math.max(1, n - 1));
    const m2 = second / n;
    const m4 = fourth / n;
    return {
      id: exact.id,
      value: b,
      samples: n,
      mean,
      meanSe: Float64Array.from(variance, (s) => Math.sqrt(s / n)),
      variance,
      totalVariance: variance.reduce((sum, s) => sum + s, 0),
      totalVarianceSe: Math.sqrt(Math.max(0, m4 - m2 * m2) / n),
      histogram: sums.histograms.slice(m * kHistogramBins, (m + 1) * kHistogramBins),
      outside: sums.outside[m],
    };
  });
  return { samples: n, frame, range: { lo: range.lo, hi: range.hi }, analysis, sums, baselines };
}

/**
 * N REINFORCE estimates at the problem's policy, on the CPU: `samples` draws of call `frame`
 * (see the random numbers above), histograms over `range` (pickHistogramRange gives a good one).
 */
export function estimateGradientsCpu(problem: LabProblem, samples: number, frame: number, range: HistogramRange): LabEstimate {
  const analysis = analyzeLab(problem);
  return finishLabEstimate(analysis, accumulateLabSamplesCpu(analysis, samples, frame, range), frame, range);
}

/**
 * Samples needed for the mean estimate's standard error (its norm, sqrt(tr Cov / N)) to be
 * `relativeError` of |grad J|: N = tr Cov / (relativeError |grad J|)^2 (Infinity where grad J = 0:
 * no number of samples resolves a zero gradient to a relative accuracy).
 */
export function samplesForAccuracy(totalVariance: number, relativeError: number, gradNorm: number): number {
  const target = relativeError * gradNorm;
  return target === 0 ? Infinity : totalVariance / (target * target);
}

/**
 * The numbers the CPU engine and the WGSL kernels must agree on, defined once. The shader
 * composer (src/gpu/shaders.ts, `kWgslConstants`) writes each of them into the WGSL as a `const`
 * line, named as here: plain names as they are, the keys of `kAcc`, `kPurpose`, `kBaselineCode`,
 * `kEnvCode`, `kAdvantageNormCode` and `kPolicyCode` with their prefix (`kAcc.reward` is `kAccReward`, `kBaselineCode['average-inclusive']`
 * is `kBaselineAverageInclusive`).
 */
import type { AdvantageNorm, BaselineMode, EnvKind, PolicyKind } from './schema.ts';

/** Invocations per workgroup of the agent kernel: agents are placed in blocks of this many. */
export const kWorkgroupSize = 64;
/** Bins of the histogram of pi(optimal arm) over [0, 1]. */
export const kHistogramBins = 64;
/** Groups one experiment runs. */
export const kMaxGroups = 16;

/** Random-number purposes: counter = (step, purpose, index, 0), key = (seed, agent). */
export const kPurpose = { step: 0, armValue: 1, gradientLab: 2 } as const;

/**
 * The slots of a statistics record: a count, then sums over the record's agent-steps of each
 * scalar, then three blocks of one slot per arm (probabilities, gradient, squared gradient).
 * Both engines accumulate records in this layout; a finished record holds means instead of
 * sums, and the variance of their first-moment slot in the second-moment slots (`sqNorm2`, the
 * squared-gradient block).
 */
export const kAcc = {
  count: 0,
  reward: 1,
  optimal: 2,
  baseline: 3,
  advantage: 4,
  expected: 5,
  regret: 6,
  entropy: 7,
  probOptimal: 8,
  exactVar: 9,
  sqNorm: 10,
  sqNorm2: 11,
  clipped: 12,
  /** The gaussian policy: its mean's distance from the agent's optimum, |mu - x*|, and its sigma. */
  actionError: 13,
  actionStd: 14,
} as const;
/** Slots before the per-arm blocks. */
export const kAccScalars = Object.keys(kAcc).length;
/** The kernels' scalar accumulators, rounded up to whole vec4s (the subgroup reduction adds four at a time). */
export const kAccCapacity = Math.ceil(kAccScalars / 4) * 4;

/** Slots of a record for `arms` arms. */
export function recordLength(arms: number): number {
  return kAccScalars + 3 * arms;
}

/** Offsets of the per-arm blocks in a record. */
export function recordBlocks(arms: number): { prob: number; grad: number; grad2: number } {
  return { prob: kAccScalars, grad: kAccScalars + arms, grad2: kAccScalars + 2 * arms };
}

export const kBaselineCode = { none: 0, average: 1, 'average-inclusive': 2, ema: 3, critic: 4 } as const satisfies Record<BaselineMode, number>;
export const kEnvCode = { gaussian: 0, fixed: 1, bernoulli: 2 } as const satisfies Record<EnvKind, number>;
/** Added to a batch's advantage standard deviation before dividing by it (advantageNorm 'batch'); WGSL gets it as an f32 const. */
export const kAdvantageEpsilon = 1e-8;
/**
 * The gaussian policy's histogram (in place of pi(best arm)'s) bins mu - x* over
 * [-kActionRange, kActionRange] (ends clamped into the end bins).
 */
export const kActionRange = 4;
/** The largest |log sigma| a gaussian policy may reach: beyond it sigma leaves f32's range (diverged). */
export const kMaxLogSigma = 80;
export const kAdvantageNormCode = { none: 0, batch: 1, running: 2 } as const satisfies Record<AdvantageNorm, number>;
export const kPolicyCode = { softmax: 0, 'epsilon-greedy': 1, gaussian: 2 } as const satisfies Record<PolicyKind, number>;

/**
 * One agent's step, the single place where the gradient step happens on the CPU. The engine's
 * loop and the agent replay both call it, so a replayed agent matches the engine bit for bit.
 * `shaders/agent_step.wgsl` is its GPU twin, stage for stage under the same names (loadArms,
 * policy, takeStep, accumulateActionStats, accumulatePolicyStats), and must change with it.
 *
 * Random numbers: counter = (step, purpose, index, 0), key = (seed, agent). Step 0 is set-up;
 * steps count from 1. One call per agent-step yields the four words it needs.
 */
import { normalFromU32Pair, philox4x32, uniformFromU32 } from './philox.ts';
import { entropyOf, exactGradientVariance, sampleArm, scoreDirection, softmaxInto } from './policy.ts';
import { type Params, resolvedMeans } from './schema.ts';
import { kAcc, kPurpose, recordBlocks } from './shared-constants.ts';

const f32 = Math.fround;
/** Read in every step: a plain binding rather than a property of `kPurpose`. */
const kStepPurpose = kPurpose.step;

/**
 * Standard normal behind arm `arm`'s value for a gaussian agent (its arm value / spread). Arms 2i
 * and 2i + 1 share one call (counter (0, kPurpose.armValue, i, 0)): Box-Muller's cosine and sine
 * normals of its first two words, so that setting up an agent's arms takes k / 2 calls.
 */
export function armNormal(seed: number, agent: number, arm: number, words: Uint32Array): number {
  philox4x32(0, kPurpose.armValue, arm >>> 1, 0, seed, agent, words);
  return normalFromU32Pair(words[0], words[1], (arm & 1) === 0 ? 'cos' : 'sin');
}

/** The f32 constants a group's step uses, derived once from its parameters. */
export interface StepConstants {
  lrOverTemperature: number;
  invTemperature: number;
  baseline: Params['baseline'];
  baselineRate: number;
  baselineInit: number;
  /** baselineStart 'first-reward': step 1's average and ema baselines are its own reward. */
  baselineFromFirstReward: boolean;
  env: Params['env'];
  offset: number;
  scale: number;
  spread: number;
  /** scale * noise: the reward's standard deviation (gaussian, fixed). */
  rewardSd: number;
  /** Resolved means (fixed) or probabilities (bernoulli). */
  means: Float32Array;
}

export function stepConstants(params: Params): StepConstants {
  const invTemperature = f32(1 / params.temperature);
  return {
    lrOverTemperature: f32(f32(params.lr) * invTemperature),
    invTemperature,
    baseline: params.baseline,
    baselineRate: f32(params.baselineRate),
    baselineInit: f32(params.baselineInit),
    baselineFromFirstReward: params.baselineStart === 'first-reward',
    env: params.env,
    offset: f32(params.offset),
    scale: f32(params.scale),
    spread: f32(params.spread),
    rewardSd: f32(f32(params.scale) * f32(params.noise)),
    means: Float32Array.from(resolvedMeans(params)),
  };
}

/**
 * Scratch and outputs of one agent's step; allocate once per engine, reuse for every agent.
 * Per agent `loadArms`; per step `policy`, then `takeStep`. A measured step adds its action
 * statistics after `takeStep` (which leaves `probs` as the policy the action was drawn from)
 * and its policy statistics after the next `policy` (the policy after the update). These are
 * agent_step.wgsl's stages in its order; there takeStep calls them itself, here the engine's
 * loop does, which keeps the step small enough for V8 to compile it as one piece.
 */
export class AgentStepper {
  readonly arms: number;
  readonly seed: number;
  readonly weights: Float32Array;
  readonly probs: Float32Array;
  /** Expected reward of each arm for the loaded agent (offset and scale applied). */
  readonly armMean: Float32Array;
  readonly armVariance: Float64Array;
  readonly words = new Uint32Array(4);
  readonly #blocks: { prob: number; grad: number; grad2: number };
  weightSum = 1;
  optimalArm = 0;
  bestMean = 0;
  // Outputs of the last `takeStep`.
  action = 0;
  reward = 0;
  baseline = 0;
  advantage = 0;
  /**
   * The advantage as factor * (R - referenceBaseline) with both fixed before the reward is drawn:
   * what the exact variance needs. Only the inclusive average differs from (1, baseline).
   */
  advantageFactor = 1;
  referenceBaseline = 0;
  healthy = true;

  constructor(arms: number, seed: number) {
    this.arms = arms;
    this.seed = seed >>> 0;
    this.weights = new Float32Array(arms);
    this.probs = new Float32Array(arms);
    this.armMean = new Float32Array(arms);
    this.armVariance = new Float64Array(arms);
    this.#blocks = recordBlocks(arms);
  }

  /** Arm values of `agent`; `normals` holds its k standard normals (gaussian only). */
  loadArms(c: StepConstants, normals: Float32Array | null, normalsOffset: number): void {
    const k = this.arms;
    let best = 0;
    for (let j = 0; j < k; j++) {
      let value: number;
      if (c.env === 'gaussian') value = f32(c.spread * (normals as Float32Array)[normalsOffset + j]);
      else value = c.means[j];
      this.armMean[j] = f32(c.offset + f32(c.scale * value));
      this.armVariance[j] =
        c.env === 'bernoulli' ? c.scale * c.scale * value * (1 - value) : c.rewardSd * c.rewardSd;
      if (this.armMean[j] > this.armMean[best]) best = j;
    }
    this.optimalArm = best;
    this.bestMean = this.armMean[best];
  }

  /** The policy at the agent's current preferences, into `weights`, `probs`, `weightSum`. */
  policy(prefs: Float32Array, offset: number, c: StepConstants): void {
    this.weightSum = softmaxInto(prefs, offset, this.arms, c.invTemperature, this.weights, this.probs);
  }

  /**
   * Step `step` (1-based) of agent `agent`: sample from the current policy, draw the reward,
   * form the advantage, apply REINFORCE to every arm and update the baseline state:
   *   theta_j += lr * (R - b) * (1[j = a] - pi_j) / T
   * (the gradient of log softmax: d log pi_a / d theta_j = (1[j = a] - pi_j) / T).
   * `stateIndex` addresses rewardMean/ema; `agent` keys the random numbers.
   */
  takeStep(
    prefs: Float32Array,
    offset: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    stateIndex: number,
    agent: number,
    step: number,
    c: StepConstants,
  ): void {
    const k = this.arms;
    const words = this.words;
    philox4x32(step, kStepPurpose, 0, 0, this.seed, agent, words);
    const action = sampleArm(this.weights, k, this.weightSum, uniformFromU32(words[0]));

    let reward: number;
    if (c.env === 'bernoulli') {
      reward = uniformFromU32(words[1]) < c.means[action] ? f32(c.offset + c.scale) : c.offset;
    } else if (c.rewardSd === 0) {
      reward = this.armMean[action];
    } else {
      reward = f32(this.armMean[action] + f32(c.rewardSd * normalFromU32Pair(words[1], words[2])));
    }

    const previousMean = rewardMean[stateIndex];
    // Before any reward is seen a running baseline has no history: with baselineFromFirstReward
    // it takes the first reward itself (advantage 0, no unbaselined first update), else its init.
    const firstFromReward = step === 1 && c.baselineFromFirstReward;
    let baseline = 0;
    this.advantageFactor = 1;
    switch (c.baseline) {
      case 'average':
        baseline = step === 1 ? (firstFromReward ? reward : c.baselineInit) : previousMean;
        if (firstFromReward) this.advantageFactor = 0;
        break;
      case 'average-inclusive':
        // Mean including this reward: R - b = ((t - 1) / t) (R - mean of the earlier rewards).
        baseline = f32(previousMean + f32(f32(reward - previousMean) / step));
        this.advantageFactor = (step - 1) / step;
        break;
      case 'ema':
        baseline = firstFromReward ? reward : ema[stateIndex];
        if (firstFromReward) this.advantageFactor = 0;
        break;
    }
    this.referenceBaseline = c.baseline === 'average-inclusive' ? previousMean : baseline;
    const advantage = f32(reward - baseline);
    this.action = action;
    this.reward = reward;
    this.baseline = baseline;
    this.advantage = advantage;

    const coefficient = f32(c.lrOverTemperature * advantage);
    let healthy = true;
    for (let j = 0; j < k; j++) {
      const updated = f32(prefs[offset + j] + f32(coefficient * f32(scoreDirection(j, action, this.probs))));
      prefs[offset + j] = updated;
      if (!(Math.abs(updated) <= 3.4028234663852886e38)) healthy = false;
    }
    rewardMean[stateIndex] = f32(previousMean + f32(f32(reward - previousMean) / step));
    ema[stateIndex] = firstFromReward ? reward : f32(ema[stateIndex] + f32(c.baselineRate * f32(reward - ema[stateIndex])));
    this.healthy = healthy;
  }

  /** Adds the statistics of the action just taken (under the policy it was drawn from) to the record at `record[base ..]`. */
  accumulateActionStats(record: Float64Array, base: number, c: StepConstants): void {
    const k = this.arms;
    const probs = this.probs;
    const action = this.action;
    const scaledAdvantage = this.advantage * c.invTemperature;
    record[base + kAcc.count] += 1;
    record[base + kAcc.reward] += this.reward;
    if (action === this.optimalArm) record[base + kAcc.optimal] += 1;
    record[base + kAcc.baseline] += this.baseline;
    record[base + kAcc.advantage] += this.advantage;
    record[base + kAcc.exactVar] += exactGradientVariance(
      probs, this.armMean, this.armVariance, k, this.referenceBaseline, this.advantageFactor, c.invTemperature,
    );
    const grad = base + this.#blocks.grad;
    const grad2 = base + this.#blocks.grad2;
    let squaredNorm = 0;
    for (let j = 0; j < k; j++) {
      const gradient = scaledAdvantage * scoreDirection(j, action, probs);
      record[grad + j] += gradient;
      record[grad2 + j] += gradient * gradient;
      squaredNorm += gradient * gradient;
    }
    record[base + kAcc.sqNorm] += squaredNorm;
    record[base + kAcc.sqNorm2] += squaredNorm * squaredNorm;
  }

  /** Adds the statistics of the policy after the update (call `policy` first) to the record at `record[base ..]`. */
  accumulatePolicyStats(record: Float64Array, base: number, prefs: Float32Array, offset: number, c: StepConstants): void {
    const k = this.arms;
    const probs = this.probs;
    const prob = base + this.#blocks.prob;
    let expected = 0;
    for (let j = 0; j < k; j++) {
      record[prob + j] += probs[j];
      expected += probs[j] * this.armMean[j];
    }
    record[base + kAcc.expected] += expected;
    record[base + kAcc.regret] += this.bestMean - expected;
    record[base + kAcc.entropy] += entropyOf(prefs, offset, k, c.invTemperature, probs, this.weightSum);
    record[base + kAcc.probOptimal] += probs[this.optimalArm];
  }
}

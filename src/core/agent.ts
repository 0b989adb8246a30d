/**
 * One agent's step, the single place where the gradient step happens on the CPU. The engine's
 * loop and the agent replay both call it, so a replayed agent matches the engine bit for bit.
 * `shaders/agent_step.wgsl` is its GPU twin, stage for stage under the same names (loadArms,
 * policy, takeStep, accumulateActionStats, accumulatePolicyStats), and must change with it.
 *
 * Random numbers: counter = (step, purpose, index, 0), key = (seed, agent). Step 0 is set-up;
 * steps count from 1. One call per agent-step yields the four words it needs: word 0 draws the
 * arm (with word 3, the gaussian policy's normal), words 1 and 2 the reward, word 3 the context.
 * Every family reads the same words for the same purpose, so groups of different families meet
 * the same random numbers.
 *
 * The families (`stepKind`): the softmax policy gradient (plain, or general with batches,
 * normalised advantages, entropy and PPO passes; or contextual), epsilon-greedy (value-based)
 * and the gaussian policy (continuous actions). Each has its own step here and in the WGSL.
 */
import { normalFromU32Pair, philox4x32, uniformFromU32 } from './philox.ts';
import { entropyOf, entropyOfProbs, epsilonGreedyInto, exactGradientVariance, sampleArm, scoreDirection, softmaxInto } from './policy.ts';
import { type Params, resolvedMeans } from './schema.ts';
import { kAcc, kActionRange, kAdvantageEpsilon, kMaxLogSigma, kPurpose, recordBlocks } from './shared-constants.ts';

const f32 = Math.fround;
/** 1/2 log(2 pi e): a normal's entropy is this plus log sigma. */
const kGaussianEntropyBase = 0.5 * Math.log(2 * Math.PI * Math.E);

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

/**
 * E[exp(-k (d + sigma z)^2) z^m] for z ~ N(0, 1) and m = 0..4: the exponents combine into a normal
 * of variance 1 / p, p = 1 + 2 k sigma^2, and mean -2 k d sigma / p, times exp(-k d^2 / p) / sqrt(p).
 * The gaussian policy's reward bump (k = 1/2) and its square (k = 1) need it.
 */
export function gaussianBumpMoment(k: number, d: number, sigma: number, m: number): number {
  const p = 1 + 2 * k * sigma * sigma;
  const mean = (-2 * k * d * sigma) / p;
  const variance = 1 / p;
  const weight = Math.exp((-k * d * d) / p) / Math.sqrt(p);
  const m2 = mean * mean;
  const moment = m === 0 ? 1 : m === 1 ? mean : m === 2 ? m2 + variance : m === 3 ? mean * (m2 + 3 * variance) : m2 * m2 + 6 * m2 * variance + 3 * variance * variance;
  return weight * moment;
}

/**
 * Exact variance (trace of the covariance) of the gaussian policy's REINFORCE estimate
 * (A z / sigma, A (z^2 - 1)), A = f (R - ref), R = offset + scale exp(-(mu + sigma z - x*)^2 / 2)
 * + sd e, over z and e, for d = mu - x* and base = offset - ref. With h = f scale exp(..) and
 * c0 = f base, A = c0 + h + f sd e:
 *   E[A z]           = E[h z],  E[A^2 z^2] = c0^2 + 2 c0 E[h z^2] + E[h^2 z^2] + (f sd)^2,
 *   E[A (z^2 - 1)]   = E[h z^2] - E[h],
 *   E[A^2 (z^2-1)^2] = 2 c0^2 + 2 c0 E[h (z^4 - 2 z^2 + 1)] + E[h^2 (z^4 - 2 z^2 + 1)] + 2 (f sd)^2,
 * each E[h^n z^m] a `gaussianBumpMoment`.
 */
export function gaussianGradientVariance(d: number, sigma: number, base: number, scale: number, rewardSd: number, factor: number): number {
  const c0 = factor * base;
  const h = factor * scale;
  const noise = factor * rewardSd;
  const bump = (m: number) => h * gaussianBumpMoment(0.5, d, sigma, m);
  const bumpSquared = (m: number) => h * h * gaussianBumpMoment(1, d, sigma, m);
  const meanGradient = bump(1) / sigma;
  const meanSecond = (c0 * c0 + 2 * c0 * bump(2) + bumpSquared(2) + noise * noise) / (sigma * sigma);
  const spreadGradient = bump(2) - bump(0);
  const spreadSecond =
    2 * c0 * c0 + 2 * c0 * (bump(4) - 2 * bump(2) + bump(0)) + (bumpSquared(4) - 2 * bumpSquared(2) + bumpSquared(0)) + 2 * noise * noise;
  return Math.max(0, meanSecond - meanGradient * meanGradient) + Math.max(0, spreadSecond - spreadGradient * spreadGradient);
}

/** What a reward is drawn from besides the arm: the step's constants, or the gradient lab's bandit. */
export interface RewardSource {
  env: Params['env'];
  offset: number;
  scale: number;
  rewardSd: number;
}

/**
 * The reward of arm `action` from a draw's words 1 and 2 (word 0 picked the arm): bernoulli,
 * offset + scale when u(word 1) < the arm's probability, else offset; otherwise the arm's
 * expected reward plus rewardSd times a Box-Muller normal.
 */
export function drawReward(
  source: RewardSource,
  armMean: ArrayLike<number>,
  probability: ArrayLike<number>,
  action: number,
  words: Uint32Array,
): number {
  if (source.env === 'bernoulli') {
    return uniformFromU32(words[1]) < probability[action] ? f32(source.offset + source.scale) : source.offset;
  }
  if (source.rewardSd === 0) return armMean[action];
  return f32(armMean[action] + f32(source.rewardSd * normalFromU32Pair(words[1], words[2])));
}

/** The f32 constants a group's step uses, derived once from its parameters. */
export interface StepConstants {
  lrOverTemperature: number;
  /** lr / T / batch: each sample's share of the update. */
  lrOverTemperatureBatch: number;
  batch: number;
  advantageNorm: Params['advantageNorm'];
  /** The entropy bonus's coefficient beta, and lr / T * beta. */
  entropy: number;
  lrEntropy: number;
  /** PPO: passes over each batch, and the ratio's clip bounds (1 -+ clip; without clipping 0 and the largest f32). */
  epochs: number;
  clipLow: number;
  clipHigh: number;
  /** Which step takeStep takes (`stepKind`; 'plain' is its one-sample path). */
  kind: StepKind;
  policy: Params['policy'];
  /** epsilon-greedy: epsilon / k for every arm, 1 - epsilon for the greedy arms to share, and the value step (0: sample averages). */
  epsilonShare: number;
  greedyMass: number;
  valueStep: number;
  /** An agent's preferences before step 1 (epsilon-greedy: action values; gaussian: mu, log sigma). */
  initialPrefs: Float32Array;
  /** lr (f32): the gaussian policy's step, which has no temperature. */
  lr: number;
  /** Words of state per agent beyond the preferences, reward mean and ema, and where they sit (`extraLayout`). */
  extraWords: number;
  squareWord: number;
  contextPrefsWord: number;
  /** Policy-gradient groups (softmax, gaussian) keep a critic V(context) in extra words 0 .. contexts - 1. */
  hasCritic: boolean;
  criticLr: number;
  contexts: number;
  /** Context c's level is contextLow + contextStep * c (f32; 0 and 0 with one context). */
  contextLow: number;
  contextStep: number;
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

type StepParams = Pick<Params, 'policy' | 'batch' | 'advantageNorm' | 'entropy' | 'epochs' | 'contexts'>;

/** One sample, one update, nothing added: the step as the lesson writes it (and the fastest). */
export function isPlainStep(params: StepParams): boolean {
  return params.policy === 'softmax' && params.contexts === 1 && params.batch === 1 && params.advantageNorm === 'none' &&
    params.entropy === 0 && params.epochs === 1;
}

/**
 * The steps the engines compile: 'plain' (isPlainStep), 'general' (a softmax step with a batch,
 * normalised advantages, an entropy bonus or PPO passes), 'value' (epsilon-greedy), 'context'
 * (the plain step on a contextual bandit: contexts > 1), 'gaussian' (continuous actions).
 */
export type StepKind = 'plain' | 'general' | 'value' | 'context' | 'gaussian';

export function stepKind(params: StepParams): StepKind {
  if (params.policy === 'epsilon-greedy') return 'value';
  if (params.policy === 'gaussian') return 'gaussian';
  if (params.contexts > 1) return 'context';
  return isPlainStep(params) ? 'plain' : 'general';
}

type StateParams = Pick<Params, 'policy' | 'arms' | 'advantageNorm' | 'contexts'>;

/**
 * Where a group's words of per-agent state beyond its k preferences, reward mean and ema sit.
 * Epsilon-greedy: k pull counts n(a) (its action values live in the preferences' place).
 * Softmax and gaussian: the critic's V(context) for each context (kept whichever baseline the group uses,
 * like the reward mean and the ema, so the baseline can change while it runs), then
 * advantageNorm 'running''s mean square of the advantages, then the preferences of contexts
 * 1, 2, ... (context 0's are the preferences).
 */
export function extraLayout(params: StateParams): { words: number; square: number; contextPrefs: number } {
  if (params.policy === 'epsilon-greedy') return { words: params.arms, square: -1, contextPrefs: -1 };
  const square = params.advantageNorm === 'running' ? params.contexts : -1;
  const contextPrefs = params.contexts + (square >= 0 ? 1 : 0);
  return { words: contextPrefs + (params.contexts - 1) * params.arms, square, contextPrefs };
}

/** Words of per-agent state beyond the k preferences, reward mean and ema (`extraLayout`). */
export function extraWords(params: StateParams): number {
  return extraLayout(params).words;
}

/**
 * An agent's k preferences before step 1, the same for every agent: softmax 0; epsilon-greedy
 * its initial value estimate; gaussian mu = 0 and log sigma = log(initialStd) in the first two.
 */
export function initialPrefs(params: Pick<Params, 'policy' | 'initialValue' | 'initialStd' | 'arms'>): Float32Array {
  const prefs = new Float32Array(params.arms);
  if (params.policy === 'epsilon-greedy') prefs.fill(f32(params.initialValue));
  if (params.policy === 'gaussian') prefs[1] = f32(Math.log(f32(params.initialStd)));
  return prefs;
}

/** `agents` agents' preferences before step 1 (agent-major). */
export function fillInitialPrefs(params: Pick<Params, 'policy' | 'initialValue' | 'initialStd' | 'arms'>, prefs: Float32Array, agents: number): void {
  const one = initialPrefs(params);
  for (let i = 0; i < agents; i++) prefs.set(one, i * params.arms);
}

/** Fills `extra` (`agents` x `extraWords`) with the extra words' starting values: V = Initial baseline, the rest 0. */
export function fillInitialExtra(params: StateParams & Pick<Params, 'baselineInit'>, extra: Float32Array, agents: number): void {
  const words = extraWords(params);
  extra.fill(0, 0, agents * words);
  if (params.policy === 'epsilon-greedy' || params.baselineInit === 0) return;
  const init = f32(params.baselineInit);
  for (let i = 0; i < agents; i++) extra.fill(init, i * words, i * words + params.contexts);
}

export function stepConstants(params: Params): StepConstants {
  const invTemperature = f32(1 / params.temperature);
  const lrOverTemperature = f32(f32(params.lr) * invTemperature);
  const layout = extraLayout(params);
  return {
    lrOverTemperature,
    lrOverTemperatureBatch: f32(lrOverTemperature / params.batch),
    batch: params.batch,
    advantageNorm: params.advantageNorm,
    entropy: f32(params.entropy),
    lrEntropy: f32(lrOverTemperature * f32(params.entropy)),
    epochs: params.epochs,
    // Without clipping, bounds no ratio reaches (finite: WGSL may assume no infinities).
    clipLow: params.clip > 0 ? f32(1 - f32(params.clip)) : 0,
    clipHigh: params.clip > 0 ? f32(1 + f32(params.clip)) : 3.4028234663852886e38,
    kind: stepKind(params),
    policy: params.policy,
    epsilonShare: f32(f32(params.epsilon) / params.arms),
    greedyMass: f32(1 - f32(params.epsilon)),
    valueStep: f32(params.valueStep),
    initialPrefs: initialPrefs(params),
    lr: f32(params.lr),
    extraWords: layout.words,
    squareWord: layout.square,
    contextPrefsWord: layout.contextPrefs,
    hasCritic: params.policy !== 'epsilon-greedy',
    criticLr: f32(params.criticLr),
    contexts: params.contexts,
    contextLow: params.contexts > 1 ? f32(-f32(params.contextSpread)) : 0,
    contextStep: params.contexts > 1 ? f32(f32(2 * f32(params.contextSpread)) / (params.contexts - 1)) : 0,
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
  /** Each arm's value before offset and scale in the context seen (bernoulli: its probability). */
  readonly armValue: Float32Array;
  /** The loaded agent's arm values in context 0 without its level (what contexts turn). */
  readonly #baseValue: Float32Array;
  readonly words = new Uint32Array(4);
  /** The step's change to each preference, summed over the batch. */
  readonly #delta: Float32Array;
  /** The policy during a PPO step's later passes (the batch is still drawn from `probs`). */
  readonly #weightsNow: Float32Array;
  readonly #probsNow: Float32Array;
  /** The step's gradient estimate per arm (per unit lr), for the statistics. */
  readonly gradient: Float64Array;
  readonly #blocks: { prob: number; grad: number; grad2: number };
  weightSum = 1;
  optimalArm = 0;
  bestMean = 0;
  // Outputs of the last `takeStep`: its first sample, and its batch's sums.
  action = 0;
  reward = 0;
  baseline = 0;
  advantage = 0;
  rewardSum = 0;
  optimalCount = 0;
  baselineSum = 0;
  advantageSum = 0;
  /** Sum over the batch of each sample's exact variance (the mean's is this / batch^2). */
  exactVarianceSum = 0;
  /** PPO: samples a later pass left out (their ratio had left the clip bound), over all passes. */
  clippedCount = 0;
  /**
   * The advantage as factor * (R - referenceBaseline) with both fixed before the reward is drawn:
   * what the exact variance needs. Only the inclusive average differs from (1, baseline).
   */
  advantageFactor = 1;
  referenceBaseline = 0;
  healthy = true;
  /** The context of the last step (0 without contexts). */
  context = 0;
  /** The gaussian policy's last action x, and its draw z = (x - mu) / sigma with sigma. */
  continuousAction = 0;
  #normal = 0;
  #sigma = 1;
  #meanBefore = 0;
  /** The gaussian policy's mu - x* mapped to [0, 1] over [-kActionRange, kActionRange] (its histogram value). */
  #position = 0.5;
  /** Where the preferences of the last contextual step's context sit (null: the caller's preferences). */
  #stepPrefs: Float32Array | null = null;
  #stepOffset = 0;

  constructor(arms: number, seed: number) {
    this.arms = arms;
    this.seed = seed >>> 0;
    this.weights = new Float32Array(arms);
    this.probs = new Float32Array(arms);
    this.armMean = new Float32Array(arms);
    this.armVariance = new Float64Array(arms);
    this.armValue = new Float32Array(arms);
    this.#baseValue = new Float32Array(arms);
    this.#delta = new Float32Array(arms);
    this.#weightsNow = new Float32Array(arms);
    this.#probsNow = new Float32Array(arms);
    this.gradient = new Float64Array(arms);
    this.#blocks = recordBlocks(arms);
  }

  /**
   * Agent `agent` (its global index) of a group as the engines hold it: its arms (its own
   * gaussian draws, or the group's means) and its policy from `prefs` (agent-major), in
   * `armMean`, `optimalArm`, `bestMean` and `probs`. `normals`: k scratch values for gaussian
   * groups, else null.
   */
  loadAgent(c: StepConstants, seed: number, agent: number, prefs: Float32Array, normals: Float32Array | null): void {
    const k = this.arms;
    if (c.env === 'gaussian') {
      const draws = normals as Float32Array;
      for (let j = 0; j < k; j++) draws[j] = armNormal(seed, agent, j, this.words);
    }
    this.loadArms(c, c.env === 'gaussian' ? normals : null, 0);
    this.policy(prefs, agent * k, c);
  }

  /** Arm values of `agent` (in context 0); `normals` holds its k standard normals (gaussian only). */
  loadArms(c: StepConstants, normals: Float32Array | null, normalsOffset: number): void {
    const k = this.arms;
    for (let j = 0; j < k; j++) {
      this.#baseValue[j] = c.env === 'gaussian' ? f32(c.spread * (normals as Float32Array)[normalsOffset + j]) : c.means[j];
    }
    this.#stepPrefs = null;
    this.context = 0;
    this.#contextArms(c, 0);
    if (c.kind === 'gaussian') {
      // One best "arm": the optimum x* = armValue[0], paying offset + scale.
      this.optimalArm = 0;
      this.bestMean = f32(c.offset + c.scale);
      this.probs.fill(0);
    }
  }

  /** The loaded agent's arms in context `context` (contextual groups; 0 for any other), in `armMean` .. `bestMean`. */
  loadContext(c: StepConstants, context: number): void {
    this.#contextArms(c, context);
  }

  /**
   * What the histogram bins after a step, for the policy of the last `policy` call: pi(best arm),
   * or for a gaussian policy its mean's offset from the optimum (`#position`).
   */
  histogramValue(c: StepConstants): number {
    return c.kind === 'gaussian' ? this.#position : this.probs[this.optimalArm];
  }

  /**
   * The arms in context `context`: arm j takes the value of arm (j + context) mod k in context 0
   * plus the context's level (both 0 without contexts), then offset and scale.
   */
  #contextArms(c: StepConstants, context: number): void {
    const k = this.arms;
    const level = f32(c.contextLow + f32(c.contextStep * context));
    let best = 0;
    for (let j = 0; j < k; j++) {
      const value = f32(this.#baseValue[(j + context) % k] + level);
      this.armValue[j] = value;
      this.armMean[j] = f32(c.offset + f32(c.scale * value));
      this.armVariance[j] =
        c.env === 'bernoulli' ? c.scale * c.scale * value * (1 - value) : c.rewardSd * c.rewardSd;
      if (this.armMean[j] > this.armMean[best]) best = j;
    }
    this.optimalArm = best;
    this.bestMean = this.armMean[best];
  }

  /**
   * The policy at the agent's current preferences (or action values), into `weights`, `probs`,
   * `weightSum`. After a contextual step: the policy of the context that step saw.
   */
  policy(prefs: Float32Array, offset: number, c: StepConstants): void {
    if (c.kind === 'gaussian') {
      // No arms to weigh: N(mu, sigma^2) is its two numbers; only its histogram position is kept.
      this.#position = (prefs[offset] - this.armValue[0] + kActionRange) / (2 * kActionRange);
      return;
    }
    if (c.kind === 'value') {
      this.weightSum = epsilonGreedyInto(prefs, offset, this.arms, c.epsilonShare, c.greedyMass, this.weights, this.probs);
      return;
    }
    const own = this.#stepPrefs === null;
    this.weightSum = softmaxInto(own ? prefs : this.#stepPrefs as Float32Array, own ? offset : this.#stepOffset, this.arms, c.invTemperature, this.weights, this.probs);
  }

  /**
   * Sample `index` of step `step`'s batch: draws the action (counter (step, purpose step, index,
   * 0)) and the reward, forms R - b and advances the running baselines (`rewardCount` rewards
   * including this one). Leaves them in action, reward, baseline, advantage, advantageFactor,
   * referenceBaseline.
   */
  #drawSample(
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    criticAt: number,
    stateIndex: number,
    agent: number,
    step: number,
    index: number,
    rewardCount: number,
    c: StepConstants,
  ): void {
    philox4x32(step, kStepPurpose, index, 0, this.seed, agent, this.words);
    this.#sampleFrom(rewardMean, ema, extra, criticAt, stateIndex, rewardCount, c);
  }

  /** `#drawSample` from the step's words already in `words`; the critic V sits at extra[criticAt]. */
  #sampleFrom(
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    criticAt: number,
    stateIndex: number,
    rewardCount: number,
    c: StepConstants,
  ): void {
    const words = this.words;
    const action = sampleArm(this.weights, this.arms, this.weightSum, uniformFromU32(words[0]));
    this.action = action;
    this.#applyBaseline(drawReward(c, this.armMean, this.armValue, action, words), rewardMean, ema, extra, criticAt, stateIndex, rewardCount, c);
  }

  /**
   * The baseline for `reward` (the `rewardCount`-th), R - b, and the running baselines advanced:
   * into reward, baseline, advantage, advantageFactor, referenceBaseline.
   */
  #applyBaseline(
    reward: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    criticAt: number,
    stateIndex: number,
    rewardCount: number,
    c: StepConstants,
  ): void {
    const previousMean = rewardMean[stateIndex];
    // Before any reward is seen a running baseline has no history: with baselineFromFirstReward
    // it takes the first reward itself (advantage 0, no unbaselined first update), else its init.
    const firstFromReward = rewardCount === 1 && c.baselineFromFirstReward;
    let baseline = 0;
    this.advantageFactor = 1;
    switch (c.baseline) {
      case 'average':
        baseline = rewardCount === 1 ? (firstFromReward ? reward : c.baselineInit) : previousMean;
        if (firstFromReward) this.advantageFactor = 0;
        break;
      case 'average-inclusive':
        // Mean including this reward: R - b = ((n - 1) / n) (R - mean of the earlier rewards).
        baseline = f32(previousMean + f32(f32(reward - previousMean) / rewardCount));
        this.advantageFactor = (rewardCount - 1) / rewardCount;
        break;
      case 'ema':
        baseline = firstFromReward ? reward : ema[stateIndex];
        if (firstFromReward) this.advantageFactor = 0;
        break;
      case 'critic':
        baseline = c.hasCritic ? extra[criticAt] : 0;
        break;
    }
    this.referenceBaseline = c.baseline === 'average-inclusive' ? previousMean : baseline;
    this.reward = reward;
    this.baseline = baseline;
    this.advantage = f32(reward - baseline);
    rewardMean[stateIndex] = f32(previousMean + f32(f32(reward - previousMean) / rewardCount));
    ema[stateIndex] = firstFromReward ? reward : f32(ema[stateIndex] + f32(c.baselineRate * f32(reward - ema[stateIndex])));
    if (c.hasCritic) extra[criticAt] = f32(extra[criticAt] + f32(c.criticLr * f32(reward - extra[criticAt])));
  }

  /**
   * Step `step` (1-based) of agent `agent`: draw `batch` samples from the current policy, each
   * with its reward and advantage R - b, and apply REINFORCE with their mean to every arm:
   *   theta_j += lr / batch * sum_i A_i * (1[j = a_i] - pi_j) / T   (+ lr * beta * dH/dtheta_j)
   * (the gradient of log softmax: d log pi_a / d theta_j = (1[j = a] - pi_j) / T). The running
   * baselines advance sample by sample, so each sample's baseline comes from rewards drawn before
   * it: unbiased. advantageNorm 'batch' replaces A_i by (A_i - mean) / (sd + 1e-8) over the
   * batch, which first replays the batch's draws (counter-based: the same numbers) for mean and
   * sd; 'running' by A_i / (sqrt(m) + 1e-8), m the mean of A^2 over all the agent's samples up to
   * this one (m += (A^2 - m) / n, kept in `extra`). The entropy bonus adds the gradient of beta * H(pi) = -beta sum pi log pi:
   *   dH/dtheta_j = -(pi_j / T) (log pi_j + H).
   * `stateIndex` addresses rewardMean/ema (and `extra`, `c.extraWords` words an agent); `agent`
   * keys the random numbers. With `measured`, the batch's sums and the gradient estimate are kept
   * for `accumulateActionStats`. Epsilon-greedy, contextual and gaussian agents take their own
   * steps (`#takeValueStep`, `#takeContextStep`, `#takeGaussianStep`).
   */
  takeStep(
    prefs: Float32Array,
    offset: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    stateIndex: number,
    agent: number,
    step: number,
    c: StepConstants,
    measured = true,
  ): void {
    const k = this.arms;
    if (c.kind === 'value') {
      this.#takeValueStep(prefs, offset, rewardMean, ema, extra, stateIndex, agent, step, c);
      return;
    }
    if (c.kind === 'context') {
      this.#takeContextStep(prefs, offset, rewardMean, ema, extra, stateIndex, agent, step, c);
      return;
    }
    if (c.kind === 'gaussian') {
      this.#takeGaussianStep(prefs, offset, rewardMean, ema, extra, stateIndex, agent, step, c);
      return;
    }
    const criticAt = stateIndex * c.extraWords;
    if (c.kind === 'plain') {
      // One sample, one update (accumulateActionStats reads the sample itself): a path of its own,
      // small enough for V8 to compile the engine's loop around it as one piece.
      this.#drawSample(rewardMean, ema, extra, criticAt, stateIndex, agent, step, 0, step, c);
      const action = this.action;
      const coefficient = f32(c.lrOverTemperature * this.advantage);
      let healthy = true;
      for (let j = 0; j < k; j++) {
        const updated = f32(prefs[offset + j] + f32(coefficient * f32(scoreDirection(j, action, this.probs))));
        prefs[offset + j] = updated;
        if (!(Math.abs(updated) <= 3.4028234663852886e38)) healthy = false;
      }
      this.healthy = healthy;
      return;
    }
    const batch = c.batch;
    const rewardsBefore = (step - 1) * batch;
    let shift = 0;
    let normScale = 1;
    if (c.advantageNorm === 'batch') {
      const savedMean = rewardMean[stateIndex];
      const savedEma = ema[stateIndex];
      const savedCritic = extra[criticAt];
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < batch; i++) {
        this.#drawSample(rewardMean, ema, extra, criticAt, stateIndex, agent, step, i, rewardsBefore + i + 1, c);
        sum = f32(sum + this.advantage);
        sumSquares = f32(sumSquares + f32(this.advantage * this.advantage));
      }
      rewardMean[stateIndex] = savedMean;
      ema[stateIndex] = savedEma;
      extra[criticAt] = savedCritic;
      shift = f32(sum / batch);
      const variance = Math.max(0, f32(f32(sumSquares / batch) - f32(shift * shift)));
      normScale = f32(1 / f32(f32(Math.sqrt(variance)) + kAdvantageEpsilon));
    }

    const delta = this.#delta;
    const gradient = this.gradient;
    if (measured) gradient.fill(0);
    let rewardSum = 0;
    let optimalCount = 0;
    let baselineSum = 0;
    let advantageSum = 0;
    let exactVarianceSum = 0;
    let clippedCount = 0;
    let firstAction = 0;
    let firstSampleReward = 0;
    let firstBaseline = 0;
    let firstAdvantage = 0;
    let healthy = true;
    const startMean = rewardMean[stateIndex];
    const startEma = ema[stateIndex];
    const running = c.advantageNorm === 'running';
    const squareAt = stateIndex * c.extraWords + c.squareWord;
    const startSquare = running ? extra[squareAt] : 0;
    const startCritic = extra[criticAt];
    // PPO: pass e > 0 replays the same batch (drawn from the step's first policy, `probs`) and
    // climbs the clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps) A), r = pi_now(a) / pi(a):
    // a sample whose ratio has left the bound in its advantage's direction adds nothing, the
    // others add r A grad log pi_now(a). Pass 0 (r = 1) is the plain batch step.
    for (let pass = 0; pass < c.epochs; pass++) {
      let probsNow = this.probs;
      let weightSumNow = this.weightSum;
      if (pass > 0) {
        rewardMean[stateIndex] = startMean;
        ema[stateIndex] = startEma;
        if (running) extra[squareAt] = startSquare;
        extra[criticAt] = startCritic;
        weightSumNow = softmaxInto(prefs, offset, k, c.invTemperature, this.#weightsNow, this.#probsNow);
        probsNow = this.#probsNow;
      }
      const counted = measured && pass === 0;
      delta.fill(0);
      for (let i = 0; i < batch; i++) {
        this.#drawSample(rewardMean, ema, extra, criticAt, stateIndex, agent, step, i, rewardsBefore + i + 1, c);
        const action = this.action;
        let advantage = c.advantageNorm === 'batch' ? f32(f32(this.advantage - shift) * normScale) : this.advantage;
        if (running) {
          const raw = this.advantage;
          const square = f32(extra[squareAt] + f32(f32(f32(raw * raw) - extra[squareAt]) / (rewardsBefore + i + 1)));
          extra[squareAt] = square;
          normScale = f32(1 / f32(f32(Math.sqrt(square)) + kAdvantageEpsilon));
          advantage = f32(raw * normScale);
        }
        if (pass > 0) {
          const ratio = f32(probsNow[action] / this.probs[action]);
          if ((advantage > 0 && ratio > c.clipHigh) || (advantage < 0 && ratio < c.clipLow)) {
            clippedCount++;
            continue;
          }
          advantage = f32(advantage * ratio);
        }
        const coefficient = f32(c.lrOverTemperatureBatch * advantage);
        for (let j = 0; j < k; j++) delta[j] = f32(delta[j] + f32(coefficient * f32(scoreDirection(j, action, probsNow))));
        if (counted) {
          rewardSum += this.reward;
          if (action === this.optimalArm) optimalCount++;
          baselineSum += this.baseline;
          advantageSum += this.advantage;
          exactVarianceSum += this.#exactVariance(c, shift, normScale);
          const scaledAdvantage = advantage * c.invTemperature;
          for (let j = 0; j < k; j++) gradient[j] += scaledAdvantage * scoreDirection(j, action, this.probs);
        }
        if (pass === 0 && i === 0) {
          firstAction = action;
          firstSampleReward = this.reward;
          firstBaseline = this.baseline;
          firstAdvantage = this.advantage;
        }
      }
      if (c.entropy > 0) this.#addEntropyBonus(prefs, offset, c, counted, probsNow, weightSumNow);
      for (let j = 0; j < k; j++) {
        const updated = f32(prefs[offset + j] + delta[j]);
        prefs[offset + j] = updated;
        if (!(Math.abs(updated) <= 3.4028234663852886e38)) healthy = false;
      }
      if (!healthy) break;
    }
    this.action = firstAction;
    this.reward = firstSampleReward;
    this.baseline = firstBaseline;
    this.advantage = firstAdvantage;
    this.rewardSum = rewardSum;
    this.optimalCount = optimalCount;
    this.baselineSum = baselineSum;
    this.advantageSum = advantageSum;
    this.exactVarianceSum = exactVarianceSum;
    this.clippedCount = clippedCount;
    this.healthy = healthy;
  }

  /**
   * The contextual bandit's step: the context from the step's fourth random word (uniform over
   * `contexts`), then the plain REINFORCE step with that context's arms and preferences, and the
   * baseline `critic` is that context's V (every V learns from its context's rewards). Leaves
   * `probs` as the policy the action was drawn from and `policy` pointed at the context's
   * preferences, so the policy statistics that follow are those of the context seen.
   */
  #takeContextStep(
    prefs: Float32Array,
    offset: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    stateIndex: number,
    agent: number,
    step: number,
    c: StepConstants,
  ): void {
    const k = this.arms;
    philox4x32(step, kStepPurpose, 0, 0, this.seed, agent, this.words);
    const context = Math.min(c.contexts - 1, Math.floor(f32(uniformFromU32(this.words[3]) * c.contexts)));
    const base = stateIndex * c.extraWords;
    const policyPrefs = context === 0 ? prefs : extra;
    const policyOffset = context === 0 ? offset : base + c.contextPrefsWord + (context - 1) * k;
    this.context = context;
    this.#stepPrefs = policyPrefs;
    this.#stepOffset = policyOffset;
    this.#contextArms(c, context);
    this.weightSum = softmaxInto(policyPrefs, policyOffset, k, c.invTemperature, this.weights, this.probs);
    this.#sampleFrom(rewardMean, ema, extra, base + context, stateIndex, step, c);
    const action = this.action;
    const coefficient = f32(c.lrOverTemperature * this.advantage);
    let healthy = true;
    for (let j = 0; j < k; j++) {
      const updated = f32(policyPrefs[policyOffset + j] + f32(coefficient * f32(scoreDirection(j, action, this.probs))));
      policyPrefs[policyOffset + j] = updated;
      if (!(Math.abs(updated) <= 3.4028234663852886e38)) healthy = false;
    }
    this.healthy = healthy;
  }

  /**
   * The gaussian policy's step: x = mu + sigma z with z the step's normal (words 0 and 3, so the
   * reward noise, words 1 and 2, is the discrete groups'), reward R = offset + scale exp(-(x - x*)^2 / 2)
   * plus noise, the baseline as for any policy, and REINFORCE on both parameters:
   *   d log pi / d mu = (x - mu) / sigma^2 = z / sigma,   d log pi / d log sigma = z^2 - 1,
   *   mu += lr (R - b) z / sigma,   log sigma += lr (R - b) (z^2 - 1).
   * prefs[offset] holds mu, prefs[offset + 1] log sigma.
   */
  #takeGaussianStep(
    prefs: Float32Array,
    offset: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    extra: Float32Array,
    stateIndex: number,
    agent: number,
    step: number,
    c: StepConstants,
  ): void {
    const words = this.words;
    philox4x32(step, kStepPurpose, 0, 0, this.seed, agent, words);
    const mean = prefs[offset];
    const logSigma = prefs[offset + 1];
    const sigma = f32(Math.exp(logSigma));
    const z = normalFromU32Pair(words[0], words[3]);
    const action = f32(mean + f32(sigma * z));
    const gap = f32(action - this.armValue[0]);
    let reward = f32(c.offset + f32(c.scale * f32(Math.exp(f32(-0.5 * f32(gap * gap))))));
    if (c.rewardSd !== 0) reward = f32(reward + f32(c.rewardSd * normalFromU32Pair(words[1], words[2])));
    this.#applyBaseline(reward, rewardMean, ema, extra, stateIndex * c.extraWords, stateIndex, step, c);
    this.action = 0;
    this.continuousAction = action;
    this.#normal = z;
    this.#sigma = sigma;
    this.#meanBefore = mean;
    const coefficient = f32(c.lr * this.advantage);
    const newMean = f32(mean + f32(coefficient * f32(z / sigma)));
    const newLogSigma = f32(logSigma + f32(coefficient * f32(f32(z * z) - 1)));
    prefs[offset] = newMean;
    prefs[offset + 1] = newLogSigma;
    // Beyond |log sigma| = 80, sigma over- or underflows f32 on the next step: diverged.
    this.healthy = Math.abs(newMean) <= 3.4028234663852886e38 && Math.abs(newLogSigma) <= kMaxLogSigma;
  }

  /**
   * Exact variance (trace) of the gaussian step's gradient estimate (A z / sigma, A (z^2 - 1)) over
   * z and the reward noise, at the policy before the step (`gaussianGradientVariance`).
   */
  #gaussianExactVariance(c: StepConstants): number {
    return gaussianGradientVariance(
      this.#meanBefore - this.armValue[0], this.#sigma, c.offset - this.referenceBaseline, c.scale, c.rewardSd, this.advantageFactor,
    );
  }

  /**
   * Epsilon-greedy's step: one arm drawn from the epsilon-greedy policy (`policy`, from the step's
   * uniform as a softmax draws it, so a greedy and a softmax group share their random numbers),
   * its reward, and the value update of that arm alone:
   *   n(a) += 1,  Q(a) += (R - Q(a)) / n(a)   (sample average; with valueStep alpha: alpha (R - Q(a))).
   * `prefs` hold the values Q, `extra` the counts n. baseline / advantage report Q(a) before the
   * update and the prediction error R - Q(a); there is no policy gradient.
   */
  #takeValueStep(
    values: Float32Array,
    offset: number,
    rewardMean: Float32Array,
    ema: Float32Array,
    counts: Float32Array,
    stateIndex: number,
    agent: number,
    step: number,
    c: StepConstants,
  ): void {
    // No critic: the extra words are the counts.
    this.#drawSample(rewardMean, ema, counts, 0, stateIndex, agent, step, 0, step, c);
    const action = this.action;
    const countAt = stateIndex * c.extraWords + action;
    const value = values[offset + action];
    const count = f32(counts[countAt] + 1);
    const error = f32(this.reward - value);
    const change = c.valueStep > 0 ? f32(c.valueStep * error) : f32(error / count);
    const updated = f32(value + change);
    values[offset + action] = updated;
    counts[countAt] = count;
    this.baseline = value;
    this.advantage = error;
    this.healthy = Math.abs(updated) <= 3.4028234663852886e38;
  }

  /**
   * Exact variance of the last sample's gradient estimate, given its reference baseline and
   * factor. Normalised, A' = s (A - m) = s f (R - (ref + m / f)): the same estimator with the
   * baseline moved by m / f and scaled by s f, taking m and s as fixed (the batch's, or 'running''s
   * m = 0 and its scale; both depend on the sample itself, so this is close, not exact). A sample whose
   * factor is 0 (the very first reward) then contributes -s m (1[j = a] - pi_j) / T, left out.
   */
  #exactVariance(c: StepConstants, shift: number, normScale: number): number {
    const k = this.arms;
    if (c.advantageNorm === 'none') {
      return exactGradientVariance(this.probs, this.armMean, this.armVariance, k, this.referenceBaseline, this.advantageFactor, c.invTemperature);
    }
    const factor = this.advantageFactor;
    if (factor === 0) return 0;
    return exactGradientVariance(
      this.probs, this.armMean, this.armVariance, k, this.referenceBaseline + shift / factor, factor * normScale, c.invTemperature,
    );
  }

  /** Adds lr * beta * dH/dtheta_j to the step's change (and beta * dH/dtheta_j to its gradient). */
  #addEntropyBonus(prefs: Float32Array, offset: number, c: StepConstants, measured: boolean, probs: Float32Array, weightSum: number): void {
    const k = this.arms;
    let max = prefs[offset];
    for (let j = 1; j < k; j++) max = Math.max(max, prefs[offset + j]);
    const logSum = f32(Math.log(weightSum));
    const entropy = f32(entropyOf(prefs, offset, k, c.invTemperature, probs, weightSum));
    for (let j = 0; j < k; j++) {
      const logProb = f32(f32(f32(prefs[offset + j] - max) * c.invTemperature) - logSum);
      // -pi_j (log pi_j + H); the 1 / T is in lrEntropy (and in the gradient below).
      const direction = f32(-f32(probs[j] * f32(logProb + entropy)));
      this.#delta[j] = f32(this.#delta[j] + f32(c.lrEntropy * direction));
      // Times the batch: accumulateActionStats divides the summed gradient by it.
      if (measured) this.gradient[j] += c.entropy * c.invTemperature * direction * c.batch;
    }
  }

  /**
   * Adds the statistics of the step just taken (its batch, under the policy it was drawn from) to
   * the record at `record[base ..]`: per-sample quantities as the batch's means, the gradient
   * estimate and its exact variance as those of the update.
   */
  accumulateActionStats(record: Float64Array, base: number, c: StepConstants): void {
    if (c.kind === 'value') {
      this.#accumulateValueStats(record, base);
      return;
    }
    if (c.kind === 'gaussian') {
      this.#accumulateGaussianStats(record, base, c);
      return;
    }
    if (c.kind === 'plain' || c.kind === 'context') {
      this.#accumulateSampleStats(record, base, c);
      return;
    }
    const k = this.arms;
    const batch = c.batch;
    record[base + kAcc.count] += 1;
    record[base + kAcc.reward] += this.rewardSum / batch;
    record[base + kAcc.optimal] += this.optimalCount / batch;
    record[base + kAcc.baseline] += this.baselineSum / batch;
    record[base + kAcc.advantage] += this.advantageSum / batch;
    record[base + kAcc.exactVar] += this.exactVarianceSum / (batch * batch);
    if (c.epochs > 1) record[base + kAcc.clipped] += this.clippedCount / (batch * (c.epochs - 1));
    const grad = base + this.#blocks.grad;
    const grad2 = base + this.#blocks.grad2;
    let squaredNorm = 0;
    for (let j = 0; j < k; j++) {
      const gradient = this.gradient[j] / batch;
      record[grad + j] += gradient;
      record[grad2 + j] += gradient * gradient;
      squaredNorm += gradient * gradient;
    }
    record[base + kAcc.sqNorm] += squaredNorm;
    record[base + kAcc.sqNorm2] += squaredNorm * squaredNorm;
  }

  /**
   * The last step's gradient estimate for arm `j`, per unit lr (what its update applied, over
   * lr): for a measured general step the batch's mean, entropy term included.
   */
  stepGradient(j: number, c: StepConstants): number {
    if (c.kind === 'value') return 0;
    if (c.kind === 'gaussian') return j === 0 ? (this.advantage * this.#normal) / this.#sigma : j === 1 ? this.advantage * (this.#normal * this.#normal - 1) : 0;
    return c.kind === 'plain' || c.kind === 'context' ? this.advantage * c.invTemperature * scoreDirection(j, this.action, this.probs) : this.gradient[j] / c.batch;
  }

  /** accumulateActionStats for a gaussian step: its sample, the gradient (A z / sigma, A (z^2 - 1)) in arms 0 and 1. */
  #accumulateGaussianStats(record: Float64Array, base: number, c: StepConstants): void {
    record[base + kAcc.count] += 1;
    record[base + kAcc.reward] += this.reward;
    record[base + kAcc.baseline] += this.baseline;
    record[base + kAcc.advantage] += this.advantage;
    record[base + kAcc.exactVar] += this.#gaussianExactVariance(c);
    const z = this.#normal;
    const meanGradient = (this.advantage * z) / this.#sigma;
    const spreadGradient = this.advantage * (z * z - 1);
    const grad = base + this.#blocks.grad;
    const grad2 = base + this.#blocks.grad2;
    record[grad] += meanGradient;
    record[grad + 1] += spreadGradient;
    record[grad2] += meanGradient * meanGradient;
    record[grad2 + 1] += spreadGradient * spreadGradient;
    const squaredNorm = meanGradient * meanGradient + spreadGradient * spreadGradient;
    record[base + kAcc.sqNorm] += squaredNorm;
    record[base + kAcc.sqNorm2] += squaredNorm * squaredNorm;
  }

  /** accumulateActionStats for a value step: its sample; no gradient (its slots stay 0). */
  #accumulateValueStats(record: Float64Array, base: number): void {
    record[base + kAcc.count] += 1;
    record[base + kAcc.reward] += this.reward;
    if (this.action === this.optimalArm) record[base + kAcc.optimal] += 1;
    record[base + kAcc.baseline] += this.baseline;
    record[base + kAcc.advantage] += this.advantage;
  }

  /** accumulateActionStats for a plain step: its one sample, under the policy it was drawn from. */
  #accumulateSampleStats(record: Float64Array, base: number, c: StepConstants): void {
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
    if (c.kind === 'gaussian') {
      // J = offset + scale E[exp(-(x - x*)^2 / 2)]; differential entropy 1/2 log(2 pi e) + log sigma.
      const gap = prefs[offset] - this.armValue[0];
      const sigma = Math.exp(prefs[offset + 1]);
      const expected = c.offset + c.scale * gaussianBumpMoment(0.5, gap, sigma, 0);
      record[base + kAcc.expected] += expected;
      record[base + kAcc.regret] += this.bestMean - expected;
      record[base + kAcc.entropy] += kGaussianEntropyBase + prefs[offset + 1];
      record[base + kAcc.actionError] += Math.abs(gap);
      record[base + kAcc.actionStd] += sigma;
      return;
    }
    const probs = this.probs;
    const prob = base + this.#blocks.prob;
    let expected = 0;
    for (let j = 0; j < k; j++) {
      record[prob + j] += probs[j];
      expected += probs[j] * this.armMean[j];
    }
    record[base + kAcc.expected] += expected;
    record[base + kAcc.regret] += this.bestMean - expected;
    const own = this.#stepPrefs === null;
    record[base + kAcc.entropy] += c.kind === 'value'
      ? entropyOfProbs(probs, k)
      : entropyOf(own ? prefs : this.#stepPrefs as Float32Array, own ? offset : this.#stepOffset, k, c.invTemperature, probs, this.weightSum);
    record[base + kAcc.probOptimal] += probs[this.optimalArm];
  }
}

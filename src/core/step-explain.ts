/**
 * One REINFORCE update of one agent, written out number by number: what the inspector shows.
 * Built from a replayed Trajectory with the engines' own f32 functions (softmaxInto, sampleArm,
 * scoreDirection) in the engines' order, so that every number shown is the one the step used and
 * "prefs before + each arm's update" gives the trajectory's "prefs after" bit for bit.
 *
 * The step, for every arm j (T the temperature, a the sampled arm):
 *   pi_j     = exp(theta_j / T) / sum_i exp(theta_i / T)     (computed as exp((theta_j - max) / T) / sum,
 *                                                              the same ratio without overflow)
 *   a        = the first arm whose cumulative probability exceeds u, u ~ U[0, 1)
 *   theta_j <- theta_j + lr (R - b) (1[j = a] - pi_j) / T
 *
 * On a contextual bandit (contexts C > 1) the agent has one softmax per context and the step is
 * this one with the preferences and the arms of the context c it saw; the other contexts' stay.
 * Every softmax agent's critic learns V(c) <- V(c) + criticLr (R - V(c)), and baseline critic
 * takes b = V(c) before that update.
 *
 * An epsilon-greedy agent's step (`explainValueStep`) is another one: its "preferences" are
 * action values Q, its extra state the pull counts n, and it updates the drawn arm's value only:
 *   pi_j     = epsilon / k + (1 - epsilon) / |G|  for j in G, the arms tied for the highest Q
 *              (epsilon / k otherwise), sampled from u as a softmax is
 *   n(a)    <- n(a) + 1,  Q(a) <- Q(a) + (R - Q(a)) / n(a)   (or + alpha (R - Q(a)), valueStep alpha)
 *
 * A gaussian agent's step (`explainGaussianStep`) has no arms: its preferences 0 and 1 hold mu
 * and log sigma, and with z the step's standard normal
 *   x = mu + sigma z,   R = offset + scale exp(-(x - x*)^2 / 2) + noise,
 *   mu <- mu + lr (R - b) z / sigma,   log sigma <- log sigma + lr (R - b) (z^2 - 1)
 * (z / sigma and z^2 - 1 are d log pi(x) / d mu and / d log sigma).
 */
import { AgentStepper, armNormal, extraLayout, gaussianBumpMoment, stepConstants } from './agent.ts';
import type { AgentState, EngineKind, Trajectory, TrajectoryPhase } from './engine.ts';
import { normalFromU32Pair, philox4x32 } from './philox.ts';
import { epsilonGreedyInto, sampleArm, scoreDirection, softmaxInto } from './policy.ts';
import { type BaselineMode, type EnvKind, type Params, armLabel } from './schema.ts';
import { kPurpose } from './shared-constants.ts';

const f32 = Math.fround;

/** One arm's share of the step. */
export interface ArmTerms {
  arm: number;
  label: string;
  /** theta_j before the update. */
  pref: number;
  /** (theta_j - max_i theta_i) / T, as the softmax computes it (f32). */
  exponent: number;
  /** exp(exponent): the softmax's numerator (f32). */
  weight: number;
  /** pi_j = weight / sum. */
  prob: number;
  /** The arm's slice of [0, 1) for the draw: [cumulativeFrom, cumulativeTo), sums of pi_i. */
  cumulativeFrom: number;
  cumulativeTo: number;
  /** 1[j = a]. */
  indicator: 0 | 1;
  /** grad log pi(a) with respect to theta_j: (1[j = a] - pi_j) / T. */
  grad: number;
  /** lr (R - b) (1[j = a] - pi_j) / T as the step computes it: f32((lr / T)(R - b)) * (1[j = a] - pi_j). */
  delta: number;
  /** theta_j + delta (f32): the preference after the update. */
  prefAfter: number;
  /** pi_j after the update (the policy before the next step). */
  probAfter: number;
}

/** Where the baseline came from, for the sentence that explains it. */
export type BaselineSource =
  | 'none' // b = 0
  | 'init' // no reward seen yet: the initial baseline
  | 'first-reward' // no reward seen yet: the first reward itself (R - b = 0)
  | 'earlier-mean' // the mean of the earlier rewards
  | 'inclusive-mean' // the mean of the rewards including this one
  | 'ema' // the exponential average of the earlier rewards
  | 'critic'; // the critic's learned V of the context seen

/** The critic's update of the step: V(c) <- V(c) + criticLr (R - V(c)), each operation in f32. */
export interface CriticUpdate {
  /** V(c) before the step (the baseline, for baseline critic). */
  before: number;
  /** R - V(c). */
  error: number;
  /** criticLr (R - V(c)). */
  change: number;
  /** V(c) + change: V(c) after the step. */
  after: number;
}

export interface StepExplanation {
  kind: 'softmax';
  group: number;
  agent: number;
  step: number;
  /** The steps the trajectory holds (what a scrubber can reach). */
  firstStep: number;
  lastStep: number;
  arms: ArmTerms[];
  lr: number;
  temperature: number;
  /** max_i theta_i: subtracted inside exp. */
  maxPref: number;
  /** sum_i exp((theta_i - max) / T). */
  weightSum: number;
  /** The uniform draw and the sampled arm. */
  uniform: number;
  action: number;
  actionLabel: string;
  reward: number;
  env: EnvKind;
  /** The context the agent saw (0 of 1 without contexts) and its level (before offset and scale, f32). */
  context: number;
  contexts: number;
  contextLevel: number;
  /** Each arm's expected reward for this agent in the context seen (offset and scale applied). */
  armMeans: number[];
  /** The sampled arm's expected reward for this agent. */
  expectedReward: number;
  /** The best arm in the context seen. */
  bestArm: number;
  baselineMode: BaselineMode;
  baselineSource: BaselineSource;
  /** The ema's rate (ema baselines). */
  baselineRate: number;
  /** The critic's step size (baseline critic). */
  criticLr: number;
  /** The critic's update of V(context): null where a batch updates it once per sample. */
  critic: CriticUpdate | null;
  baseline: number;
  /** R - b. */
  advantage: number;
  /** The factor every arm's update shares: lr (R - b) / T, as the step rounds it (f32). */
  coefficient: number;
  /** The baselines' state after the step: mean of all rewards so far, and the ema. */
  rewardMeanAfter: number;
  emaAfter: number;
  /**
   * What else went into the update besides the one sample shown (a batch's other samples,
   * normalised advantages, the entropy bonus), in words; empty for a plain step. When not
   * empty, the arms' new preferences are the replay's own, and the per-arm arithmetic is the
   * shown sample's share only.
   */
  alsoInUpdate: string[];
  /**
   * The recomputation agrees with the replay bit for bit (it always should; a false is a bug).
   * prefs: the context seen's preferences after the step, and every other context's unchanged;
   * critic: V(context) before and after (true where `critic` is null).
   */
  consistent: { probs: boolean; action: boolean; prefs: boolean; critic: boolean };
}

/** The phase (parameters) in effect at `step`. */
export function phaseAt(trajectory: Trajectory, step: number): TrajectoryPhase {
  let found = trajectory.phases[0];
  for (const phase of trajectory.phases) if (phase.fromStep <= step) found = phase;
  return found;
}

/**
 * Preferences before `step` (a view into the trajectory): those of the context the step saw,
 * or of context `context`.
 */
export function prefsBefore(trajectory: Trajectory, step: number, context = trajectory.contexts[step - trajectory.firstStep] ?? 0): Float32Array {
  return contextPrefs(trajectory, step - trajectory.firstStep - 1, context);
}

/** Preferences after `step` (a view): those of the context the step saw, or of context `context`. */
export function prefsAfter(trajectory: Trajectory, step: number, context = trajectory.contexts[step - trajectory.firstStep] ?? 0): Float32Array {
  return contextPrefs(trajectory, step - trajectory.firstStep, context);
}

/** Context `context`'s preferences after kept step `t` (t = -1: before the first kept step). */
function contextPrefs(trajectory: Trajectory, t: number, context: number): Float32Array {
  const k = trajectory.arms;
  if (context === 0) return t < 0 ? trajectory.initialPrefs : trajectory.prefs.subarray(t * k, (t + 1) * k);
  const extra = extraAfter(trajectory, t);
  const from = extraLayout(trajectory.phases[0].params).contextPrefs + (context - 1) * k;
  return extra.subarray(from, from + k);
}

/** The extra words after kept step `t` (t = -1: before the first kept step; `extraLayout` says what they are). */
function extraAfter(trajectory: Trajectory, t: number): Float32Array {
  const words = trajectory.initialExtra.length;
  return t < 0 ? trajectory.initialExtra : trajectory.extras.subarray(t * words, (t + 1) * words);
}

function checkStep(trajectory: Trajectory, step: number): void {
  const { firstStep, steps } = trajectory;
  if (!Number.isInteger(step) || step < firstStep || step > steps) {
    throw new RangeError(`step ${step} is not in the trajectory (steps ${firstStep} to ${steps})`);
  }
}

/** Whether the trajectory's agent is epsilon-greedy (the policy never changes during a run). */
export function isValueTrajectory(trajectory: Trajectory): boolean {
  return trajectory.phases[0]?.params.policy === 'epsilon-greedy';
}

/** Whether the trajectory's agent is a gaussian policy (continuous actions, no arms). */
export function isGaussianTrajectory(trajectory: Trajectory): boolean {
  return trajectory.phases[0]?.params.policy === 'gaussian';
}

/** Any of the explanations, by the agent's policy. */
export type AgentStepExplanation = StepExplanation | ValueStepExplanation | GaussianStepExplanation;

/** Step `step` of a replayed agent, explained as its policy steps: softmax, epsilon-greedy or gaussian. */
export function explainAgentStep(trajectory: Trajectory, step: number, armNames: readonly string[] = []): AgentStepExplanation {
  if (isValueTrajectory(trajectory)) return explainValueStep(trajectory, step, armNames);
  return isGaussianTrajectory(trajectory) ? explainGaussianStep(trajectory, step) : explainStep(trajectory, step, armNames);
}

/** The softmax (REINFORCE) update of step `step` (firstStep <= step <= steps) of a replayed agent. */
export function explainStep(trajectory: Trajectory, step: number, armNames: readonly string[] = []): StepExplanation {
  const { firstStep, steps, arms: k } = trajectory;
  checkStep(trajectory, step);
  if (isValueTrajectory(trajectory)) throw new RangeError('an epsilon-greedy agent takes no REINFORCE step: explain it with explainValueStep');
  if (isGaussianTrajectory(trajectory)) throw new RangeError('a gaussian agent has no arms to weigh: explain it with explainGaussianStep');
  const t = step - firstStep;
  const phase = phaseAt(trajectory, step);
  const params = phase.params;
  const invTemperature = f32(1 / params.temperature);
  // The step multiplies by lr / T once, then by the advantage, then by each arm's score.
  const lrOverTemperature = f32(f32(params.lr) * invTemperature);

  const context = trajectory.contexts[t];
  const before = prefsBefore(trajectory, step, context);
  const weights = new Float32Array(k);
  const probs = new Float32Array(k);
  const weightSum = softmaxInto(before, 0, k, invTemperature, weights, probs);
  let maxPref = before[0];
  for (let j = 1; j < k; j++) if (before[j] > maxPref) maxPref = before[j];

  const uniform = trajectory.uniforms[t];
  const action = sampleArm(weights, k, weightSum, uniform);
  const advantage = trajectory.advantages[t];
  const coefficient = f32(lrOverTemperature * advantage);

  const after = new Float32Array(k);
  const arms: ArmTerms[] = [];
  let cumulative = 0;
  for (let j = 0; j < k; j++) {
    const score = f32(scoreDirection(j, action, probs));
    const delta = f32(coefficient * score);
    after[j] = f32(before[j] + delta);
    const from = cumulative;
    cumulative += probs[j];
    arms.push({
      arm: j,
      label: armLabel(armNames, j),
      pref: before[j],
      exponent: f32(f32(before[j] - maxPref) * invTemperature),
      weight: weights[j],
      prob: probs[j],
      cumulativeFrom: from,
      cumulativeTo: j === k - 1 ? 1 : cumulative,
      indicator: j === action ? 1 : 0,
      grad: score * invTemperature,
      delta,
      prefAfter: after[j],
      probAfter: 0,
    });
  }
  const afterWeights = new Float32Array(k);
  const afterProbs = new Float32Array(k);
  softmaxInto(after, 0, k, invTemperature, afterWeights, afterProbs);
  for (let j = 0; j < k; j++) arms[j].probAfter = afterProbs[j];

  const stored = prefsAfter(trajectory, step, context);
  const storedProbs = trajectory.probs.subarray(t * k, (t + 1) * k);
  const alsoInUpdate: string[] = [];
  if (params.batch > 1) alsoInUpdate.push(`the mean over a batch of ${params.batch} samples (sample 1 is shown; each sample's share is divided by ${params.batch})`);
  if (params.advantageNorm === 'batch') alsoInUpdate.push("advantages normalised over the batch (mean 0, sd 1)");
  if (params.entropy > 0) alsoInUpdate.push(`an entropy bonus, lr · ${params.entropy} · ∂H/∂θ_j`);
  if (alsoInUpdate.length > 0) {
    // The new preferences are the replay's; the table's arithmetic is this sample's part.
    after.set(stored);
    softmaxInto(after, 0, k, invTemperature, afterWeights, afterProbs);
    for (let j = 0; j < k; j++) {
      arms[j].prefAfter = after[j];
      arms[j].probAfter = afterProbs[j];
    }
  }
  const constants = stepConstants(params);
  const contextMeans = phase.contextArmMeans.subarray(context * k, (context + 1) * k);
  const reward = trajectory.rewards[t];
  // Every softmax agent's critic learns, whatever its baseline; a batch updates V once per sample.
  let critic: CriticUpdate | null = null;
  let criticConsistent = true;
  if (constants.hasCritic && params.batch === 1) {
    const criticBefore = extraAfter(trajectory, t - 1)[context];
    const error = f32(reward - criticBefore);
    const change = f32(constants.criticLr * error);
    critic = { before: criticBefore, error, change, after: f32(criticBefore + change) };
    criticConsistent = Object.is(critic.after, extraAfter(trajectory, t)[context]) &&
      (params.baseline !== 'critic' || Object.is(criticBefore, trajectory.baselines[t]));
  }
  return {
    kind: 'softmax',
    group: trajectory.group,
    agent: trajectory.agent,
    step,
    firstStep,
    lastStep: steps,
    arms,
    lr: params.lr,
    temperature: params.temperature,
    maxPref,
    weightSum,
    uniform,
    action,
    actionLabel: armLabel(armNames, action),
    reward,
    env: params.env,
    context,
    contexts: params.contexts,
    contextLevel: f32(constants.contextLow + f32(constants.contextStep * context)),
    armMeans: Array.from(contextMeans),
    expectedReward: contextMeans[action],
    bestArm: phase.contextBestArms[context],
    baselineMode: params.baseline,
    baselineSource: baselineSource(params.baseline, step, params.baselineStart),
    baselineRate: params.baselineRate,
    criticLr: params.criticLr,
    critic,
    baseline: trajectory.baselines[t],
    advantage,
    coefficient,
    rewardMeanAfter: trajectory.rewardMeans[t],
    emaAfter: trajectory.emas[t],
    alsoInUpdate,
    consistent: {
      probs: sameBits(probs, storedProbs),
      action: action === trajectory.actions[t],
      prefs: sameBits(after, stored) && othersUnchanged(trajectory, t, context),
      critic: criticConsistent,
    },
  };
}

/** Every context but `context` kept its preferences through kept step `t`. */
function othersUnchanged(trajectory: Trajectory, t: number, context: number): boolean {
  const contexts = trajectory.phases[0].params.contexts;
  for (let other = 0; other < contexts; other++) {
    if (other !== context && !sameBits(contextPrefs(trajectory, t - 1, other), contextPrefs(trajectory, t, other))) return false;
  }
  return true;
}

/** One arm in an epsilon-greedy step. */
export interface ValueArmTerms {
  arm: number;
  label: string;
  /** Q_j and n_j before the step. */
  value: number;
  count: number;
  /** Among the arms tied for the highest Q (the greedy set G). */
  greedy: boolean;
  /** epsilon / k, plus (1 - epsilon) / |G| for a greedy arm (f32, as the policy adds them). */
  weight: number;
  /** pi_j = weight / sum (the weights sum to 1 but for f32 rounding). */
  prob: number;
  cumulativeFrom: number;
  cumulativeTo: number;
  indicator: 0 | 1;
  /** Q_j and n_j after the step (only the drawn arm's change). */
  valueAfter: number;
  countAfter: number;
  /** pi_j after the step (the policy of the next step). */
  probAfter: number;
}

/** One epsilon-greedy step, written out number by number (`explainValueStep`). */
export interface ValueStepExplanation {
  kind: 'value';
  group: number;
  agent: number;
  step: number;
  firstStep: number;
  lastStep: number;
  arms: ValueArmTerms[];
  epsilon: number;
  /** f32(epsilon / k): every arm's share of the exploring. */
  epsilonShare: number;
  /** f32(1 - epsilon): what the greedy arms share. */
  greedyMass: number;
  /** f32(greedyMass / |G|): each greedy arm's part of it. */
  greedyShare: number;
  /** The greedy set G (arms with Q = max Q), ascending. */
  greedyArms: number[];
  maxValue: number;
  /** Sum of the weights (1 but for f32 rounding). */
  weightSum: number;
  uniform: number;
  action: number;
  actionLabel: string;
  reward: number;
  env: EnvKind;
  expectedReward: number;
  bestArm: number;
  /** 0: sample averages, Q += (R - Q) / n; else the constant step alpha, Q += alpha (R - Q). */
  valueStep: number;
  /** Q(a) and n(a) before the step, and n(a) + 1. */
  valueBefore: number;
  countBefore: number;
  countAfter: number;
  /** R - Q(a): the prediction error. */
  error: number;
  /** (R - Q(a)) / n(a), or alpha (R - Q(a)), as the step rounds it (f32). */
  change: number;
  /** Q(a) + change (f32). */
  valueAfter: number;
  /** The recomputation agrees with the replay bit for bit (a false is a bug). */
  consistent: { probs: boolean; action: boolean; values: boolean; counts: boolean; error: boolean };
}

/** Pull counts before `step` (a view into the trajectory). */
export function countsBefore(trajectory: Trajectory, step: number): Float32Array {
  const k = trajectory.arms;
  const t = step - trajectory.firstStep;
  return t === 0 ? trajectory.initialExtra : trajectory.extras.subarray((t - 1) * k, t * k);
}

/** The epsilon-greedy step `step` (firstStep <= step <= steps) of a replayed epsilon-greedy agent. */
export function explainValueStep(trajectory: Trajectory, step: number, armNames: readonly string[] = []): ValueStepExplanation {
  const { firstStep, steps, arms: k } = trajectory;
  checkStep(trajectory, step);
  if (!isValueTrajectory(trajectory)) throw new RangeError('a policy-gradient agent takes no value step: explain it with explainStep or explainGaussianStep');
  const t = step - firstStep;
  const phase = phaseAt(trajectory, step);
  const params = phase.params;
  // The engines' own constants: f32(epsilon / k), f32(1 - epsilon), f32(valueStep).
  const c = stepConstants(params);

  const values = prefsBefore(trajectory, step);
  const counts = countsBefore(trajectory, step);
  const weights = new Float32Array(k);
  const probs = new Float32Array(k);
  const weightSum = epsilonGreedyInto(values, 0, k, c.epsilonShare, c.greedyMass, weights, probs);
  let maxValue = values[0];
  for (let j = 1; j < k; j++) if (values[j] > maxValue) maxValue = values[j];
  const greedyArms: number[] = [];
  for (let j = 0; j < k; j++) if (values[j] === maxValue) greedyArms.push(j);

  const uniform = trajectory.uniforms[t];
  const action = sampleArm(weights, k, weightSum, uniform);
  const reward = trajectory.rewards[t];
  // As the engine's value step: n += 1, then Q += (R - Q) / n or alpha (R - Q), each op in f32.
  const valueBefore = values[action];
  const countBefore = counts[action];
  const countAfter = f32(countBefore + 1);
  const error = f32(reward - valueBefore);
  const change = c.valueStep > 0 ? f32(c.valueStep * error) : f32(error / countAfter);
  const valueAfter = f32(valueBefore + change);

  const after = Float32Array.from(values);
  after[action] = valueAfter;
  const countsAfter = Float32Array.from(counts);
  countsAfter[action] = countAfter;
  const afterWeights = new Float32Array(k);
  const afterProbs = new Float32Array(k);
  epsilonGreedyInto(after, 0, k, c.epsilonShare, c.greedyMass, afterWeights, afterProbs);

  const arms: ValueArmTerms[] = [];
  let cumulative = 0;
  for (let j = 0; j < k; j++) {
    const from = cumulative;
    cumulative += probs[j];
    arms.push({
      arm: j,
      label: armLabel(armNames, j),
      value: values[j],
      count: counts[j],
      greedy: values[j] === maxValue,
      weight: weights[j],
      prob: probs[j],
      cumulativeFrom: from,
      cumulativeTo: j === k - 1 ? 1 : cumulative,
      indicator: j === action ? 1 : 0,
      valueAfter: after[j],
      countAfter: countsAfter[j],
      probAfter: afterProbs[j],
    });
  }
  const storedValues = trajectory.prefs.subarray(t * k, (t + 1) * k);
  const storedCounts = trajectory.extras.subarray(t * k, (t + 1) * k);
  return {
    kind: 'value',
    group: trajectory.group,
    agent: trajectory.agent,
    step,
    firstStep,
    lastStep: steps,
    arms,
    epsilon: params.epsilon,
    epsilonShare: c.epsilonShare,
    greedyMass: c.greedyMass,
    greedyShare: f32(c.greedyMass / greedyArms.length),
    greedyArms,
    maxValue,
    weightSum,
    uniform,
    action,
    actionLabel: armLabel(armNames, action),
    reward,
    env: params.env,
    expectedReward: phase.armMeans[action],
    bestArm: phase.bestArm,
    valueStep: params.valueStep,
    valueBefore,
    countBefore,
    countAfter,
    error,
    change,
    valueAfter,
    consistent: {
      probs: sameBits(probs, trajectory.probs.subarray(t * k, (t + 1) * k)),
      action: action === trajectory.actions[t],
      values: sameBits(after, storedValues),
      counts: sameBits(countsAfter, storedCounts),
      // The engine reports Q(a) before the update as the "baseline" and R - Q(a) as the "advantage".
      error: Object.is(error, trajectory.advantages[t]) && Object.is(valueBefore, trajectory.baselines[t]),
    },
  };
}

/** One gaussian-policy step, written out number by number (`explainGaussianStep`); each number f32 as the step computes it. */
export interface GaussianStepExplanation {
  kind: 'gaussian';
  group: number;
  agent: number;
  step: number;
  firstStep: number;
  lastStep: number;
  /** lr as set, and as the step uses it (f32). */
  lr: number;
  lrStep: number;
  /** The policy before the step: mu, log sigma and sigma = exp(log sigma). */
  mean: number;
  logSigma: number;
  sigma: number;
  /** The step's standard normal z, sigma z, and the action x = mu + sigma z. */
  z: number;
  sigmaZ: number;
  action: number;
  /** The agent's optimum x* and the action's distance from it, x - x*. */
  optimum: number;
  gap: number;
  /** exp(-(x - x*)^2 / 2), in (0, 1]. */
  bump: number;
  offset: number;
  scale: number;
  /** offset + scale * bump: the reward without noise. */
  bumpReward: number;
  /** The noise's sd (scale * noise) and the noise drawn (R - bumpReward but for the sum's rounding). */
  rewardSd: number;
  noise: number;
  reward: number;
  env: EnvKind;
  /** offset + scale E[exp(-(x - x*)^2 / 2)] over x ~ N(mu, sigma^2): the policy's expected reward, and the best, offset + scale. */
  expectedReward: number;
  bestReward: number;
  baselineMode: BaselineMode;
  baselineSource: BaselineSource;
  baselineRate: number;
  criticLr: number;
  critic: CriticUpdate | null;
  baseline: number;
  advantage: number;
  /** lr (R - b), the factor both updates share (f32). */
  coefficient: number;
  /** d log pi / d mu = z / sigma, the update lr (R - b) z / sigma, and mu after. */
  meanScore: number;
  meanDelta: number;
  meanAfter: number;
  /** d log pi / d log sigma = z^2 - 1, the update lr (R - b) (z^2 - 1), log sigma after and sigma after. */
  spreadScore: number;
  spreadDelta: number;
  logSigmaAfter: number;
  sigmaAfter: number;
  /** The gradient estimate the replay records, (R - b) z / sigma and (R - b) (z^2 - 1), without lr. */
  gradient: [number, number];
  rewardMeanAfter: number;
  emaAfter: number;
  /**
   * The recomputation agrees with the replay bit for bit (a false is a bug): the action x, the
   * reward, mu and log sigma after (and the unused preferences unchanged), the critic's V.
   */
  consistent: { action: boolean; reward: boolean; prefs: boolean; critic: boolean };
}

/**
 * The gaussian policy's step `step` of a replayed agent, recomputed as the engines compute it
 * (agent.ts, the gaussian step: the same Philox words and the same f32 operations in the same
 * order), so that every number shown is the one the step used.
 */
export function explainGaussianStep(trajectory: Trajectory, step: number): GaussianStepExplanation {
  const { firstStep, steps, arms: k } = trajectory;
  checkStep(trajectory, step);
  if (!isGaussianTrajectory(trajectory)) throw new RangeError('not a gaussian agent: explain it with explainAgentStep');
  const t = step - firstStep;
  const phase = phaseAt(trajectory, step);
  const params = phase.params;
  const c = stepConstants(params);
  const seed = params.seed >>> 0;
  // x* as the engines load it: the agent's arm-0 value (a gaussian env's own draw times spread, a fixed env's first mean).
  const stepper = new AgentStepper(k, seed);
  const normals = Float32Array.from({ length: k }, (_, j) => armNormal(seed, trajectory.agent, j, stepper.words));
  stepper.loadArms(c, normals, 0);
  const optimum = stepper.armValue[0];
  const words = stepper.words;

  const before = prefsBefore(trajectory, step, 0);
  const mean = before[0];
  const logSigma = before[1];
  const sigma = f32(Math.exp(logSigma));
  philox4x32(step, kPurpose.step, 0, 0, seed, trajectory.agent, words);
  const z = normalFromU32Pair(words[0], words[3]);
  const sigmaZ = f32(sigma * z);
  const action = f32(mean + sigmaZ);
  const gap = f32(action - optimum);
  const bump = f32(Math.exp(f32(-0.5 * f32(gap * gap))));
  const bumpReward = f32(c.offset + f32(c.scale * bump));
  const noise = c.rewardSd === 0 ? 0 : f32(c.rewardSd * normalFromU32Pair(words[1], words[2]));
  const reward = c.rewardSd === 0 ? bumpReward : f32(bumpReward + noise);

  const advantage = trajectory.advantages[t];
  const coefficient = f32(c.lr * advantage);
  const meanScore = f32(z / sigma);
  const meanDelta = f32(coefficient * meanScore);
  const meanAfter = f32(mean + meanDelta);
  const spreadScore = f32(f32(z * z) - 1);
  const spreadDelta = f32(coefficient * spreadScore);
  const logSigmaAfter = f32(logSigma + spreadDelta);

  const storedReward = trajectory.rewards[t];
  let critic: CriticUpdate | null = null;
  let criticConsistent = true;
  if (c.hasCritic) {
    const criticBefore = extraAfter(trajectory, t - 1)[0];
    const error = f32(storedReward - criticBefore);
    const change = f32(c.criticLr * error);
    critic = { before: criticBefore, error, change, after: f32(criticBefore + change) };
    criticConsistent = Object.is(critic.after, extraAfter(trajectory, t)[0]) &&
      (params.baseline !== 'critic' || Object.is(criticBefore, trajectory.baselines[t]));
  }
  const after = prefsAfter(trajectory, step, 0);
  let othersKept = true;
  for (let j = 2; j < k; j++) if (!Object.is(before[j], after[j])) othersKept = false;
  return {
    kind: 'gaussian',
    group: trajectory.group,
    agent: trajectory.agent,
    step,
    firstStep,
    lastStep: steps,
    lr: params.lr,
    lrStep: c.lr,
    mean,
    logSigma,
    sigma,
    z,
    sigmaZ,
    action,
    optimum,
    gap,
    bump,
    offset: c.offset,
    scale: c.scale,
    bumpReward,
    rewardSd: c.rewardSd,
    noise,
    reward: storedReward,
    env: params.env,
    expectedReward: c.offset + c.scale * gaussianBumpMoment(0.5, mean - optimum, sigma, 0),
    bestReward: f32(c.offset + c.scale),
    baselineMode: params.baseline,
    baselineSource: baselineSource(params.baseline, step, params.baselineStart),
    baselineRate: params.baselineRate,
    criticLr: params.criticLr,
    critic,
    baseline: trajectory.baselines[t],
    advantage,
    coefficient,
    meanScore,
    meanDelta,
    meanAfter,
    spreadScore,
    spreadDelta,
    logSigmaAfter,
    sigmaAfter: Math.exp(logSigmaAfter),
    gradient: [trajectory.gradients[t * k], trajectory.gradients[t * k + 1]],
    rewardMeanAfter: trajectory.rewardMeans[t],
    emaAfter: trajectory.emas[t],
    consistent: {
      action: Object.is(action, trajectory.continuousActions[t]),
      reward: Object.is(reward, storedReward),
      prefs: Object.is(meanAfter, after[0]) && Object.is(logSigmaAfter, after[1]) && othersKept,
      critic: criticConsistent,
    },
  };
}

function baselineSource(mode: BaselineMode, step: number, start: Params['baselineStart']): BaselineSource {
  switch (mode) {
    case 'none':
      return 'none';
    case 'average-inclusive':
      return 'inclusive-mean';
    case 'average':
    case 'ema':
      if (step === 1) return start === 'first-reward' ? 'first-reward' : 'init';
      return mode === 'average' ? 'earlier-mean' : 'ema';
    case 'critic':
      return 'critic';
  }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** How an engine's copy of an agent compares with the CPU replay of it. */
export interface StateComparison {
  /** Largest |engine - replay| over the preferences, the reward mean and the ema. */
  maxDiff: number;
  /** Bit for bit the same. */
  exact: boolean;
  /** Within the engine's tolerance (0 for the CPU engine). */
  within: boolean;
  /** The largest difference `within` allowed (at the largest value compared). */
  tolerance: number;
}

/**
 * What an engine's copy of a preference may differ from the CPU replay by. The CPU engine runs
 * the replay's own code: 0. The GPU's exp, log and cos may differ from the CPU's in the last bits
 * (WGSL bounds their error, cos only to 2^-11 absolute), so rewards drawn through Box-Muller
 * differ by up to ~1e-3 and every step carries that on: a few hundred steps of lr 0.1 leave
 * ~3e-4 (test/gpu/read-agent.test.ts). 1e-2 (1 + |theta|) is loose for that and still below the
 * change one action taken differently (a near-tie rounded the other way) makes, lr |R - b|.
 */
export function stateTolerance(kind: EngineKind, value: number): number {
  return kind === 'cpu' ? 0 : 1e-2 * (1 + Math.abs(value));
}

/**
 * The engine's state of the trajectory's agent against the replay's last step: the preferences
 * (epsilon-greedy: the values Q), the reward mean, the ema and the extra state (the pull counts n;
 * a softmax agent's V(context) and the other contexts' preferences).
 */
export function compareAgentState(trajectory: Trajectory, state: AgentState, kind: EngineKind): StateComparison {
  const k = trajectory.arms;
  const t = trajectory.steps - trajectory.firstStep;
  const words = trajectory.initialExtra.length;
  const replayed = t < 0 ? trajectory.initialPrefs : trajectory.prefs.subarray(t * k, (t + 1) * k);
  // [replay, engine, counted]: a count is a whole number of pulls, which no rounding changes.
  const pairs: [number, number, boolean][] = Array.from(replayed, (value, j) => [value, state.prefs[j], false]);
  pairs.push([t < 0 ? trajectory.initialRewardMean : trajectory.rewardMeans[t], state.rewardMean, false]);
  pairs.push([t < 0 ? trajectory.initialEma : trajectory.emas[t], state.ema, false]);
  const extra = t < 0 ? trajectory.initialExtra : trajectory.extras.subarray(t * words, (t + 1) * words);
  // Epsilon-greedy's extra words are its pull counts; a softmax group's are values (the critic's V, ...).
  const counts = trajectory.phases[0]?.params.policy === 'epsilon-greedy';
  for (let i = 0; i < words; i++) pairs.push([extra[i], state.extra[i], counts]);
  let maxDiff = 0;
  let exact = state.prefs.length === k && state.extra.length === words;
  let within = exact;
  let tolerance = 0;
  for (const [want, got, counted] of pairs) {
    const diff = Math.abs(want - got);
    if (!(diff <= maxDiff)) maxDiff = diff; // NaN sticks
    if (!Object.is(f32(want), f32(got))) exact = false;
    const allowed = counted ? 0 : stateTolerance(kind, want);
    if (!(diff <= allowed)) within = false;
    tolerance = Math.max(tolerance, allowed);
  }
  return { maxDiff, exact, within: within || exact, tolerance };
}

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
 */
import type { AgentState, EngineKind, Trajectory, TrajectoryPhase } from './engine.ts';
import { sampleArm, scoreDirection, softmaxInto } from './policy.ts';
import { type BaselineMode, type EnvKind, type Params, armLabel } from './schema.ts';

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
  | 'ema'; // the exponential average of the earlier rewards

export interface StepExplanation {
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
  /** The sampled arm's expected reward for this agent. */
  expectedReward: number;
  bestArm: number;
  baselineMode: BaselineMode;
  baselineSource: BaselineSource;
  /** The ema's rate (ema baselines). */
  baselineRate: number;
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
  /** The recomputation agrees with the replay bit for bit (it always should; a false is a bug). */
  consistent: { probs: boolean; action: boolean; prefs: boolean };
}

/** The phase (parameters) in effect at `step`. */
export function phaseAt(trajectory: Trajectory, step: number): TrajectoryPhase {
  let found = trajectory.phases[0];
  for (const phase of trajectory.phases) if (phase.fromStep <= step) found = phase;
  return found;
}

/** Preferences before `step` (a view into the trajectory). */
export function prefsBefore(trajectory: Trajectory, step: number): Float32Array {
  const k = trajectory.arms;
  const t = step - trajectory.firstStep;
  return t === 0 ? trajectory.initialPrefs : trajectory.prefs.subarray((t - 1) * k, t * k);
}

/** The update of step `step` (firstStep <= step <= steps) of a replayed agent. */
export function explainStep(trajectory: Trajectory, step: number, armNames: readonly string[] = []): StepExplanation {
  const { firstStep, steps, arms: k } = trajectory;
  if (!Number.isInteger(step) || step < firstStep || step > steps) {
    throw new RangeError(`step ${step} is not in the trajectory (steps ${firstStep} to ${steps})`);
  }
  const t = step - firstStep;
  const phase = phaseAt(trajectory, step);
  const params = phase.params;
  const invTemperature = f32(1 / params.temperature);
  // The step multiplies by lr / T once, then by the advantage, then by each arm's score.
  const lrOverTemperature = f32(f32(params.lr) * invTemperature);

  const before = prefsBefore(trajectory, step);
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

  const stored = trajectory.prefs.subarray(t * k, (t + 1) * k);
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
  return {
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
    reward: trajectory.rewards[t],
    env: params.env,
    expectedReward: phase.armMeans[action],
    bestArm: phase.bestArm,
    baselineMode: params.baseline,
    baselineSource: baselineSource(params.baseline, step, params.baselineStart),
    baselineRate: params.baselineRate,
    baseline: trajectory.baselines[t],
    advantage,
    coefficient,
    rewardMeanAfter: trajectory.rewardMeans[t],
    emaAfter: trajectory.emas[t],
    alsoInUpdate,
    consistent: {
      probs: sameBits(probs, storedProbs),
      action: action === trajectory.actions[t],
      prefs: sameBits(after, stored),
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

/** The engine's state of the trajectory's agent against the replay's last step. */
export function compareAgentState(trajectory: Trajectory, state: AgentState, kind: EngineKind): StateComparison {
  const k = trajectory.arms;
  const t = trajectory.steps - trajectory.firstStep;
  const replayed = t < 0 ? trajectory.initialPrefs : trajectory.prefs.subarray(t * k, (t + 1) * k);
  const pairs: [number, number][] = Array.from(replayed, (value, j) => [value, state.prefs[j]]);
  pairs.push([t < 0 ? trajectory.initialRewardMean : trajectory.rewardMeans[t], state.rewardMean]);
  pairs.push([t < 0 ? trajectory.initialEma : trajectory.emas[t], state.ema]);
  let maxDiff = 0;
  let exact = state.prefs.length === k;
  let within = exact;
  let tolerance = 0;
  for (const [want, got] of pairs) {
    const diff = Math.abs(want - got);
    if (!(diff <= maxDiff)) maxDiff = diff; // NaN sticks
    if (!Object.is(f32(want), f32(got))) exact = false;
    const allowed = stateTolerance(kind, want);
    if (!(diff <= allowed)) within = false;
    tolerance = Math.max(tolerance, allowed);
  }
  return { maxDiff, exact, within: within || exact, tolerance };
}

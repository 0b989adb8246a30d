/**
 * Which agents (seeds) to show, as pure functions: every agent's pi(best arm) from a group's
 * state, the agents at chosen quantiles of it, the rules "worst pi(best)" and "locked onto a wrong
 * arm", and one agent's pi(best) per step from its replayed trajectory.
 *
 * The policy and the best arm come from the engines' own stepper (`AgentStepper.loadAgent`: the
 * f32 softmax the kernels run), as the agents export loads them, so a number here is the number
 * the engines and the agents export hold.
 */
import { AgentStepper, gaussianBumpMoment, stepConstants } from '../core/agent.ts';
import type { AgentStates, Trajectory } from '../core/engine.ts';
import { softmaxInto } from '../core/policy.ts';
import type { Params } from '../core/schema.ts';

/** What the seeds chart needs of each agent of a group, at the step its state was read. */
export interface AgentSummary {
  agents: number;
  /** pi of the agent's best arm (NaN once its preferences overflowed). */
  probBest: Float32Array;
  /** The arm the agent's policy favours (the first of equal probabilities). */
  favourite: Uint8Array;
  /** pi of that arm. */
  probFavourite: Float32Array;
  /** The agent's best arm (its own for gaussian arms). */
  bestArm: Uint8Array;
  /**
   * The agent's expected reward under its policy now: sum_j pi_j * mean_j (offset and scale
   * applied); a gaussian policy's offset + scale E[exp(-(x - x*)^2 / 2)], its pi(best) NaN.
   */
  expectedReward: Float32Array;
  /** The best arm's expected reward: what the agent would earn with pi(best) = 1. */
  bestReward: Float32Array;
}

/** `params`: the group's parameters now (live changes applied: `groupParamsNow`). */
export function summariseAgents(params: Params, states: AgentStates): AgentSummary {
  const k = params.arms;
  const agents = Math.floor(states.prefs.length / k);
  const c = stepConstants(params);
  const stepper = new AgentStepper(k, params.seed);
  const normals = c.env === 'gaussian' ? new Float32Array(k) : null;
  const out: AgentSummary = {
    agents,
    probBest: new Float32Array(agents),
    favourite: new Uint8Array(agents),
    probFavourite: new Float32Array(agents),
    bestArm: new Uint8Array(agents),
    expectedReward: new Float32Array(agents),
    bestReward: new Float32Array(agents),
  };
  for (let agent = 0; agent < agents; agent++) {
    stepper.loadAgent(c, params.seed, agent, states.prefs, normals);
    if (c.kind === 'gaussian') {
      // No arms: x ~ N(mu, sigma^2) around the optimum x* (arm 0's value); pi(best) does not exist.
      const gap = states.prefs[agent * k] - stepper.armValue[0];
      const sigma = Math.exp(states.prefs[agent * k + 1]);
      out.probBest[agent] = Number.NaN;
      out.probFavourite[agent] = Number.NaN;
      out.expectedReward[agent] = c.offset + c.scale * gaussianBumpMoment(0.5, gap, sigma, 0);
      out.bestReward[agent] = stepper.bestMean;
      continue;
    }
    const probs = stepper.probs;
    let favourite = 0;
    let expected = 0;
    for (let j = 0; j < k; j++) {
      if (probs[j] > probs[favourite]) favourite = j;
      expected += probs[j] * stepper.armMean[j];
    }
    out.probBest[agent] = probs[stepper.optimalArm];
    out.favourite[agent] = favourite;
    out.probFavourite[agent] = probs[favourite];
    out.bestArm[agent] = stepper.optimalArm;
    out.expectedReward[agent] = expected;
    out.bestReward[agent] = stepper.bestMean;
  }
  return out;
}

/**
 * The agents at quantile `levels` (in [0, 1]) of `values`: the agent of rank round(level * (n - 1))
 * in ascending order (ties by agent number), NaN left out. Empty when no value is finite.
 */
export function quantileAgents(values: ArrayLike<number>, levels: readonly number[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) order.push(i);
  if (order.length === 0) return [];
  order.sort((a, b) => values[a] - values[b] || a - b);
  return levels.map((level) => order[Math.round(Math.min(1, Math.max(0, level)) * (order.length - 1))]);
}

/** The agent with the lowest finite value (the first of equals), or -1 when none is finite. */
export function worstAgent(values: ArrayLike<number>): number {
  let worst = -1;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]) && (worst < 0 || values[i] < values[worst])) worst = i;
  }
  return worst;
}

/** An agent is locked onto a wrong arm when the arm it favours is not its best and holds more than this. */
export const kLockedProbability = 0.9;

/** The agents locked onto a wrong arm, in agent order. */
export function lockedOntoWrongArm(summary: AgentSummary, threshold = kLockedProbability): number[] {
  const locked: number[] = [];
  for (let agent = 0; agent < summary.agents; agent++) {
    if (summary.favourite[agent] !== summary.bestArm[agent] && summary.probFavourite[agent] > threshold) locked.push(agent);
  }
  return locked;
}

/**
 * pi(best arm) of a replayed agent after each step: entry s is the policy after s steps (entry 0
 * the initial policy), for s = firstStep - 1 .. steps. After s < steps steps it is the policy
 * step s + 1 drew from, with the best arm of the parameters step s + 1 ran with (a live change of
 * the arms moves it there); after the last step, the softmax of the last preferences with the last
 * parameters, as the engines compute it for the statistics.
 */
export function probBestAfterSteps(trajectory: Trajectory): Float64Array {
  const { arms: k, firstStep, steps, phases } = trajectory;
  const kept = steps - firstStep + 1;
  const out = new Float64Array(Math.max(0, kept + 1));
  if (kept <= 0 || phases.length === 0) return out;
  let phase = 0;
  for (let t = 0; t < kept; t++) {
    const step = firstStep + t;
    while (phase + 1 < phases.length && phases[phase + 1].fromStep <= step) phase++;
    out[t] = trajectory.probs[t * k + phases[phase].bestArm];
  }
  const last = phases[phases.length - 1];
  const weights = new Float32Array(k);
  const probs = new Float32Array(k);
  softmaxInto(trajectory.prefs, (kept - 1) * k, k, stepConstants(last.params).invTemperature, weights, probs);
  out[kept] = probs[last.bestArm];
  return out;
}

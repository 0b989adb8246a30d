/**
 * Agents replayed from step 1 with the engines' own stepper: an exact copy of their history for
 * either engine (live changes are applied at the step they took effect), so that one agent can be
 * followed, or a few thousand searched, without reading the population back.
 */
import { AgentStepper, type StepConstants, armNormal, extraWords, fillInitialExtra, initialPrefs, stepConstants } from './agent.ts';
import { type ExperimentConfig, resolveGroups } from './config.ts';
import type { Trajectory, TrajectoryPhase } from './engine.ts';
import type { ParamChange } from './groups.ts';
import { philox4x32, uniformFromU32 } from './philox.ts';
import { ConfigError, type Params } from './schema.ts';
import { kPurpose } from './shared-constants.ts';

interface Phase {
  fromStep: number;
  params: Params;
  constants: StepConstants;
}

/**
 * The parameters `group` ran with, one phase per step at which live changes took effect (changes
 * made between the same two steps merge), up to step `steps`.
 */
function phasesOf(config: ExperimentConfig, changes: readonly ParamChange[], group: number, steps: number): Phase[] {
  const first = resolveGroups(config)[group];
  if (!first) throw new ConfigError([{ field: 'group', message: `no group ${group}` }]);
  const phases: Phase[] = [{ fromStep: 1, params: first, constants: stepConstants(first) }];
  for (const change of changes) {
    if (change.group !== group || change.afterStep + 1 > steps) continue;
    const last = phases[phases.length - 1];
    const params = { ...last.params, ...change.patch } as Params;
    const phase = { fromStep: Math.max(1, change.afterStep + 1), params, constants: stepConstants(params) };
    if (phase.fromStep === last.fromStep) phases[phases.length - 1] = phase;
    else phases.push(phase);
  }
  return phases;
}

function checkAgent(config: ExperimentConfig, group: number, agent: number): void {
  const params = resolveGroups(config)[group];
  if (!params || agent < 0 || agent >= params.agents || !Number.isInteger(agent)) {
    throw new ConfigError([{ field: 'agent', message: `no agent ${agent} in group ${group}` }]);
  }
}

function agentNormals(seed: number, agent: number, arms: number, words: Uint32Array): Float32Array {
  const normals = new Float32Array(arms);
  for (let j = 0; j < arms; j++) normals[j] = armNormal(seed, agent, j, words);
  return normals;
}

/**
 * Agent `agent` of `group` from step 1 to `steps`, keeping steps `fromStep` .. `steps` (memory
 * grows with what is kept, the time with `steps`).
 */
export function replayAgent(
  config: ExperimentConfig,
  changes: readonly ParamChange[],
  group: number,
  agent: number,
  steps: number,
  fromStep = 1,
): Trajectory {
  const k = config.params.arms;
  checkAgent(config, group, agent);
  const seed = config.params.seed >>> 0;
  const phases = phasesOf(config, changes, group, steps);
  const stepper = new AgentStepper(k, seed);
  const normals = agentNormals(seed, agent, k, stepper.words);
  const firstStep = Math.max(1, Math.min(Math.floor(fromStep), steps));
  const kept = Math.max(0, steps - firstStep + 1);
  const prefs = initialPrefs(phases[0].params);
  const rewardMean = new Float32Array(1);
  const ema = new Float32Array(1).fill(Math.fround(phases[0].params.baselineInit));
  const words = extraWords(phases[0].params);
  const extra = new Float32Array(words);
  fillInitialExtra(phases[0].params, extra, 1);
  const out: Trajectory = {
    group, agent, arms: k, steps, firstStep,
    initialPrefs: new Float32Array(k),
    initialRewardMean: rewardMean[0],
    initialEma: ema[0],
    initialExtra: extra.slice(),
    probs: new Float32Array(kept * k),
    uniforms: new Float32Array(kept),
    contexts: new Uint8Array(kept),
    actions: new Uint8Array(kept),
    continuousActions: new Float32Array(kept),
    rewards: new Float32Array(kept),
    baselines: new Float32Array(kept),
    advantages: new Float32Array(kept),
    gradients: new Float32Array(kept * k),
    prefs: new Float32Array(kept * k),
    extras: new Float32Array(kept * words),
    rewardMeans: new Float32Array(kept),
    emas: new Float32Array(kept),
    phases: [],
  };
  // The step's uniform drawn again as takeStep draws it, into words of our own.
  const draw = new Uint32Array(4);
  let phase = -1;
  let constants = phases[0].constants;
  for (let step = 1; step <= steps; step++) {
    if (phase + 1 < phases.length && phases[phase + 1].fromStep === step) {
      phase++;
      constants = phases[phase].constants;
      stepper.loadArms(constants, normals, 0);
      const contexts = constants.contexts;
      const contextArmMeans = new Float32Array(contexts * k);
      const contextBestArms: number[] = [];
      for (let context = contexts - 1; context >= 0; context--) {
        stepper.loadContext(constants, context);
        contextArmMeans.set(stepper.armMean, context * k);
        contextBestArms[context] = stepper.optimalArm;
      }
      out.phases.push({
        fromStep: step,
        params: structuredClone(phases[phase].params),
        armMeans: stepper.armMean.slice(),
        bestArm: stepper.optimalArm,
        contextArmMeans,
        contextBestArms,
      } satisfies TrajectoryPhase);
    }
    if (step === firstStep) {
      out.initialPrefs.set(prefs);
      out.initialRewardMean = rewardMean[0];
      out.initialEma = ema[0];
      out.initialExtra.set(extra);
    }
    stepper.policy(prefs, 0, constants);
    stepper.takeStep(prefs, 0, rewardMean, ema, extra, 0, agent, step, constants, step >= firstStep);
    if (step < firstStep) continue;
    const t = step - firstStep;
    out.probs.set(stepper.probs, t * k);
    philox4x32(step, kPurpose.step, 0, 0, seed, agent, draw);
    out.uniforms[t] = uniformFromU32(draw[0]);
    out.actions[t] = stepper.action;
    out.continuousActions[t] = stepper.continuousAction;
    out.contexts[t] = stepper.context;
    out.rewards[t] = stepper.reward;
    out.baselines[t] = stepper.baseline;
    out.advantages[t] = stepper.advantage;
    for (let j = 0; j < k; j++) out.gradients[t * k + j] = stepper.stepGradient(j, constants);
    out.prefs.set(prefs, t * k);
    out.extras.set(extra, t * words);
    out.rewardMeans[t] = rewardMean[0];
    out.emas[t] = ema[0];
  }
  return out;
}

/**
 * pi(best arm) after step `step` of agents `from` .. `to - 1` of `group`: the quantity the
 * heatmap bins (the policy after the update, the best arm of the parameters then in effect).
 * NaN for an agent whose preferences overflowed.
 */
export function probOptimalAfter(
  config: ExperimentConfig,
  changes: readonly ParamChange[],
  group: number,
  step: number,
  from: number,
  to: number,
): Float32Array {
  const k = config.params.arms;
  const seed = config.params.seed >>> 0;
  const phases = phasesOf(config, changes, group, Math.max(step, 1));
  const stepper = new AgentStepper(k, seed);
  const prefs = new Float32Array(k);
  const rewardMean = new Float32Array(1);
  const ema = new Float32Array(1);
  const extra = new Float32Array(extraWords(phases[0].params));
  const out = new Float32Array(Math.max(0, to - from));
  for (let agent = from; agent < to; agent++) {
    const normals = agentNormals(seed, agent, k, stepper.words);
    prefs.set(phases[0].constants.initialPrefs);
    fillInitialExtra(phases[0].params, extra, 1);
    rewardMean[0] = 0;
    ema[0] = Math.fround(phases[0].params.baselineInit);
    for (let p = 0; p < phases.length; p++) {
      const constants = phases[p].constants;
      stepper.loadArms(constants, normals, 0);
      const end = p + 1 < phases.length ? phases[p + 1].fromStep - 1 : step;
      for (let s = phases[p].fromStep; s <= end; s++) {
        stepper.policy(prefs, 0, constants);
        stepper.takeStep(prefs, 0, rewardMean, ema, extra, 0, agent, s, constants, false);
      }
    }
    stepper.policy(prefs, 0, phases[phases.length - 1].constants);
    out[agent - from] = stepper.histogramValue(phases[phases.length - 1].constants);
  }
  return out;
}

export interface NearestAgent {
  agent: number;
  /** Its pi(best arm) after the step. */
  probOptimal: number;
  /** Agents 0 .. searched - 1 were compared (all of the group unless the work budget cut it). */
  searched: number;
}

export interface NearestAgentOptions {
  /** Most agent-steps to replay (default 4e6): large groups are searched among their first agents. */
  maxAgentSteps?: number;
  /** Awaited between slices of the work, so a page stays responsive (e.g. a zero-delay timeout). */
  pause?: () => Promise<void>;
  /** Agent-steps per slice (default 20,000 x 10 / arms: a few milliseconds of work). */
  sliceAgentSteps?: number;
  signal?: AbortSignal;
}

/** Agent-arm-steps replayed between two pauses: a few milliseconds of work. */
const kSliceWork = 200_000;

/**
 * The agent of `group` whose pi(best arm) after step `step` is nearest `target` (the first of
 * equals), found by replaying agents from 0; null when every one searched diverged.
 */
export async function nearestAgent(
  config: ExperimentConfig,
  changes: readonly ParamChange[],
  group: number,
  step: number,
  target: number,
  options: NearestAgentOptions = {},
): Promise<NearestAgent | null> {
  const params = resolveGroups(config)[group];
  if (!params) throw new ConfigError([{ field: 'group', message: `no group ${group}` }]);
  const perAgent = Math.max(1, step);
  const searched = Math.max(1, Math.min(params.agents, Math.floor((options.maxAgentSteps ?? 4e6) / perAgent)));
  const sliceAgentSteps = options.sliceAgentSteps ?? Math.ceil(kSliceWork / config.params.arms);
  const slice = Math.max(1, Math.floor(sliceAgentSteps / perAgent));
  let best: NearestAgent | null = null;
  for (let from = 0; from < searched; from += slice) {
    options.signal?.throwIfAborted();
    const to = Math.min(searched, from + slice);
    const values = probOptimalAfter(config, changes, group, step, from, to);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (!Number.isFinite(value)) continue;
      if (!best || Math.abs(value - target) < Math.abs(best.probOptimal - target)) best = { agent: from + i, probOptimal: value, searched };
    }
    if (to < searched) await options.pause?.();
  }
  options.signal?.throwIfAborted();
  return best;
}

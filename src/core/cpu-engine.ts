/**
 * The CPU reference engine: the oracle for tests, the fallback where WebGPU is missing and the
 * inspector that replays one agent. It computes what the GPU engine computes, with the same
 * random numbers and the same f32 steps (see `AgentKernel`).
 *
 * Loop order: agents outer, a chunk of steps inner, as the GPU kernel runs; each agent's policy
 * after step t is its policy before step t + 1, so one softmax per agent-step serves both.
 */
import { type ExperimentConfig, resolveGroups, validateConfig } from './config.ts';
import { AgentKernel, type StepConstants, armNormal, stepConstants } from './agent.ts';
import type { AgentStates, Engine, LiveParams, Trajectory } from './engine.ts';
import { entropyOf, exactGradientVariance } from './policy.ts';
import { ConfigError, type FieldError, type Params, type WindowStats, checkCrossFields, checkValue, paramSpec } from './schema.ts';
import { StatsLayout, type StatsSink, histogramBin, kHistogramBins, scalarIndex, writeQuantiles } from './stats.ts';

/** Steps per chunk: bounds the per-row accumulators, not the result. */
const kChunkSteps = 256;

// Accumulator slots (raw sums over a row's agent-steps), then 3 blocks of k.
const kAccReward = 0;
const kAccOptimal = 1;
const kAccBaseline = 2;
const kAccAdvantage = 3;
const kAccExpected = 4;
const kAccRegret = 5;
const kAccEntropy = 6;
const kAccProbOptimal = 7;
const kAccExactVar = 8;
const kAccSqNorm = 9;
const kAccSqNorm2 = 10;
const kAccScalars = 11;

interface GroupState {
  params: Params;
  constants: StepConstants;
  agents: number;
  prefs: Float32Array;
  rewardMean: Float32Array;
  ema: Float32Array;
  divergedAt: number;
  /** Sums of the row in progress, carried between `advance` calls. */
  pending: Float64Array;
}

export interface ParamChange {
  /** Applies from step `afterStep + 1` on. */
  afterStep: number;
  group: number;
  patch: Partial<LiveParams>;
}

export function checkLivePatch(params: Params, patch: Partial<LiveParams>, group: number): Params {
  const errors: FieldError[] = [];
  const next = { ...params } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const spec = paramSpec(key);
    if (!spec || !spec.live || spec.scope !== 'group') {
      errors.push({ field: key, message: spec ? 'cannot change while running; restart instead' : 'unknown key' });
      continue;
    }
    const checked = checkValue(spec, value);
    if (checked.ok) next[key] = checked.value;
    else errors.push({ field: key, message: checked.message });
  }
  if (errors.length === 0) errors.push(...checkCrossFields(next as unknown as Params, ''));
  if (errors.length > 0) throw new ConfigError(errors.map((e) => ({ ...e, message: `${e.message} (group ${group})` })));
  return next as unknown as Params;
}

export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly description = 'CPU reference engine';
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  readonly #arms: number;
  readonly #window: number;
  readonly #windowStats: WindowStats;
  readonly #groups: GroupState[];
  /** Standard normals behind each agent's arm values (gaussian groups), agent-major. */
  readonly #normals: Float32Array;
  readonly #kernel: AgentKernel;
  readonly #accStride: number;
  readonly #acc: Float64Array;
  readonly #histograms: Uint32Array;
  readonly #row: Float64Array;
  readonly #changes: ParamChange[] = [];
  #stepsDone = 0;

  constructor(config: ExperimentConfig) {
    this.config = structuredClone(validateConfig(config));
    const k = config.params.arms;
    this.#arms = k;
    this.#window = config.params.window;
    this.#windowStats = config.params.windowStats;
    this.layout = new StatsLayout(k);
    this.#kernel = new AgentKernel(k, config.params.seed);
    const groups = resolveGroups(this.config);
    const maxAgents = Math.max(...groups.map((g) => g.agents));
    this.#normals = this.#makeNormals(maxAgents);
    this.#groups = groups.map((params) => ({
      params,
      constants: stepConstants(params),
      agents: params.agents,
      prefs: new Float32Array(params.agents * k),
      rewardMean: new Float32Array(params.agents),
      ema: new Float32Array(params.agents).fill(Math.fround(params.baselineInit)),
      divergedAt: 0,
      pending: new Float64Array(kAccScalars + 3 * k),
    }));
    this.#accStride = kAccScalars + 3 * k;
    const maxRows = Math.ceil(kChunkSteps / this.#window) + 1;
    this.#acc = new Float64Array(maxRows * this.#accStride);
    this.#histograms = new Uint32Array(maxRows * kHistogramBins);
    this.#row = new Float64Array(this.layout.count);
  }

  /** Normals are drawn for every agent even for fixed groups, so a live switch to gaussian works. */
  #makeNormals(agents: number): Float32Array {
    const k = this.config.params.arms;
    const normals = new Float32Array(agents * k);
    const words = new Uint32Array(4);
    for (let i = 0; i < agents; i++) {
      for (let j = 0; j < k; j++) normals[i * k + j] = armNormal(this.config.params.seed, i, j, words);
    }
    return normals;
  }

  get stepsDone(): number {
    return this.#stepsDone;
  }

  divergedAt(group: number): number {
    return this.#groups[group].divergedAt;
  }

  async advance(steps: number, sink: StatsSink): Promise<void> {
    this.advanceSync(steps, sink);
  }

  advanceSync(steps: number, sink: StatsSink): void {
    let remaining = Math.max(0, Math.floor(steps));
    while (remaining > 0) {
      const chunk = Math.min(remaining, kChunkSteps);
      for (let g = 0; g < this.#groups.length; g++) this.#advanceGroup(g, chunk, sink);
      this.#stepsDone += chunk;
      remaining -= chunk;
    }
  }

  #advanceGroup(groupIndex: number, chunk: number, sink: StatsSink): void {
    const group = this.#groups[groupIndex];
    if (group.divergedAt > 0) return;
    const k = this.#arms;
    const window = this.#window;
    const lastOnly = this.#windowStats === 'last';
    const stride = this.#accStride;
    const acc = this.#acc;
    const histograms = this.#histograms;
    const kernel = this.#kernel;
    const c = group.constants;
    const normals = this.#normals;
    const firstStep = this.#stepsDone + 1;
    const lastStep = this.#stepsDone + chunk;
    // Rows are numbered from the window that holds `firstStep`.
    const firstRowStart = Math.floor((firstStep - 1) / window) * window + 1;
    const rows = Math.floor((lastStep - firstRowStart) / window) + 1;
    acc.fill(0, 0, rows * stride);
    acc.set(group.pending, 0);
    histograms.fill(0, 0, rows * kHistogramBins);
    const probOffset = kAccScalars;
    const gradOffset = kAccScalars + k;
    const grad2Offset = kAccScalars + 2 * k;
    let divergedAt = 0;

    for (let agent = 0; agent < group.agents; agent++) {
      const prefsOffset = agent * k;
      kernel.loadArms(c, normals, agent * k);
      kernel.policy(group.prefs, prefsOffset, c);
      for (let step = firstStep; step <= lastStep; step++) {
        const row = Math.floor((step - firstRowStart) / window);
        const base = row * stride;
        kernel.act(group.prefs, prefsOffset, group.rewardMean, group.ema, agent, agent, step, c);
        if (!kernel.healthy) {
          if (divergedAt === 0 || step < divergedAt) divergedAt = step;
          break;
        }
        // Rows of the windows' last steps only ('last') measure no other step.
        const measured = !lastOnly || step % window === 0;
        if (!measured) {
          kernel.policy(group.prefs, prefsOffset, c);
          continue;
        }
        // Action statistics: the step just taken, under the policy before the update.
        const action = kernel.action;
        const probs = kernel.probs;
        const scaledAdvantage = kernel.advantage * c.invTemperature;
        acc[base + kAccReward] += kernel.reward;
        if (action === kernel.optimalArm) acc[base + kAccOptimal] += 1;
        acc[base + kAccBaseline] += kernel.baseline;
        acc[base + kAccAdvantage] += kernel.advantage;
        acc[base + kAccExactVar] += exactGradientVariance(
          probs, kernel.armMean, kernel.armVariance, k,
          kernel.referenceBaseline, kernel.advantageFactor, c.invTemperature,
        );
        let squaredNorm = 0;
        for (let j = 0; j < k; j++) {
          const gradient = scaledAdvantage * ((j === action ? 1 : 0) - probs[j]);
          acc[base + gradOffset + j] += gradient;
          acc[base + grad2Offset + j] += gradient * gradient;
          squaredNorm += gradient * gradient;
        }
        acc[base + kAccSqNorm] += squaredNorm;
        acc[base + kAccSqNorm2] += squaredNorm * squaredNorm;

        // Policy statistics: after the update (which is also the next step's policy).
        kernel.policy(group.prefs, prefsOffset, c);
        let expected = 0;
        for (let j = 0; j < k; j++) {
          acc[base + probOffset + j] += probs[j];
          expected += probs[j] * kernel.armMean[j];
        }
        const probOptimal = probs[kernel.optimalArm];
        acc[base + kAccExpected] += expected;
        acc[base + kAccRegret] += kernel.bestMean - expected;
        acc[base + kAccEntropy] += entropyOf(group.prefs, prefsOffset, k, c.invTemperature, probs, kernel.weightSum);
        acc[base + kAccProbOptimal] += probOptimal;
        if (step % window === 0) histograms[row * kHistogramBins + histogramBin(probOptimal)]++;
      }
    }

    for (let row = 0; row < rows; row++) {
      const rowEnd = firstRowStart + (row + 1) * window - 1;
      if (rowEnd > lastStep) {
        group.pending.set(acc.subarray(row * stride, (row + 1) * stride));
        break;
      }
      if (divergedAt > 0 && rowEnd >= divergedAt) break;
      this.#emitRow(groupIndex, rowEnd, row, sink);
      if (rowEnd === lastStep) group.pending.fill(0);
    }
    if (divergedAt > 0) {
      group.divergedAt = divergedAt;
      sink.diverged?.(
        groupIndex,
        divergedAt,
        `group ${groupIndex} diverged at step ${divergedAt}: preferences became non-finite (lower lr or the reward scale)`,
      );
    }
  }

  #emitRow(groupIndex: number, rowEnd: number, row: number, sink: StatsSink): void {
    const k = this.#arms;
    const acc = this.#acc;
    const base = row * this.#accStride;
    const count = this.#groups[groupIndex].agents * (this.#windowStats === 'last' ? 1 : this.#window);
    const values = this.#row;
    const layout = this.layout;
    const mean = (slot: number) => acc[base + slot] / count;
    values[scalarIndex('mean_reward')] = mean(kAccReward);
    values[scalarIndex('frac_optimal')] = mean(kAccOptimal);
    values[scalarIndex('mean_baseline')] = mean(kAccBaseline);
    values[scalarIndex('mean_advantage')] = mean(kAccAdvantage);
    values[scalarIndex('mean_expected_reward')] = mean(kAccExpected);
    values[scalarIndex('mean_regret')] = mean(kAccRegret);
    values[scalarIndex('mean_entropy')] = mean(kAccEntropy);
    values[scalarIndex('mean_prob_optimal')] = mean(kAccProbOptimal);
    values[scalarIndex('exact_grad_var')] = mean(kAccExactVar);
    const sqNormMean = mean(kAccSqNorm);
    values[scalarIndex('grad_sqnorm_mean')] = sqNormMean;
    values[scalarIndex('grad_sqnorm_var')] = Math.max(0, mean(kAccSqNorm2) - sqNormMean * sqNormMean);
    let totalVariance = 0;
    for (let j = 0; j < k; j++) {
      values[layout.probOffset + j] = mean(kAccScalars + j);
      const gradientMean = mean(kAccScalars + k + j);
      const variance = Math.max(0, mean(kAccScalars + 2 * k + j) - gradientMean * gradientMean);
      values[layout.gradMeanOffset + j] = gradientMean;
      values[layout.gradVarOffset + j] = variance;
      totalVariance += variance;
    }
    values[scalarIndex('grad_var')] = totalVariance;
    const histogram = this.#histograms.subarray(row * kHistogramBins, (row + 1) * kHistogramBins);
    writeQuantiles(values, histogram);
    sink.record(groupIndex, rowEnd, values, histogram);
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    const state = this.#groups[group];
    if (!state) throw new ConfigError([{ field: 'group', message: `no group ${group}` }]);
    state.params = checkLivePatch(state.params, patch, group);
    state.constants = stepConstants(state.params);
    this.#changes.push({ afterStep: this.#stepsDone, group, patch: { ...patch } });
  }

  async trajectory(group: number, agent: number): Promise<Trajectory> {
    return replayAgent(this.config, this.#changes, group, agent, this.#stepsDone);
  }

  async readAgents(group: number): Promise<AgentStates> {
    const state = this.#groups[group];
    return { prefs: state.prefs.slice(), rewardMean: state.rewardMean.slice(), ema: state.ema.slice() };
  }

  /** Overwrites a group's agent state (tests start CPU and GPU from one state this way). */
  writeAgents(group: number, states: AgentStates): void {
    const state = this.#groups[group];
    state.prefs.set(states.prefs);
    state.rewardMean.set(states.rewardMean);
    state.ema.set(states.ema);
  }

  /** Sets the step counter (tests that run one step from a given state at step t use it). */
  seekStep(stepsDone: number): void {
    this.#stepsDone = stepsDone;
  }

  dispose(): void {
    // Nothing to release: the arrays go with the object.
  }
}

/**
 * Replays one agent with the engine's own kernel: the inspector's exact copy of its history
 * (for either engine: live changes are replayed at the step they took effect).
 */
export function replayAgent(
  config: ExperimentConfig,
  changes: readonly ParamChange[],
  group: number,
  agent: number,
  steps: number,
): Trajectory {
  const k = config.params.arms;
  let params = resolveGroups(config)[group];
  if (!params || agent < 0 || agent >= params.agents || !Number.isInteger(agent)) {
    throw new ConfigError([{ field: 'agent', message: `no agent ${agent} in group ${group}` }]);
  }
  let constants = stepConstants(params);
  const kernel = new AgentKernel(k, config.params.seed);
  const normals = new Float32Array(k);
  for (let j = 0; j < k; j++) normals[j] = armNormal(config.params.seed, agent, j, kernel.words);
  const prefs = new Float32Array(k);
  const rewardMean = new Float32Array(1);
  const ema = new Float32Array(1).fill(Math.fround(params.baselineInit));
  const out: Trajectory = {
    group, agent, arms: k, steps,
    probs: new Float32Array(steps * k),
    actions: new Uint8Array(steps),
    rewards: new Float32Array(steps),
    baselines: new Float32Array(steps),
    advantages: new Float32Array(steps),
    gradients: new Float32Array(steps * k),
    prefs: new Float32Array(steps * k),
  };
  const groupChanges = changes.filter((c) => c.group === group);
  let nextChange = 0;
  for (let step = 1; step <= steps; step++) {
    let changed = step === 1;
    while (nextChange < groupChanges.length && groupChanges[nextChange].afterStep < step) {
      params = { ...params, ...groupChanges[nextChange].patch } as Params;
      constants = stepConstants(params);
      nextChange++;
      changed = true;
    }
    if (changed) kernel.loadArms(constants, normals, 0);
    kernel.policy(prefs, 0, constants);
    out.probs.set(kernel.probs, (step - 1) * k);
    kernel.act(prefs, 0, rewardMean, ema, 0, agent, step, constants);
    const t = step - 1;
    out.actions[t] = kernel.action;
    out.rewards[t] = kernel.reward;
    out.baselines[t] = kernel.baseline;
    out.advantages[t] = kernel.advantage;
    for (let j = 0; j < k; j++) {
      out.gradients[t * k + j] =
        kernel.advantage * constants.invTemperature * ((j === kernel.action ? 1 : 0) - out.probs[t * k + j]);
    }
    out.prefs.set(prefs, t * k);
  }
  return out;
}

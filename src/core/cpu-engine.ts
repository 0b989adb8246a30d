/**
 * The CPU reference engine: the oracle for tests, the fallback where WebGPU is missing and the
 * engine behind agent replays. It computes what the GPU engine computes, with the same random
 * numbers and the same f32 steps (see `AgentStepper`), and accumulates the same statistics
 * records (`kAcc`).
 *
 * Loop order: agents outer, a chunk of steps inner, as the GPU kernel runs; each agent's policy
 * after step t is its policy before step t + 1, so one softmax per agent-step serves both.
 */
import { AgentStepper, armNormal, extraWords, fillInitialExtra, fillInitialPrefs } from './agent.ts';
import { type ExperimentConfig, validateConfig } from './config.ts';
import { type AgentState, type AgentStates, type Engine, type LiveParams, type Trajectory, checkRowEvery, windowRecorded } from './engine.ts';
import type { ParamChange } from './groups.ts';
import { LiveGroups, divergenceMessage } from './groups.ts';
import { replayAgent } from './replay.ts';
import type { WindowStats } from './schema.ts';
import { kAcc, recordBlocks, recordLength } from './shared-constants.ts';
import { RowWriter, StatsLayout, type StatsSink, histogramBin, kHistogramBins } from './stats.ts';

/** Steps per chunk: bounds the per-row records, not the result. */
const kChunkSteps = 256;

/** A contiguous run of one group's agents: `agents` agents from global index `first`. */
export interface AgentSlice {
  first: number;
  agents: number;
}

export interface CpuEngineOptions {
  /**
   * Per group, the agents this engine runs (default: all of them). Random numbers are keyed by
   * (seed, agent), so a slice draws with its agents' global indices and several engines on
   * disjoint slices compute exactly the agents one engine would; `advanceSumsSync` hands out
   * their records unfinished so that a caller can add them up (see agent-slices.ts).
   * `readAgent`/`readAgents`/`writeAgents` index within the slice.
   */
  slices?: readonly AgentSlice[];
}

interface GroupState {
  agents: number;
  /** Global index of the group's first agent here (0 without slices). */
  first: number;
  /** Standard normals behind each agent's arm values (gaussian groups), agent-major. */
  normals: Float32Array;
  prefs: Float32Array;
  rewardMean: Float32Array;
  ema: Float32Array;
  /** `extraWords` per agent (epsilon-greedy's pull counts). */
  extra: Float32Array;
  divergedAt: number;
  /** Sums of the row in progress, carried between `advance` calls. */
  pending: Float64Array;
}

export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly description = 'CPU reference engine';
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  readonly #arms: number;
  readonly #window: number;
  readonly #windowStats: WindowStats;
  readonly #live: LiveGroups;
  readonly #groups: GroupState[];
  readonly #stepper: AgentStepper;
  readonly #recordLength: number;
  /** Records of sums, one per row of the chunk in progress. */
  readonly #records: Float64Array;
  /** One record finished into means and variances, as the GPU's finalize pass writes them. */
  readonly #finished: Float64Array;
  readonly #histograms: Uint32Array;
  readonly #rows: RowWriter;
  #stepsDone = 0;
  /** Whether the window the last advance left unfinished is measured (decided where it began). */
  #openWindowRecorded = true;
  /** Per row of the chunk in progress: measured and handed out (Engine.advance's `rowEvery`). */
  readonly #rowRecorded: Uint8Array;

  constructor(config: ExperimentConfig, options: CpuEngineOptions = {}) {
    this.config = structuredClone(validateConfig(config));
    const k = this.config.params.arms;
    this.#arms = k;
    this.#window = this.config.params.window;
    this.#windowStats = this.config.params.windowStats;
    this.layout = new StatsLayout(k);
    this.#stepper = new AgentStepper(k, this.config.params.seed);
    this.#live = new LiveGroups(this.config);
    this.#recordLength = recordLength(k);
    const slices = options.slices ?? this.#live.params.map((g) => ({ first: 0, agents: g.agents }));
    if (slices.length !== this.#live.params.length) throw new RangeError(`${slices.length} agent slices for ${this.#live.params.length} groups`);
    slices.forEach(({ first, agents }, g) => {
      if (!Number.isInteger(first) || !Number.isInteger(agents) || first < 0 || agents < 0 || first + agents > this.#live.params[g].agents) {
        throw new RangeError(`agent slice ${first} + ${agents} is outside group ${g}`);
      }
    });
    // Without slices every group starts at agent 0, so one array of normals serves them all.
    const shared = options.slices ? null : this.#makeNormals(0, Math.max(...slices.map((s) => s.agents)));
    this.#groups = this.#live.params.map((params, g) => {
      const { first, agents } = slices[g];
      const extra = new Float32Array(agents * extraWords(params));
      fillInitialExtra(params, extra, agents);
      const prefs = new Float32Array(agents * k);
      fillInitialPrefs(params, prefs, agents);
      return {
        agents,
        first,
        normals: shared ?? this.#makeNormals(first, agents),
        prefs,
        rewardMean: new Float32Array(agents),
        ema: new Float32Array(agents).fill(Math.fround(params.baselineInit)),
        extra,
        divergedAt: 0,
        pending: new Float64Array(this.#recordLength),
      };
    });
    const maxRows = Math.ceil(kChunkSteps / this.#window) + 1;
    this.#records = new Float64Array(maxRows * this.#recordLength);
    this.#finished = new Float64Array(this.#recordLength);
    this.#histograms = new Uint32Array(maxRows * kHistogramBins);
    this.#rowRecorded = new Uint8Array(maxRows);
    this.#rows = new RowWriter(this.layout);
  }

  /** Normals are drawn for every agent even for fixed groups, so a live switch to gaussian works. */
  #makeNormals(first: number, agents: number): Float32Array {
    const k = this.config.params.arms;
    const normals = new Float32Array(agents * k);
    const words = new Uint32Array(4);
    for (let i = 0; i < agents; i++) {
      for (let j = 0; j < k; j++) normals[i * k + j] = armNormal(this.config.params.seed, first + i, j, words);
    }
    return normals;
  }

  get stepsDone(): number {
    return this.#stepsDone;
  }

  divergedAt(group: number): number {
    return this.#groups[group].divergedAt;
  }

  async advance(steps: number, sink: StatsSink, rowEvery = 1): Promise<void> {
    this.advanceSync(steps, sink, rowEvery);
  }

  advanceSync(steps: number, sink: StatsSink, rowEvery = 1): void {
    this.#advance(steps, sink, false, rowEvery);
  }

  /**
   * As `advanceSync`, but each row's `values` is its record of sums (`recordLength(k)` values
   * in `kAcc` order, count first), not yet finished into means: records of disjoint agent slices
   * add up to the whole population's, and `finishRecord` then gives the row one engine would.
   */
  advanceSumsSync(steps: number, sink: StatsSink, rowEvery = 1): void {
    this.#advance(steps, sink, true, rowEvery);
  }

  #advance(steps: number, sink: StatsSink, sums: boolean, rowEvery: number): void {
    checkRowEvery(rowEvery);
    const window = this.#window;
    let remaining = Math.max(0, Math.floor(steps));
    while (remaining > 0) {
      const chunk = Math.min(remaining, kChunkSteps);
      const done = this.#stepsDone;
      const firstRowStart = Math.floor(done / window) * window;
      const rows = Math.floor((done + chunk - 1 - firstRowStart) / window) + 1;
      for (let row = 0; row < rows; row++) {
        const rowStart = firstRowStart + row * window;
        this.#rowRecorded[row] = (rowStart < done ? this.#openWindowRecorded : windowRecorded(rowStart + window, window, rowEvery)) ? 1 : 0;
      }
      if ((done + chunk) % window !== 0) this.#openWindowRecorded = this.#rowRecorded[rows - 1] === 1;
      for (let g = 0; g < this.#groups.length; g++) this.#advanceGroup(g, chunk, sink, sums);
      this.#stepsDone += chunk;
      remaining -= chunk;
    }
  }

  #advanceGroup(groupIndex: number, chunk: number, sink: StatsSink, sums: boolean): void {
    const group = this.#groups[groupIndex];
    if (group.divergedAt > 0) return;
    const k = this.#arms;
    const window = this.#window;
    const lastOnly = this.#windowStats === 'last';
    const rowRecorded = this.#rowRecorded;
    const stride = this.#recordLength;
    const records = this.#records;
    const histograms = this.#histograms;
    const stepper = this.#stepper;
    const c = this.#live.constants[groupIndex];
    const normals = group.normals;
    const first = group.first;
    const firstStep = this.#stepsDone + 1;
    const lastStep = this.#stepsDone + chunk;
    // Rows are numbered from the window that holds `firstStep`.
    const firstRowStart = Math.floor((firstStep - 1) / window) * window + 1;
    const rows = Math.floor((lastStep - firstRowStart) / window) + 1;
    records.fill(0, 0, rows * stride);
    records.set(group.pending, 0);
    histograms.fill(0, 0, rows * kHistogramBins);
    let divergedAt = 0;

    for (let agent = 0; agent < group.agents; agent++) {
      const prefsOffset = agent * k;
      stepper.loadArms(c, normals, agent * k);
      stepper.policy(group.prefs, prefsOffset, c);
      for (let step = firstStep; step <= lastStep; step++) {
        const row = Math.floor((step - firstRowStart) / window);
        // Only recorded rows measure; of those, 'last' rows measure their window's last step only.
        const recorded = rowRecorded[row] === 1;
        const measured = recorded && (!lastOnly || step % window === 0);
        stepper.takeStep(group.prefs, prefsOffset, group.rewardMean, group.ema, group.extra, agent, first + agent, step, c, measured);
        if (!stepper.healthy) {
          if (divergedAt === 0 || step < divergedAt) divergedAt = step;
          break;
        }
        if (measured) stepper.accumulateActionStats(records, row * stride, c);
        stepper.policy(group.prefs, prefsOffset, c);
        if (measured) stepper.accumulatePolicyStats(records, row * stride, group.prefs, prefsOffset, c);
        if (recorded && step % window === 0) histograms[row * kHistogramBins + histogramBin(stepper.histogramValue(c))]++;
      }
    }

    for (let row = 0; row < rows; row++) {
      const rowEnd = firstRowStart + (row + 1) * window - 1;
      if (rowEnd > lastStep) {
        group.pending.set(records.subarray(row * stride, (row + 1) * stride));
        break;
      }
      if (divergedAt > 0 && rowEnd >= divergedAt) break;
      if (rowEnd === lastStep) group.pending.fill(0);
      if (rowRecorded[row] === 0) continue;
      if (sums) {
        sink.record(groupIndex, rowEnd, records.subarray(row * stride, (row + 1) * stride), histograms.subarray(row * kHistogramBins, (row + 1) * kHistogramBins));
      } else {
        finishRecord(records, row * stride, this.#finished, this.#arms);
        this.#rows.emit(sink, groupIndex, rowEnd, this.#finished, 0, histograms, row * kHistogramBins);
      }
    }
    if (divergedAt > 0) {
      group.divergedAt = divergedAt;
      sink.diverged?.(groupIndex, divergedAt, divergenceMessage(groupIndex, divergedAt));
    }
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    this.#live.set(group, patch, this.#stepsDone);
  }

  get paramChanges(): readonly ParamChange[] {
    return this.#live.changes;
  }

  async trajectory(group: number, agent: number, fromStep = 1): Promise<Trajectory> {
    return replayAgent(this.config, this.#live.changes, group, agent, this.#stepsDone, fromStep);
  }

  async readAgent(group: number, agent: number): Promise<AgentState> {
    const state = this.#groups[group];
    if (!state || !Number.isInteger(agent) || agent < 0 || agent >= state.agents) {
      throw new RangeError(`no agent ${agent} in group ${group}`);
    }
    const k = this.#arms;
    const words = this.#live.constants[group].extraWords;
    return {
      prefs: state.prefs.slice(agent * k, (agent + 1) * k),
      rewardMean: state.rewardMean[agent],
      ema: state.ema[agent],
      extra: state.extra.slice(agent * words, (agent + 1) * words),
    };
  }

  async readAgents(group: number): Promise<AgentStates> {
    const state = this.#groups[group];
    return { prefs: state.prefs.slice(), rewardMean: state.rewardMean.slice(), ema: state.ema.slice(), extra: state.extra.slice() };
  }

  /** Overwrites a group's agent state, extra words only where given (tests start CPU and GPU from one state this way). */
  writeAgents(group: number, states: AgentStates): void {
    const state = this.#groups[group];
    state.prefs.set(states.prefs);
    state.rewardMean.set(states.rewardMean);
    state.ema.set(states.ema);
    state.extra.set(states.extra);
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
 * The record of sums at `sums[base ..]` as means, and variances in the second-moment slots,
 * written to `out` as the GPU's finalize pass writes them.
 */
export function finishRecord(sums: ArrayLike<number>, base: number, out: Float64Array, arms: number): void {
  const count = sums[base + kAcc.count];
  const length = recordLength(arms);
  out[kAcc.count] = count;
  for (let slot = 1; slot < length; slot++) out[slot] = sums[base + slot] / count;
  out[kAcc.sqNorm2] = Math.max(0, out[kAcc.sqNorm2] - out[kAcc.sqNorm] * out[kAcc.sqNorm]);
  const { grad, grad2 } = recordBlocks(arms);
  for (let j = 0; j < arms; j++) out[grad2 + j] = Math.max(0, out[grad2 + j] - out[grad + j] * out[grad + j]);
}

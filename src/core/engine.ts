/**
 * The interface every engine implements (the CPU reference engine here, the GPU engine in
 * src/gpu): the page, `sim` and the benchmark use it and nothing else.
 */
import type { ExperimentConfig } from './config.ts';
import type { ParamChange } from './groups.ts';
import type { Params } from './schema.ts';
import type { StatsLayout, StatsSink } from './stats.ts';

export type EngineKind = 'cpu' | 'gpu';

/** The parameters of a group that can change while it runs (from the next step on). */
export type LiveParams = Pick<
  Params,
  'lr' | 'temperature' | 'baseline' | 'baselineRate' | 'criticLr' | 'offset' | 'scale' | 'spread' | 'noise' | 'means'
>;

/** The parameters of one stretch of a trajectory: from `fromStep` on, until the next phase. */
export interface TrajectoryPhase {
  /** First step (1-based) these parameters applied to. */
  fromStep: number;
  /** The group's parameters then (live changes applied). */
  params: Params;
  /** Each arm's expected reward for this agent then (offset and scale applied, f32). */
  armMeans: Float32Array;
  /** The agent's best arm then (the first of equal means). */
  bestArm: number;
  /** The same per context (`contexts` x arms, context-major; context 0's are `armMeans`). */
  contextArmMeans: Float32Array;
  contextBestArms: number[];
}

/**
 * Steps `firstStep` to `steps` of one agent, as `trajectory` replays them (always from step 1;
 * only the steps from `firstStep` on are kept). Per-step arrays hold `steps - firstStep + 1`
 * entries, per-arm arrays are step-major ((t - firstStep) * arms + j).
 */
export interface Trajectory {
  group: number;
  agent: number;
  arms: number;
  /** The last step replayed (the engine's `stepsDone` when it was asked). */
  steps: number;
  /** The first step kept (1 unless the caller asked for fewer). */
  firstStep: number;
  /** Preferences, reward mean and ema before `firstStep` (zeros and the initial baseline at step 1). */
  initialPrefs: Float32Array;
  initialRewardMean: number;
  initialEma: number;
  /** The extra state before `firstStep` (`extraWords` words: epsilon-greedy's pull counts). */
  initialExtra: Float32Array;
  /** The policy the action was drawn from (before the update). */
  probs: Float32Array;
  /** The uniform u in [0, 1) that drew the action (word 0 of the step's Philox call). */
  uniforms: Float32Array;
  /** The gaussian policy's action x at each step (0 for arms: see `actions`). */
  continuousActions: Float32Array;
  /** The context each step saw (0 without contexts; `prefs` are context 0's, the others' are in `extras`). */
  contexts: Uint8Array;
  actions: Uint8Array;
  rewards: Float32Array;
  baselines: Float32Array;
  advantages: Float32Array;
  /** The gradient estimate (R - b) * (1[j = a] - pi_j) / T, without the learning rate. */
  gradients: Float32Array;
  /** Preferences after the update (epsilon-greedy: the action values Q). */
  prefs: Float32Array;
  /** The extra state after each step, step-major (`extraWords` words a step: `extraLayout` says what they are). */
  extras: Float32Array;
  /** The baselines' state after each step: the mean of all rewards so far, and the ema. */
  rewardMeans: Float32Array;
  emas: Float32Array;
  /** The parameters in effect, in step order; phases starting after `steps` are left out. */
  phases: TrajectoryPhase[];
}

/** One agent's state in an engine (what `readAgent` copies out). */
export interface AgentState {
  /** Preferences (epsilon-greedy: action values). */
  prefs: Float32Array;
  rewardMean: number;
  ema: number;
  /** The group's `extraWords` words of further state (`extraLayout`: critic values, pull counts, ...). */
  extra: Float32Array;
}

/** The full state of a group's agents (for export and for engine-to-engine checks). */
export interface AgentStates {
  /** agents x arms preferences, agent-major. */
  prefs: Float32Array;
  /** Mean of all rewards so far (the `average` baselines read it). */
  rewardMean: Float32Array;
  /** The exponential baseline. */
  ema: Float32Array;
  /**
   * agents x `extraWords` further words, agent-major (`extraLayout`: critic values, pull counts,
   * ...). Written back empty, an engine leaves them as they are.
   */
  extra: Float32Array;
}

export interface Engine {
  readonly kind: EngineKind;
  /** What runs it, for status lines: "CPU reference engine", an adapter's name. */
  readonly description: string;
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  /** Steps every group has taken. */
  readonly stepsDone: number;
  /**
   * Advances every group by `steps` steps, handing each finished row to `sink`. `rowEvery`
   * (default 1): only rows whose last step is a multiple of `rowEvery * window` are measured and
   * handed out; the other steps run without statistics (the agents' states are the same either
   * way). A window that an earlier advance began keeps the `rowEvery` it began with.
   */
  advance(steps: number, sink: StatsSink, rowEvery?: number): Promise<void>;
  /** Changes a group's live parameters from the next step on, without a reset. Throws ConfigError. */
  setGroupParams(group: number, patch: Partial<LiveParams>): void;
  /**
   * Replays one agent from step 1 to `stepsDone` (with every live change at its step), keeping
   * the steps from `fromStep` on (default 1: all of them).
   */
  trajectory(group: number, agent: number, fromStep?: number): Promise<Trajectory>;
  readAgents(group: number): Promise<AgentStates>;
  /** One agent's state now, without copying the rest of the group (the inspector's check). */
  readAgent(group: number, agent: number): Promise<AgentState>;
  /** Every live change since the start, in order (replays of many agents apply them). */
  readonly paramChanges: readonly ParamChange[];
  /** Step at which a group's preferences became non-finite, or 0 while it is healthy. */
  divergedAt(group: number): number;
  dispose(): void;
}

/** `advance`'s `rowEvery`: a whole number from 1 (a RangeError names it otherwise). */
export function checkRowEvery(rowEvery: number): number {
  if (!Number.isInteger(rowEvery) || rowEvery < 1) throw new RangeError(`rowEvery must be a whole number >= 1, got ${rowEvery}`);
  return rowEvery;
}

/**
 * Whether `advance` with `rowEvery` measures the window that ends at step `windowEnd`: those
 * ending at multiples of `rowEvery` windows. A window that one advance leaves unfinished keeps
 * the decision made where it began.
 */
export function windowRecorded(windowEnd: number, window: number, rowEvery: number): boolean {
  return windowEnd % (window * rowEvery) === 0;
}

/**
 * The interface every engine implements (the CPU reference engine here, the GPU engine in
 * src/gpu): the page, `sim` and the benchmark use it and nothing else.
 */
import type { ExperimentConfig } from './config.ts';
import type { Params } from './schema.ts';
import type { StatsLayout, StatsSink } from './stats.ts';

export type EngineKind = 'cpu' | 'gpu';

/** The parameters of a group that can change while it runs (from the next step on). */
export type LiveParams = Pick<
  Params,
  'lr' | 'temperature' | 'baseline' | 'baselineRate' | 'offset' | 'scale' | 'spread' | 'noise' | 'means'
>;

/** Every step of one agent, as `trajectory` replays it. Per-arm arrays are step-major (t * arms + j). */
export interface Trajectory {
  group: number;
  agent: number;
  arms: number;
  steps: number;
  /** The policy the action was drawn from (before the update). */
  probs: Float32Array;
  actions: Uint8Array;
  rewards: Float32Array;
  baselines: Float32Array;
  advantages: Float32Array;
  /** The gradient estimate (R - b) * (1[j = a] - pi_j) / T, without the learning rate. */
  gradients: Float32Array;
  /** Preferences after the update. */
  prefs: Float32Array;
}

/** The full state of a group's agents (for export and for engine-to-engine checks). */
export interface AgentStates {
  /** agents x arms preferences, agent-major. */
  prefs: Float32Array;
  /** Mean of all rewards so far (the `average` baselines read it). */
  rewardMean: Float32Array;
  /** The exponential baseline. */
  ema: Float32Array;
}

export interface Engine {
  readonly kind: EngineKind;
  /** What runs it, for status lines: "CPU reference engine", an adapter's name. */
  readonly description: string;
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  /** Steps every group has taken. */
  readonly stepsDone: number;
  /** Advances every group by `steps` steps, handing each finished row to `sink`. */
  advance(steps: number, sink: StatsSink): Promise<void>;
  /** Changes a group's live parameters from the next step on, without a reset. Throws ConfigError. */
  setGroupParams(group: number, patch: Partial<LiveParams>): void;
  /** Replays one agent from step 1 to `stepsDone` (with every live change at its step). */
  trajectory(group: number, agent: number): Promise<Trajectory>;
  readAgents(group: number): Promise<AgentStates>;
  /** Step at which a group's preferences became non-finite, or 0 while it is healthy. */
  divergedAt(group: number): number;
  dispose(): void;
}

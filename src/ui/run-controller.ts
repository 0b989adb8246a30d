/**
 * The frame loop. Once per animation frame it hands new rows to the charts and, while playing,
 * starts the next `advance()` if none is in flight: at most one outstanding advance, never an
 * await inside the frame callback, nothing allocated per frame but the engine's own promise.
 *
 * A RunSession is one engine's run as the charts see it: its history, arms and group labels.
 * Every engine (a restart, a reset) gets a new session; rows of a replaced engine are dropped.
 * A RunStatus is what the run bar shows of the run: the engine, the progress, the play state.
 */
import { createContext } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ExperimentConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import type { StatsSink } from '../core/stats.ts';
import { StatsHistory } from './stats-history.ts';

export class RunSession {
  readonly history: StatsHistory;
  /** The config the engine was built with (live changes since are not in it). */
  readonly config: ExperimentConfig;
  readonly arms: number;
  /** One short label per group ('' for a single group). */
  readonly labels: readonly string[];
  /** The step budget (`steps`): charts span 0..budget. Live: the controller updates it. */
  budget: number;
  readonly #listeners = new Set<() => void>();

  constructor(config: ExperimentConfig, history: StatsHistory, labels: readonly string[], budget: number) {
    this.config = config;
    this.history = history;
    this.arms = history.layout.arms;
    this.labels = labels;
    this.budget = budget;
  }

  get groups(): number {
    return this.history.groups;
  }

  /** Every agent has its own arm values (gaussian): per-arm means mix different best arms. */
  get ownArmValues(): boolean {
    return this.config.params.env === 'gaussian' && this.config.groups.every((g) => (g.env ?? 'gaussian') === 'gaussian');
  }

  /** Called once per frame that has new rows (or a new budget). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** The current run, for the charts. */
export const runSessionContext = createContext<RunSession | null>(Symbol('pg-run-session'));

/** The run bar's view of the run, replaced by a new object on every change it shows. */
export interface RunStatus {
  /** "WebGPU: <adapter>" or "CPU fallback (reason)"; '' while WebGPU opens. */
  readonly engine: string;
  /** The CPU engine runs because WebGPU is missing or failed. */
  readonly fallback: boolean;
  /** An engine runs the current config and takes commands. */
  readonly ready: boolean;
  readonly playing: boolean;
  /** The run reached its step budget. */
  readonly atBudget: boolean;
  readonly stepsDone: number;
  readonly budget: number;
  /** Agents per group (empty while no engine runs). */
  readonly agents: readonly number[];
  readonly agentStepsPerSecond: number;
  /** Steps per frame. */
  readonly speed: number;
}

export const runStatusContext = createContext<RunStatus>(Symbol('pg-run-status'));

export interface RunControllerOptions {
  /** An advance failed (device lost, a GPU error): the host decides what runs next. */
  onError(error: unknown, wasPlaying: boolean): void;
}

export class RunController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #options: RunControllerOptions;
  engine: Engine | null = null;
  playing = false;
  #session: RunSession | null = null;
  #speed = 5;
  /** Where "step" or "run N" stops; null: play to the budget. */
  #target: number | null = null;
  #generation = 0;
  #inflight: Promise<void> | null = null;
  #frame = 0;
  #connected = false;
  #drawnRevision = -1;
  #sink: StatsSink | null = null;
  // Throughput: agent-steps over the time advances were in flight, over about a second.
  #rateSteps = 0;
  #rateTime = 0;
  #agentStepsPerSecond = 0;
  #totalAgents = 0;

  constructor(host: ReactiveControllerHost, options: RunControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  get agentStepsPerSecond(): number {
    return this.#agentStepsPerSecond;
  }

  /** Steps per advance (one advance per frame at most). */
  get speed(): number {
    return this.#speed;
  }

  set speed(steps: number) {
    this.#speed = steps;
    this.#host.requestUpdate();
  }

  get busy(): boolean {
    return this.#inflight !== null;
  }

  get atBudget(): boolean {
    return !!this.engine && !!this.#session && this.engine.stepsDone >= this.#session.budget;
  }

  hostConnected(): void {
    this.#connected = true;
    this.#schedule();
  }

  hostDisconnected(): void {
    this.#connected = false;
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.detach();
  }

  /** Runs `engine` from now on; the previous engine is disposed once its advance settles. */
  attach(engine: Engine, session: RunSession): void {
    this.detach();
    this.engine = engine;
    this.#session = session;
    const history = session.history;
    this.#sink = {
      record: (group, step, values, histogram) => history.record(group, step, values, histogram),
      diverged: (group, step, message) => history.markDiverged(group, step, message),
    };
    this.#totalAgents = history.agents.reduce((a, b) => a + b, 0);
    this.#drawnRevision = -1;
    this.#rateSteps = 0;
    this.#rateTime = 0;
    this.#agentStepsPerSecond = 0;
    this.#schedule();
    this.#host.requestUpdate();
  }

  /** Stops using the current engine (disposing it once idle) and returns nothing to draw. */
  detach(): void {
    this.#generation++;
    const engine = this.engine;
    const inflight = this.#inflight;
    this.engine = null;
    this.#inflight = null;
    this.#sink = null;
    if (engine) {
      if (inflight) void inflight.finally(() => engine.dispose());
      else engine.dispose();
    }
  }

  play(): void {
    this.#target = null;
    this.playing = true;
    this.#schedule();
    this.#host.requestUpdate();
  }

  pause(): void {
    this.playing = false;
    this.#target = null;
    this.#host.requestUpdate();
  }

  /** Runs `steps` more steps (past the budget if asked), then pauses. */
  runSteps(steps: number): void {
    if (!this.engine) return;
    this.#target = this.engine.stepsDone + Math.max(1, Math.floor(steps));
    this.playing = true;
    this.#schedule();
    this.#host.requestUpdate();
  }

  /** The budget changed (a live parameter): charts redraw their x range. */
  setBudget(budget: number): void {
    if (!this.#session) return;
    this.#session.budget = budget;
    this.#drawnRevision = -1;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#connected && this.#frame === 0) this.#frame = requestAnimationFrame(this.#tick);
  }

  readonly #tick = (): void => {
    this.#frame = 0;
    const session = this.#session;
    if (session && session.history.revision !== this.#drawnRevision) {
      this.#drawnRevision = session.history.revision;
      session.notify();
    }
    const engine = this.engine;
    if (engine && session && this.playing && this.#inflight === null) {
      // Engines count steps when an advance starts; none is in flight here.
      const stop = this.#target ?? session.budget;
      const remaining = stop - engine.stepsDone;
      if (remaining <= 0) {
        this.playing = false;
        this.#target = null;
        this.#host.requestUpdate();
      } else {
        this.#launch(engine, Math.min(this.#speed, remaining));
      }
    }
    if (this.playing || this.#inflight !== null) this.#schedule();
  };

  #launch(engine: Engine, steps: number): void {
    const generation = this.#generation;
    const started = performance.now();
    const sink = this.#sink as StatsSink;
    this.#inflight = engine.advance(steps, sink).then(
      () => {
        if (generation !== this.#generation) return;
        this.#inflight = null;
        this.#rateSteps += steps * this.#totalAgents;
        this.#rateTime += performance.now() - started;
        if (this.#rateTime >= 1000 || this.#agentStepsPerSecond === 0) {
          if (this.#rateTime > 0) this.#agentStepsPerSecond = (this.#rateSteps / this.#rateTime) * 1000;
          if (this.#rateTime >= 1000) {
            this.#rateSteps = 0;
            this.#rateTime = 0;
          }
        }
        this.#schedule();
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        this.#inflight = null;
        const wasPlaying = this.playing;
        this.playing = false;
        this.#options.onError(error, wasPlaying);
        this.#host.requestUpdate();
      },
    );
  }
}

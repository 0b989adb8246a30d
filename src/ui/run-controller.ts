/**
 * The frame loop. Once per animation frame it hands new rows to the charts and, while playing,
 * starts the next `advance()` if none is in flight: at most one outstanding advance, never an
 * await inside the frame callback, nothing allocated per frame but the engine's own promise.
 *
 * A RunSession is one engine's run as the charts see it: its history, arms, group labels and
 * colours, and the live changes made so far. Every engine (a restart, a reset) gets a new
 * session; rows of a replaced engine are dropped.
 * A RunStatus is what the run bar shows of the run: the engine, the progress, the play state.
 *
 * A run replayed from a link (or a reset) carries the live changes it recorded: the loop never
 * lets an advance cross the step of the next one, applies it to the engine when exactly that
 * many steps are done, and goes on, so the replay meets every change at the step it met it first.
 */
import { createContext } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ExperimentConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import type { ParamChange } from '../core/groups.ts';
import { ConfigError } from '../core/schema.ts';
import type { StatsSink } from '../core/stats.ts';
import { type ChangeMarker, changeMarkers, shortGroupLabels } from './charts/annotations.ts';
import { type GroupColour, groupColours } from './palette.ts';
import { StatsHistory } from './stats-history.ts';

export class RunSession {
  readonly history: StatsHistory;
  /** The config the engine was built with (live changes since are not in it). */
  readonly config: ExperimentConfig;
  readonly arms: number;
  /** One label per group, every distinguishing parameter named ('' for a single group). */
  readonly labels: readonly string[];
  /** Labels for the ends of lines: "no baseline", "lr 0.1" ('' for a single group). */
  readonly shortLabels: readonly string[];
  /** Each group's colour, from its parameters (palette.ts): the same meaning on every chart. */
  readonly colours: readonly GroupColour[];
  /** The step budget (`steps`): charts span 0..budget. Live: the controller updates it. */
  budget: number;
  readonly #listeners = new Set<() => void>();
  readonly #changes: () => readonly ParamChange[];
  #markers: ChangeMarker[] = [];
  #markedChanges = 0;

  /** `changes`: the engine's live changes so far (applied ones only). */
  constructor(config: ExperimentConfig, history: StatsHistory, labels: readonly string[], budget: number, changes: () => readonly ParamChange[] = () => []) {
    this.config = config;
    this.history = history;
    this.arms = history.layout.arms;
    this.labels = labels;
    this.shortLabels = shortGroupLabels(config);
    this.colours = groupColours(config);
    this.budget = budget;
    this.#changes = changes;
  }

  /** The live changes made so far, one marker per step ("lr 0.1→5"), for the time charts. */
  get markers(): readonly ChangeMarker[] {
    const changes = this.#changes();
    if (changes.length !== this.#markedChanges) {
      this.#markedChanges = changes.length;
      this.#markers = changeMarkers(this.config, changes, this.shortLabels);
    }
    return this.#markers;
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
  /** Recorded changes were applied at their step (the page shows the values now in effect). */
  replayed?(changes: readonly ParamChange[]): void;
  /** The engine refused a recorded change: it is dropped, the run goes on without it. */
  refusedChange?(change: ParamChange, error: ConfigError): void;
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
  // Throughput over wall-clock time while the run goes (frames between advances included, what
  // the user waits for), over about a second; idle time (paused) starts a new measurement.
  #rateSteps = 0;
  /** When the current measurement began; 0 while idle. */
  #rateSince = 0;
  #agentStepsPerSecond = 0;
  #totalAgents = 0;
  /** Recorded changes still to apply, in step order: advances stop at the first one's step. */
  #pending: ParamChange[] = [];

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

  /** The recorded changes not reached yet. */
  get pending(): readonly ParamChange[] {
    return this.#pending;
  }

  /**
   * Runs `engine` from now on; the previous engine is disposed once its advance settles.
   * `pending`: recorded changes to apply when the run reaches their steps.
   */
  attach(engine: Engine, session: RunSession, pending: readonly ParamChange[] = []): void {
    this.detach();
    this.engine = engine;
    this.#session = session;
    this.#pending = [...pending].sort((a, b) => a.afterStep - b.afterStep);
    const history = session.history;
    this.#sink = {
      record: (group, step, values, histogram) => history.record(group, step, values, histogram),
      diverged: (group, step, message) => history.markDiverged(group, step, message),
    };
    this.#totalAgents = history.agents.reduce((a, b) => a + b, 0);
    this.#drawnRevision = -1;
    this.#rateSteps = 0;
    this.#rateSince = 0;
    this.#agentStepsPerSecond = 0;
    this.applyDue();
    this.#schedule();
    this.#host.requestUpdate();
  }

  /**
   * Applies the recorded changes whose step the engine has reached. An advance never crosses a
   * change's step, so "reached" is "exactly at". Safe while an advance is in flight: engines
   * count its steps when it starts and apply a change from the step after those. A live change
   * made now goes after these (call this first), as it did when the run was recorded.
   */
  applyDue(): void {
    const engine = this.engine;
    if (!engine) return;
    const applied: ParamChange[] = [];
    while (this.#pending.length > 0 && this.#pending[0].afterStep <= engine.stepsDone) {
      const change = this.#pending.shift() as ParamChange;
      try {
        engine.setGroupParams(change.group, change.patch);
        applied.push(change);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        this.#options.refusedChange?.(change, error);
      }
    }
    if (applied.length > 0) {
      this.changed();
      this.#options.replayed?.(applied);
    }
  }

  /** A live change was made to the engine: the charts redraw their markers. */
  changed(): void {
    if (this.#session) this.#session.history.revision++;
    this.#schedule();
  }

  /** Stops using the current engine (disposing it once idle) and returns nothing to draw. */
  detach(): void {
    this.#generation++;
    const engine = this.engine;
    const inflight = this.#inflight;
    this.engine = null;
    this.#inflight = null;
    this.#sink = null;
    this.#pending = [];
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
      this.applyDue();
      const stop = this.#target ?? session.budget;
      const remaining = stop - engine.stepsDone;
      if (remaining <= 0) {
        this.playing = false;
        this.#target = null;
        this.#host.requestUpdate();
      } else {
        // Never past the next recorded change: it must apply after exactly its step.
        const untilChange = this.#pending.length > 0 ? this.#pending[0].afterStep - engine.stepsDone : Infinity;
        this.#launch(engine, Math.min(this.#speed, remaining, untilChange));
        this.applyDue();
      }
    }
    if (this.playing || this.#inflight !== null) this.#schedule();
    else {
      this.#rateSince = 0;
      this.#rateSteps = 0;
    }
  };

  #launch(engine: Engine, steps: number): void {
    const generation = this.#generation;
    if (this.#rateSince === 0) this.#rateSince = performance.now();
    const sink = this.#sink as StatsSink;
    this.#inflight = engine.advance(steps, sink).then(
      () => {
        if (generation !== this.#generation) return;
        this.#inflight = null;
        this.#rateSteps += steps * this.#totalAgents;
        const now = performance.now();
        const elapsed = now - this.#rateSince;
        if (elapsed >= 1000 || this.#agentStepsPerSecond === 0) {
          if (elapsed > 0) this.#agentStepsPerSecond = (this.#rateSteps / elapsed) * 1000;
          if (elapsed >= 1000) {
            this.#rateSteps = 0;
            this.#rateSince = now;
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

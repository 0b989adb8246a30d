/**
 * The frame loop. Once per animation frame it hands new rows to the charts and, while playing,
 * starts the next `advance()` if none is in flight: at most one outstanding advance, never an
 * await inside the frame callback, nothing allocated per frame but the engine's own promise.
 *
 * Advances are sized by time (advance-size.ts): about 40 ms of engine work each, at most the
 * user's speed (steps per frame; Infinity, "max", is no cap), and one step for the first advance
 * of an engine, so the first point comes after one step's work. Pause stops the loop from starting
 * another advance: it waits for the one in flight only. An advance in flight for longer than
 * `kLongAdvanceMs` (one step of a huge population) is reported as progress to the run bar.
 * Advances ask the engine only for the rows the charts can use (`rowSchedule`, a function of the
 * step, so that a reset records the same rows; an advance never crosses a change of spacing):
 * every step while the user watches slowly (a speed of `kEveryStepSpeed` or less, or Step / Run
 * of as few steps), asks for it, or a stop condition watches the rows.
 *
 * A stop condition (`stopWhen`, core/stop.ts) watches every row: the steps at which each group
 * first met it are reported, and the run pauses once every group has (Play goes on past it).
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
import { StopTracker, parseStopCondition } from '../core/stop.ts';
import { type ChangeMarker, changeMarkers, shortGroupLabels } from './charts/annotations.ts';
import { type RowSchedule, kEveryStepSpeed, kMaxSpeed, nextAdvanceSteps, rowSchedule, updateMsPerStep } from './advance-size.ts';
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
  /** The most steps per frame the user allows; Infinity ("max"): as many as the time target allows. */
  readonly speed: number;
  /** Steps the latest advance took (0 before the first). */
  readonly advanceSteps: number;
  /** The measured wall-clock cost of a step (ms), null before the first advance settles. */
  readonly msPerStep: number | null;
  /** The advance in flight when it has computed for longer than `kLongAdvanceMs` or is expected to, else null. */
  readonly computing: AdvanceProgress | null;
  /** The latest advance's rows: one per this many windows (1: every row). */
  readonly rowEvery: number;
  /** The user asked for every step's row. */
  readonly everyStep: boolean;
  /** The stop condition as typed ('' for none), and why it was refused ('' if it was not). */
  readonly stopWhen: string;
  readonly stopError: string;
  /** Per group, the step its rows first met the condition (null: not yet); empty without one. */
  readonly stopSteps: readonly (number | null)[];
  /** Short group labels ("no baseline", "lr 0.1"; '' for a single group), for the report. */
  readonly groupLabels: readonly string[];
}

/** An advance in flight: the steps it computes (1-based, both ends included) and for how long so far. */
export interface AdvanceProgress {
  readonly firstStep: number;
  readonly lastStep: number;
  readonly elapsedMs: number;
}

/** An advance in flight longer than this shows its progress (shorter ones come and go too fast to read). */
export const kLongAdvanceMs = 300;
/** The status line follows the run at a few updates a second, not every frame. */
export const kStatusIntervalMs = 200;

export const runStatusContext = createContext<RunStatus>(Symbol('pg-run-status'));

export interface RunControllerOptions {
  /** An advance failed (device lost, a GPU error): the host decides what runs next. */
  onError(error: unknown, wasPlaying: boolean): void;
  /** Recorded changes were applied at their step (the page shows the values now in effect). */
  replayed?(changes: readonly ParamChange[]): void;
  /** The engine refused a recorded change: it is dropped, the run goes on without it. */
  refusedChange?(change: ParamChange, error: ConfigError): void;
  /** A long advance's progress changed (every `kStatusIntervalMs`), or a long advance settled. */
  progressed?(): void;
}

export class RunController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #options: RunControllerOptions;
  engine: Engine | null = null;
  playing = false;
  #session: RunSession | null = null;
  #speed: number = kMaxSpeed;
  /** Estimated wall-clock cost of a step (ms) for the current engine; null until one advance settles. */
  #msPerStep: number | null = null;
  /** What the sizing chose for the latest advance (before the budget and recorded changes cut it). */
  #sizedSteps = 0;
  /** Steps the latest advance took. */
  #advanceSteps = 0;
  #launchedAt = 0;
  /** The in-flight advance is expected to take longer than `kLongAdvanceMs` (from the steps' measured cost). */
  #expectedLong = false;
  /** The in-flight advance computes steps #firstStep..#lastStep. */
  #firstStep = 0;
  #lastStep = 0;
  /** When the run bar was last told about a long advance's progress. */
  #progressAt = 0;
  /** The latest advance's rowEvery (Engine.advance), and the schedule it came from (one object, refilled). */
  #rowEvery = 1;
  readonly #rows: RowSchedule = { rowEvery: 1, until: 0 };
  #everyStep = false;
  /** The stop condition's text ('' for none) and its tracker for the current session. */
  #stopWhen = '';
  #stopError = '';
  #stopTracker: StopTracker | null = null;
  /** Every group had met the condition at the last check: the run paused once for it. */
  #stopDone = false;
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

  /** The most steps per advance (one advance per frame at most); Infinity: no cap, time alone sizes it. */
  get speed(): number {
    return this.#speed;
  }

  set speed(steps: number) {
    // Not a number of steps: the default (max), not a stalled loop.
    this.#speed = steps >= 1 ? Math.floor(steps) : kMaxSpeed;
    this.#host.requestUpdate();
  }

  /** Steps the latest advance took (0 before the first). */
  get advanceSteps(): number {
    return this.#advanceSteps;
  }

  /** The latest advance's rowEvery: its rows came every this many windows. */
  get rowEvery(): number {
    return this.#rowEvery;
  }

  /** Every step's row, whatever the speed (the charts' full detail; the GPU computes more statistics). */
  get everyStep(): boolean {
    return this.#everyStep;
  }

  set everyStep(on: boolean) {
    this.#everyStep = on;
    this.#host.requestUpdate();
  }

  /** The stop condition as typed ('' for none). */
  get stopWhen(): string {
    return this.#stopWhen;
  }

  /** Why the stop condition was refused ('' when it was not). */
  get stopError(): string {
    return this.#stopError;
  }

  /**
   * Watches the rows for `text` (`frac_optimal>=0.9`; '' removes it). A refused text leaves no
   * condition and says why (`stopError`). Set during a run, it reads the rows kept so far first.
   */
  set stopWhen(text: string) {
    this.#stopWhen = text.trim();
    this.#trackStop();
    this.#host.requestUpdate();
  }

  /** Per group, the step its rows first met the stop condition (null: not yet); empty without one. */
  get stopSteps(): readonly (number | null)[] {
    return this.#stopTracker?.steps ?? [];
  }

  #trackStop(): void {
    this.#stopTracker = null;
    this.#stopError = '';
    this.#stopDone = false;
    const session = this.#session;
    if (this.#stopWhen === '' || !session) return;
    const history = session.history;
    try {
      this.#stopTracker = new StopTracker(parseStopCondition(this.#stopWhen, history.layout), history.groups);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#stopError = error.errors.map((e) => e.message).join('; ');
      return;
    }
    // The rows so far, as kept (every row unless the history thinned them).
    const values = new Float64Array(history.layout.count);
    for (let g = 0; g < history.groups; g++) {
      const columns = history.columns[g];
      for (let r = 0; r < history.counts[g]; r++) {
        for (let c = 0; c < columns.length; c++) values[c] = columns[c][r];
        this.#stopTracker.record(g, history.steps[r], values);
      }
    }
    this.#stopDone = this.#stopTracker.allReached;
  }

  /** The measured wall-clock cost of one step (ms) with the current engine; null before one advance settled. */
  get msPerStep(): number | null {
    return this.#msPerStep;
  }

  /**
   * The advance in flight, when it has run for longer than `kLongAdvanceMs` or is expected to
   * (then its progress shows from its start, steadily, step after step); else null.
   */
  get computing(): AdvanceProgress | null {
    if (this.#inflight === null) return null;
    const elapsedMs = performance.now() - this.#launchedAt;
    return this.#expectedLong || elapsedMs > kLongAdvanceMs ? { firstStep: this.#firstStep, lastStep: this.#lastStep, elapsedMs } : null;
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
      record: (group, step, values, histogram) => {
        history.record(group, step, values, histogram);
        this.#stopTracker?.record(group, step, values);
      },
      diverged: (group, step, message) => history.markDiverged(group, step, message),
    };
    this.#totalAgents = history.agents.reduce((a, b) => a + b, 0);
    this.#drawnRevision = -1;
    this.#rateSteps = 0;
    this.#rateSince = 0;
    this.#agentStepsPerSecond = 0;
    // A new engine is timed afresh: its first advance is one step.
    this.#msPerStep = null;
    this.#sizedSteps = 0;
    this.#advanceSteps = 0;
    this.#rowEvery = 1;
    this.#trackStop();
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
        const rows = this.#rowSchedule(engine, session);
        this.#rowEvery = rows.rowEvery;
        this.#sizedSteps = nextAdvanceSteps(this.#msPerStep, this.#sizedSteps, this.#speed);
        this.#launch(engine, Math.min(this.#sizedSteps, remaining, untilChange, rows.until - engine.stepsDone));
        this.applyDue();
      }
    } else if (this.#inflight !== null && this.#options.progressed) {
      const now = performance.now();
      if ((this.#expectedLong || now - this.#launchedAt > kLongAdvanceMs) && now - this.#progressAt >= kStatusIntervalMs) {
        this.#progressAt = now;
        this.#options.progressed();
      }
    }
    if (this.playing || this.#inflight !== null) this.#schedule();
    else {
      this.#rateSince = 0;
      this.#rateSteps = 0;
    }
  };

  /** The rows the next advance records (see the top of this file). */
  #rowSchedule(engine: Engine, session: RunSession): RowSchedule {
    const watching = this.#speed <= kEveryStepSpeed || (this.#target !== null && this.#target - engine.stepsDone <= kEveryStepSpeed);
    // A stop condition reads every row: the step it reports is exact.
    const everyStep = this.#everyStep || watching || this.#stopTracker !== null;
    return rowSchedule(engine.stepsDone, session.history.window, session.budget, everyStep, this.#rows);
  }

  #launch(engine: Engine, steps: number): void {
    const generation = this.#generation;
    const launchedAt = performance.now();
    if (this.#rateSince === 0) this.#rateSince = launchedAt;
    this.#launchedAt = launchedAt;
    this.#firstStep = engine.stepsDone + 1;
    this.#lastStep = engine.stepsDone + steps;
    this.#advanceSteps = steps;
    this.#expectedLong = this.#msPerStep !== null && steps * this.#msPerStep > kLongAdvanceMs;
    const sink = this.#sink as StatsSink;
    this.#inflight = engine.advance(steps, sink, this.#rowEvery).then(
      () => {
        if (generation !== this.#generation) return;
        this.#inflight = null;
        if (this.#stopTracker?.allReached && !this.#stopDone) {
          this.#stopDone = true;
          this.playing = false;
          this.#target = null;
          this.#host.requestUpdate();
        }
        this.#rateSteps += steps * this.#totalAgents;
        const now = performance.now();
        this.#msPerStep = updateMsPerStep(this.#msPerStep, steps, now - launchedAt);
        // The run bar drops the progress it showed (or shows the next advance's).
        if (this.#expectedLong || now - launchedAt > kLongAdvanceMs) this.#options.progressed?.();
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

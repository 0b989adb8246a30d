/**
 * The page's engine from start to finish: opens WebGPU (else the CPU engine in a worker), builds
 * an engine for the page's config on every start (first load, restart, reset, fallback) and hands
 * it to the frame loop. A start that a newer one supersedes disposes its engine; the Task drops
 * its result. Live parameter changes go to the running engine, the others restart the run; when
 * WebGPU fails the run starts again on the CPU engine (a lost device is asked for again once
 * first) and the notice names the step that failed; a population the device refuses goes
 * back to the last one that ran.
 *
 * It keeps the run's script: the config the run started from and every live change with the step
 * it took effect at (`script`, what the page's link writes). A link's changes, a Reset and a
 * restart after WebGPU failed replay the script: the same run, each change at its step. A change
 * that needs a restart (New seed, arms, ...) starts a new script from the config the controls
 * show, without the old run's changes; so does a live change made before the first step (it
 * becomes part of the config the run starts from).
 *
 * Provides the run session (for the charts) and the run status (for the run bar) through context.
 */
import { ContextProvider } from '@lit/context';
import { Task, TaskStatus } from '@lit/task';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ExperimentConfig, encodeConfigQuery } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import type { ParamChange } from '../core/groups.ts';
import { applyChange } from '../core/link.ts';
import { ConfigError, formatFieldError, kParamSpecs } from '../core/schema.ts';
import { type ConfigChange, diffConfig, fieldErrorsByKey, groupLabels } from './config-edit.ts';
import { type Backend, createEngine, defaultAgents, errorText, fallbackText, gpuStep, isGpuFailure, openBackend } from './engine-backend.ts';
import type { GpuStep } from '../gpu/device.ts';
import { RunController, RunSession, type RunStatus, kStatusIntervalMs, runSessionContext, runStatusContext } from './run-controller.ts';
import { StatsHistory } from './stats-history.ts';

/** One line about the run: a restart and why, a fallback, a divergence, a failure. */
export interface Notice {
  readonly kind: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** A run as its link records it: the config it started from and its live changes, in step order. */
export interface RunScript {
  readonly config: ExperimentConfig;
  readonly changes: readonly ParamChange[];
}

export interface EngineControllerOptions {
  /** The page's config now: a new run starts from it, live changes are read from it. */
  config(): ExperimentConfig;
  /**
   * The backend is open: the page settles the config the first run builds, and returns the live
   * changes its link recorded (the run replays them).
   */
  opened(backend: Backend): readonly ParamChange[] | void;
  /**
   * The config in effect changed with the run, not by the page: a recorded change reached its
   * step, or a replay went back to the start. The page shows it (and must not apply it again).
   */
  followed?(config: ExperimentConfig): void;
  /** Whether the first run plays at once (asked when it starts: an embed's attributes are there by then). */
  autoplay(): boolean;
  /** The engine refused these values (by parameter key); `fallback`, when given, replaces the page's config. */
  refused(errors: ReadonlyMap<string, string>, fallback?: ExperimentConfig): void;
}

type StartArgs = [backend: Backend, script: RunScript, play: boolean];

export class EngineController implements ReactiveController {
  readonly runner: RunController;
  backend: Backend | null = null;
  notice: Notice | null = null;
  /** Opens the backend and starts the first run (pending until that first start settles). */
  readonly startup: Task<[], void>;
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #options: EngineControllerOptions;
  readonly #builds: Task<StartArgs, void>;
  readonly #session: ContextProvider<typeof runSessionContext>;
  readonly #status: ContextProvider<typeof runStatusContext>;
  /** Whether the engine being built will play (a restart keeps the run's play state). */
  #pendingPlay = false;
  /** An advance failed while playing: the fallback engine picks up playing. */
  #failedWhilePlaying = false;
  #diverged = 0;
  #statusAt = 0;
  /** The config of the last engine that started: where a config the device refuses goes back to. */
  #lastGood: ExperimentConfig | null = null;
  /** A lost device is asked for again once; a second loss (or a refusal) falls back to the CPU. */
  #reopened = false;
  /**
   * The run being built or running: the config it started from and every live change, made or
   * still to replay, in step order (a change made now goes after every one at an earlier step).
   */
  #script: { config: ExperimentConfig; changes: ParamChange[] } | null = null;

  constructor(host: ReactiveControllerHost & HTMLElement, options: EngineControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
    this.runner = new RunController(host, {
      onError: (error, wasPlaying) => this.#onRunError(error, wasPlaying),
      replayed: (changes) => {
        let config = this.#options.config();
        for (const change of changes) config = applyChange(config, change);
        this.#options.followed?.(config);
      },
      refusedChange: (change, error) => {
        const script = this.#script;
        if (script) script.changes = script.changes.filter((c) => c !== change);
        this.#note('warn', `A recorded change was left out at step ${change.afterStep}: ${error.errors.map(formatFieldError).join('; ')}`);
      },
      // A long step brings no rows for a while: the status line says what it computes meanwhile.
      progressed: () => this.#status.setValue(this.#currentStatus()),
    });
    this.#session = new ContextProvider(host, { context: runSessionContext, initialValue: null });
    this.#status = new ContextProvider(host, { context: runStatusContext, initialValue: this.#currentStatus() });
    this.startup = new Task(host, {
      task: async () => {
        const backend = await openBackend(navigator.gpu);
        this.#setBackend(backend);
        if (backend.kind === 'gpu') this.#watchDevice(backend);
        else this.#note('warn', fallbackText(backend.step ?? 'api', backend.reason, false));
        const changes = options.opened(backend) ?? [];
        await this.#start(options.autoplay(), { config: options.config(), changes });
      },
      args: () => [],
    });
    this.#builds = new Task(host, {
      task: (args, { signal }) => this.#build(args, signal),
      autoRun: false,
      onError: (error) => this.#note('error', `The engine failed to start: ${errorText(error)}`),
    });
  }

  /** The current run; null while an engine is being built or when none could start. */
  get session(): RunSession | null {
    return this.#session.value;
  }

  /** Playing now, or about to once the engine being built is ready. */
  get playing(): boolean {
    return this.#builds.status === TaskStatus.PENDING ? this.#pendingPlay : this.runner.playing;
  }

  hostUpdate(): void {
    this.#status.setValue(this.#currentStatus());
  }

  /**
   * The run as a link writes it: the config it started from (with the step budget now) and every
   * live change, made or still to replay, in step order.
   */
  get script(): RunScript {
    const page = this.#options.config();
    const script = this.#script;
    if (!script) return { config: page, changes: [] };
    const steps = page.params.steps;
    const config = script.config.params.steps === steps ? script.config : { ...script.config, params: { ...script.config.params, steps } };
    return { config, changes: script.changes };
  }

  /** Starts again from step 1 and replays the same run, recorded changes included, saying why. */
  restart(why: string, play = this.playing): void {
    this.#note('info', why);
    void this.#start(play);
  }

  /** Runs `script` from step 1 (a link opened in place), saying why. */
  replay(script: RunScript, why: string, play = this.playing): void {
    this.#note('info', why);
    void this.#start(play, script, true);
  }

  /** The page's config went from `previous` to `next`: live changes go to the engine, the rest restart. */
  apply(previous: ExperimentConfig, next: ExperimentConfig, reason: string): void {
    const change = diffConfig(previous, next);
    if (change.budgetChanged) this.runner.setBudget(next.params.steps);
    if (change.restartKeys.length > 0) {
      const what = change.restartKeys.map((k) => (k === 'groups' ? 'the groups' : kParamSpecs.find((s) => s.key === k)?.label ?? k));
      this.#note('info', `Restarted from step 1: ${reason || `${what.join(', ')} changed`}.`);
      void this.#start(this.playing, { config: next, changes: [] });
      return;
    }
    if (!change.patches.some((patch) => Object.keys(patch).length > 0)) return;
    const engine = this.runner.engine;
    if (!engine) return; // the engine being built sees the change when it is ready
    if (engine.stepsDone === 0) {
      // Nothing has run: the value belongs in the config the run starts from (the link then reads
      // lr=5, not "lr changed before step 1"). A fresh engine is the one way that is surely exact.
      void this.#start(this.playing, { config: next, changes: [...this.runner.pending] });
      return;
    }
    this.runner.applyDue();
    this.#patch(engine, change.patches);
    this.runner.changed();
  }

  /**
   * Builds an engine for `script`'s config and runs it, replaying its changes; an older build still
   * in flight is superseded. Without `script`, the current run again (its page config goes back to
   * the start, `follow`).
   */
  #start(play: boolean, script?: RunScript, follow = script === undefined): Promise<void> {
    this.#pendingPlay = play;
    const backend = this.backend;
    if (!backend) return Promise.resolve();
    const from = script ?? this.script;
    const copy = { config: structuredClone(from.config), changes: structuredClone([...from.changes]) };
    this.runner.detach();
    this.#script = copy;
    this.#setSession(null);
    this.#diverged = 0;
    if (follow && encodeConfigQuery(copy.config) !== encodeConfigQuery(this.#options.config())) this.#options.followed?.(structuredClone(copy.config));
    return this.#builds.run([backend, { config: structuredClone(copy.config), changes: copy.changes }, play]);
  }

  async #build([backend, script, play]: StartArgs, signal: AbortSignal): Promise<void> {
    const config = script.config;
    let engine: Engine;
    try {
      engine = await createEngine(backend, config);
    } catch (error) {
      if (signal.aborted) return;
      if (backend.kind === 'gpu' && isGpuFailure(error)) this.#fallBack((error as Error).message, play, gpuStep(error));
      else if (error instanceof ConfigError) this.#refuse(error, backend, config, play);
      else throw error;
      return;
    }
    if (signal.aborted) {
      engine.dispose();
      return;
    }
    // Changes made while the engine was being built: start again from them (a live one keeps the
    // recorded changes, one that needs a restart drops them).
    const change = diffConfig(config, this.#options.config());
    if (change.restartKeys.length > 0 || change.patches.some((patch) => Object.keys(patch).length > 0)) {
      engine.dispose();
      void this.#start(play, { config: this.#options.config(), changes: change.restartKeys.length > 0 ? [] : script.changes });
      return;
    }
    const agents = config.groups.map((group) => group.agents ?? config.params.agents);
    const history = new StatsHistory(config.params.arms, agents, config.params.window);
    const session = new RunSession(config, history, groupLabels(config), this.#options.config().params.steps, () => engine.paramChanges);
    session.subscribe(() => this.#onRows(history));
    this.#lastGood = config;
    this.#setSession(session);
    this.runner.attach(engine, session, script.changes);
    if (play) this.runner.play();
    else this.runner.pause();
  }

  /** The device refuses this config (too many agents): say why and go back to the last run. */
  #refuse(error: ConfigError, backend: Backend, config: ExperimentConfig, play: boolean): void {
    const fallback: ExperimentConfig = this.#lastGood ?? {
      params: { ...config.params, agents: defaultAgents(backend) },
      groups: config.groups.map(({ agents: _dropped, ...group }) => group),
    };
    const retry = encodeConfigQuery(fallback) !== encodeConfigQuery(config);
    this.#options.refused(fieldErrorsByKey(error), retry ? structuredClone(fallback) : undefined);
    if (retry) void this.#start(play, { config: fallback, changes: [] });
    this.#note('error', `This run cannot start here: ${error.errors.map(formatFieldError).join('; ')}`);
  }

  /** Live changes to the running engine, recorded in the script at the step they take effect. */
  #patch(engine: Engine, patches: ConfigChange['patches']): void {
    const script = this.#script;
    try {
      patches.forEach((patch, group) => {
        if (Object.keys(patch).length === 0) return;
        engine.setGroupParams(group, patch);
        if (!script) return;
        // After every change at or before this step (the ones still to replay come later).
        const change: ParamChange = { afterStep: engine.stepsDone, group, patch: structuredClone(patch) };
        const at = script.changes.findIndex((c) => c.afterStep > change.afterStep);
        script.changes.splice(at < 0 ? script.changes.length : at, 0, change);
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#options.refused(fieldErrorsByKey(error));
    }
  }

  /** New rows: a note when a group diverges (its rows stop there), and the status line now and then. */
  #onRows(history: StatsHistory): void {
    if (history.diverged.length !== this.#diverged) {
      this.#diverged = history.diverged.length;
      this.#note('warn', history.diverged.map((d) => d.message).join('; '));
    }
    const now = performance.now();
    if (now - this.#statusAt < kStatusIntervalMs) return;
    this.#statusAt = now;
    this.#status.setValue(this.#currentStatus());
  }

  /**
   * A lost device (driver reset, GPU process crash, another tab's hog) is often fine a moment
   * later: ask for a new one once and restart on it; a second loss, or no new device, falls back.
   */
  #watchDevice(backend: Extract<Backend, { kind: 'gpu' }>): void {
    void backend.context.lost.then(async (reason) => {
      if (this.backend !== backend) return;
      const play = this.playing || this.#failedWhilePlaying;
      if (this.#reopened) {
        this.#fallBack(reason, play, 'lost');
        return;
      }
      this.#reopened = true;
      this.runner.detach();
      const next = await openBackend(navigator.gpu);
      if (this.backend !== backend) return;
      if (next.kind === 'cpu') {
        this.#fallBack(`${reason}; asked once for a new device: ${next.reason}`, play, 'lost');
        return;
      }
      this.#setBackend(next);
      this.#watchDevice(next);
      this.#failedWhilePlaying = false;
      this.#note('warn', `${reason}. Opened a new WebGPU device and restarted from step 1 on it (a second loss falls back to the CPU engine).`);
      void this.#start(play);
    });
  }

  /** WebGPU failed: say at which step in one line and run on the CPU engine in a worker from step 1. */
  #fallBack(reason: string, play: boolean, step: GpuStep): void {
    if (this.backend?.kind === 'cpu') return; // the first report of a failure says why
    this.#setBackend({ kind: 'cpu', reason, step });
    this.#note('warn', fallbackText(step, reason, true));
    void this.#start(play);
  }

  #onRunError(error: unknown, wasPlaying: boolean): void {
    const backend = this.backend;
    if (backend?.kind === 'gpu' && isGpuFailure(error)) {
      this.#failedWhilePlaying = wasPlaying;
      // A lost device also fails the readback in flight: the device watch handles the loss (and
      // asks for a new device); any other GPU failure falls back at once.
      const lost = Promise.race([backend.context.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 250))]);
      void lost.then((reason) => {
        if (reason === null) this.#fallBack((error as Error).message, wasPlaying, gpuStep(error));
      });
      return;
    }
    this.#note('error', `The run stopped: ${errorText(error)}`);
  }

  #setBackend(backend: Backend): void {
    this.backend = backend;
    this.#host.requestUpdate();
  }

  #setSession(session: RunSession | null): void {
    this.#session.setValue(session);
    this.#host.requestUpdate();
  }

  #note(kind: Notice['kind'], text: string): void {
    this.notice = { kind, text };
    this.#host.requestUpdate();
  }

  #currentStatus(): RunStatus {
    const backend = this.backend;
    const session = this.#session.value;
    const runner = this.runner;
    return {
      engine: !backend ? '' : backend.kind === 'gpu' ? `WebGPU: ${backend.context.adapterDescription}` : `CPU fallback (${backend.reason})`,
      fallback: backend?.kind === 'cpu',
      ready: session !== null && runner.engine !== null,
      playing: runner.playing,
      atBudget: runner.atBudget,
      stepsDone: runner.engine?.stepsDone ?? 0,
      budget: session?.budget ?? 0,
      agents: session?.history.agents ?? [],
      agentStepsPerSecond: runner.agentStepsPerSecond,
      speed: runner.speed,
      advanceSteps: runner.advanceSteps,
      msPerStep: runner.msPerStep,
      computing: runner.computing,
      rowEvery: runner.rowEvery,
      everyStep: runner.everyStep,
      stopWhen: runner.stopWhen,
      stopError: runner.stopError,
      stopSteps: runner.stopSteps,
      groupLabels: session?.shortLabels ?? [],
    };
  }
}

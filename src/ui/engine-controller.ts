/**
 * The page's engine from start to finish: opens WebGPU (else the CPU engine in a worker), builds
 * an engine for the page's config on every start (first load, restart, reset, fallback) and hands
 * it to the frame loop. A start that a newer one supersedes disposes its engine; the Task drops
 * its result. Live parameter changes go to the running engine, the others restart the run; when
 * WebGPU fails the run starts again on the CPU engine, and a population the device refuses goes
 * back to the last one that ran.
 *
 * Provides the run session (for the charts) and the run status (for the run bar) through context.
 */
import { ContextProvider } from '@lit/context';
import { Task, TaskStatus } from '@lit/task';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ExperimentConfig, encodeConfigQuery } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { ConfigError, formatFieldError, kParamSpecs } from '../core/schema.ts';
import { type ConfigChange, diffConfig, fieldErrorsByKey, groupLabels } from './config-edit.ts';
import { type Backend, createEngine, defaultAgents, errorText, isGpuFailure, openBackend } from './engine-backend.ts';
import { RunController, RunSession, type RunStatus, runSessionContext, runStatusContext } from './run-controller.ts';
import { StatsHistory } from './stats-history.ts';

/** One line about the run: a restart and why, a fallback, a divergence, a failure. */
export interface Notice {
  readonly kind: 'info' | 'warn' | 'error';
  readonly text: string;
}

export interface EngineControllerOptions {
  /** The page's config now: every start builds it, live changes are read from it. */
  config(): ExperimentConfig;
  /** The backend is open: the page settles the config the first run builds. */
  opened(backend: Backend): void;
  /** Whether the first run plays at once. */
  autoplay: boolean;
  /** The engine refused these values (by parameter key); `fallback`, when given, replaces the page's config. */
  refused(errors: ReadonlyMap<string, string>, fallback?: ExperimentConfig): void;
}

type StartArgs = [backend: Backend, config: ExperimentConfig, play: boolean];

/** The status line follows the run at a few updates a second, not every frame. */
const kStatusIntervalMs = 200;

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

  constructor(host: ReactiveControllerHost & HTMLElement, options: EngineControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
    this.runner = new RunController(host, { onError: (error, wasPlaying) => this.#onRunError(error, wasPlaying) });
    this.#session = new ContextProvider(host, { context: runSessionContext, initialValue: null });
    this.#status = new ContextProvider(host, { context: runStatusContext, initialValue: this.#currentStatus() });
    this.startup = new Task(host, {
      task: async () => {
        const backend = await openBackend(navigator.gpu);
        this.#setBackend(backend);
        if (backend.kind === 'gpu') this.#watchDevice(backend);
        options.opened(backend);
        await this.#start(options.autoplay);
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

  /** Starts again from step 1 (same config: same seed, same initial state), saying why. */
  restart(why: string, play = this.playing): void {
    this.#note('info', why);
    void this.#start(play);
  }

  /** The page's config went from `previous` to `next`: live changes go to the engine, the rest restart. */
  apply(previous: ExperimentConfig, next: ExperimentConfig, reason: string): void {
    const change = diffConfig(previous, next);
    if (change.budgetChanged) this.runner.setBudget(next.params.steps);
    if (change.restartKeys.length > 0) {
      const what = change.restartKeys.map((k) => (k === 'groups' ? 'the groups' : kParamSpecs.find((s) => s.key === k)?.label ?? k));
      this.restart(`Restarted from step 1: ${reason || `${what.join(', ')} changed`}.`);
      return;
    }
    const engine = this.runner.engine;
    if (engine) this.#patch(engine, change.patches); // else the engine being built picks the change up when it starts
  }

  /** Builds an engine for the page's config and runs it; an older build still in flight is superseded. */
  #start(play: boolean): Promise<void> {
    this.#pendingPlay = play;
    const backend = this.backend;
    if (!backend) return Promise.resolve();
    this.runner.detach();
    this.#setSession(null);
    this.#diverged = 0;
    return this.#builds.run([backend, structuredClone(this.#options.config()), play]);
  }

  async #build([backend, config, play]: StartArgs, signal: AbortSignal): Promise<void> {
    let engine: Engine;
    try {
      engine = await createEngine(backend, config);
    } catch (error) {
      if (signal.aborted) return;
      if (backend.kind === 'gpu' && isGpuFailure(error)) this.#fallBack((error as Error).message, play);
      else if (error instanceof ConfigError) this.#refuse(error, backend, config, play);
      else throw error;
      return;
    }
    if (signal.aborted) {
      engine.dispose();
      return;
    }
    // Changes made while the engine was being built.
    const change = diffConfig(config, this.#options.config());
    if (change.restartKeys.length > 0) {
      engine.dispose();
      void this.#start(play);
      return;
    }
    this.#patch(engine, change.patches);
    const agents = config.groups.map((group) => group.agents ?? config.params.agents);
    const history = new StatsHistory(config.params.arms, agents, config.params.window);
    const session = new RunSession(config, history, groupLabels(config), this.#options.config().params.steps);
    session.subscribe(() => this.#onRows(history));
    this.#lastGood = config;
    this.#setSession(session);
    this.runner.attach(engine, session);
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
    if (retry) void this.#start(play);
    this.#note('error', `This run cannot start here: ${error.errors.map(formatFieldError).join('; ')}`);
  }

  #patch(engine: Engine, patches: ConfigChange['patches']): void {
    try {
      patches.forEach((patch, group) => {
        if (Object.keys(patch).length > 0) engine.setGroupParams(group, patch);
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

  #watchDevice(backend: Extract<Backend, { kind: 'gpu' }>): void {
    void backend.context.lost.then((reason) => {
      if (this.backend === backend) this.#fallBack(reason, this.playing || this.#failedWhilePlaying);
    });
  }

  /** WebGPU failed: say so in one line and run on the CPU engine in a worker from step 1. */
  #fallBack(reason: string, play: boolean): void {
    if (this.backend?.kind === 'cpu') return; // the first report of a failure says why
    this.#setBackend({ kind: 'cpu', reason });
    this.#note('warn', `WebGPU stopped working (${reason}); restarted on the CPU engine in a worker.`);
    void this.#start(play);
  }

  #onRunError(error: unknown, wasPlaying: boolean): void {
    const backend = this.backend;
    if (backend?.kind === 'gpu' && isGpuFailure(error)) {
      this.#failedWhilePlaying = wasPlaying;
      // A lost device also fails the readback in flight; its own reason says more.
      const lost = Promise.race([backend.context.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 250))]);
      void lost.then((reason) => this.#fallBack(reason ?? (error as Error).message, wasPlaying));
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
    };
  }
}

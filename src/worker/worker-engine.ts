/**
 * The page's side of the CPU-engine worker: an `Engine` like the others, so the page drives the
 * GPU engine and the fallback the same way. Each engine owns its worker; `dispose()` terminates
 * it, so a reset never waits for a long computation to finish.
 *
 * Live parameter changes are checked here first (the same check the engine runs), so a bad value
 * throws at the call, as with the other engines, and the worker only ever gets valid patches.
 */
import { type ExperimentConfig, validateConfig } from '../core/config.ts';
import type { AgentState, AgentStates, Engine, LiveParams, Trajectory } from '../core/engine.ts';
import { LiveGroups, type ParamChange } from '../core/groups.ts';
import { replayRowBatch } from '../core/row-batch.ts';
import { ConfigError } from '../core/schema.ts';
import { StatsLayout, type StatsSink, kHistogramBins } from '../core/stats.ts';
import type { FromWorker, RowsMessage, ToWorker } from './protocol.ts';
import { spawnCpuWorker } from './spawn-cpu-worker.ts';

interface Pending {
  resolve(message: FromWorker): void;
  reject(error: Error): void;
}

export class WorkerEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly description = 'CPU reference engine (Web Worker)';
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  /** Checks live changes here, so a bad value throws at the call and the worker gets only valid ones. */
  readonly #live: LiveGroups;
  readonly #divergedAt: number[];
  readonly #row: Float64Array;
  readonly #histogram = new Uint32Array(kHistogramBins);
  #nextId = 1;
  #stepsDone = 0;
  #failure: Error | null = null;
  #disposed = false;

  private constructor(config: ExperimentConfig, worker: Worker) {
    this.config = structuredClone(validateConfig(config));
    this.layout = new StatsLayout(this.config.params.arms);
    this.#live = new LiveGroups(this.config);
    this.#divergedAt = this.#live.params.map(() => 0);
    this.#row = new Float64Array(this.layout.count);
    this.#worker = worker;
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.#receive(event.data));
    worker.addEventListener('error', (event) => this.#fail(new Error(`CPU worker failed: ${event.message || 'could not start'}`)));
  }

  /** Starts a worker and its engine; resolves when the engine is built (or rejects with why not). */
  static async create(config: ExperimentConfig): Promise<WorkerEngine> {
    const worker = spawnCpuWorker();
    const engine = new WorkerEngine(config, worker);
    await engine.#request({ type: 'create', config: engine.config }, 0);
    return engine;
  }

  get stepsDone(): number {
    return this.#stepsDone;
  }

  divergedAt(group: number): number {
    return this.#divergedAt[group];
  }

  #send(message: ToWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  /** Sends `message` and waits for the answer with the same id (0: the `ready` of `create`). */
  #request(message: ToWorker, id: number): Promise<FromWorker> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send(message);
    });
  }

  #receive(message: FromWorker): void {
    if (message.type === 'error' && message.id === null && !this.#pending.has(0)) {
      this.#fail(new Error(message.message));
      return;
    }
    const id = message.type === 'ready' ? 0 : message.id ?? 0;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (message.type === 'error') {
      pending.reject(message.fieldErrors ? new ConfigError(message.fieldErrors) : new Error(message.message));
    } else {
      pending.resolve(message);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  async advance(steps: number, sink: StatsSink): Promise<void> {
    const n = Math.max(0, Math.floor(steps));
    if (this.#disposed) throw new Error('CPU worker engine used after dispose()');
    if (n === 0) return;
    const id = this.#nextId++;
    this.#stepsDone += n;
    const answer = (await this.#request({ type: 'advance', id, steps: n }, id)) as RowsMessage;
    replayRowBatch(answer.rows, {
      record: sink.record.bind(sink),
      diverged: (group, step, message) => {
        if (this.#divergedAt[group] === 0) this.#divergedAt[group] = step;
        sink.diverged?.(group, step, message);
      },
    }, this.#row, this.#histogram);
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    this.#live.set(group, patch, this.#stepsDone);
    this.#send({ type: 'set', group, patch: { ...patch } });
  }

  /** The same changes at the same steps as the worker's engine: both count steps at the call. */
  get paramChanges(): readonly ParamChange[] {
    return this.#live.changes;
  }

  async trajectory(group: number, agent: number, fromStep = 1): Promise<Trajectory> {
    const id = this.#nextId++;
    const answer = await this.#request({ type: 'trajectory', id, group, agent, fromStep }, id);
    return (answer as Extract<FromWorker, { type: 'trajectory' }>).trajectory;
  }

  async readAgents(group: number): Promise<AgentStates> {
    const id = this.#nextId++;
    const answer = await this.#request({ type: 'readAgents', id, group }, id);
    return (answer as Extract<FromWorker, { type: 'agents' }>).agents;
  }

  async readAgent(group: number, agent: number): Promise<AgentState> {
    const id = this.#nextId++;
    const answer = await this.#request({ type: 'readAgent', id, group, agent }, id);
    return (answer as Extract<FromWorker, { type: 'agent' }>).agent;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#fail(new Error('CPU worker engine disposed'));
    this.#worker.terminate();
  }
}

/**
 * The page's side of the CPU-engine workers: an `Engine` like the others, so the page drives the
 * GPU engine and the fallback the same way. Each engine owns its workers; `dispose()` terminates
 * them, so a reset never waits for a long computation to finish.
 *
 * The fallback uses the machine's cores: each group's agents are split into contiguous slices,
 * one per worker (agent-slices.ts), each worker running a CpuEngine on its slice with the agents'
 * global indices (the random numbers are keyed by agent, so a slice draws what one engine would).
 * Workers answer each `advance` with record sums; adding them up and finishing once gives the rows
 * one engine computes. Small populations stay on one worker: splitting them gains nothing.
 *
 * Live parameter changes are checked here first (the same check the engine runs), so a bad value
 * throws at the call, as with the other engines, and the workers only ever get valid patches; each
 * worker gets them between the same two `advance` messages, so all apply them at the same step.
 */
import { SliceCombiner, agentSlices, sliceCount, sliceOfAgent } from '../core/agent-slices.ts';
import { type ExperimentConfig, validateConfig } from '../core/config.ts';
import { type AgentState, type AgentStates, type Engine, type LiveParams, type Trajectory, checkRowEvery } from '../core/engine.ts';
import { LiveGroups, type ParamChange } from '../core/groups.ts';
import { ConfigError } from '../core/schema.ts';
import { StatsLayout, type StatsSink } from '../core/stats.ts';
import type { FromWorker, RowsMessage, ToWorker } from './protocol.ts';
import { spawnCpuWorker } from './spawn-cpu-worker.ts';

/** Most workers one engine starts: past this the page's own thread (combining rows, charts) becomes the limit. */
export const kMaxCpuWorkers = 8;

/** Workers for the fallback by default: every core but the page's, at least one. */
export function defaultCpuWorkers(): number {
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1;
  return Math.max(1, Math.min(kMaxCpuWorkers, cores - 1));
}

interface Pending {
  resolve(message: FromWorker): void;
  reject(error: Error): void;
}

export interface WorkerEngineOptions {
  /** At most this many workers (default `defaultCpuWorkers()`); fewer for small populations. */
  workers?: number;
}

export class WorkerEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly description: string;
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  readonly #workers: Worker[];
  /** Requests in flight, per worker, by id. */
  readonly #pending: Map<number, Pending>[];
  /** Checks live changes here, so a bad value throws at the call and the workers get only valid ones. */
  readonly #live: LiveGroups;
  readonly #groupAgents: number[];
  readonly #combiner: SliceCombiner;
  #nextId = 1;
  #stepsDone = 0;
  #failure: Error | null = null;
  #disposed = false;

  private constructor(config: ExperimentConfig, workers: Worker[]) {
    this.config = config;
    this.layout = new StatsLayout(this.config.params.arms);
    this.#live = new LiveGroups(this.config);
    this.#groupAgents = this.#live.params.map((g) => g.agents);
    this.#combiner = new SliceCombiner(this.layout, this.#groupAgents.length);
    this.#workers = workers;
    this.#pending = workers.map(() => new Map());
    this.description = workers.length === 1 ? 'CPU reference engine (Web Worker)' : `CPU reference engine (${workers.length} Web Workers)`;
    workers.forEach((worker, w) => {
      worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.#receive(w, event.data));
      worker.addEventListener('error', (event) => this.#fail(new Error(`CPU worker failed: ${event.message || 'could not start'}`)));
    });
  }

  /** Starts the workers and their engines; resolves when all are built (or rejects with why not). */
  static async create(config: ExperimentConfig, options: WorkerEngineOptions = {}): Promise<WorkerEngine> {
    const checked = structuredClone(validateConfig(config));
    const groupAgents = new LiveGroups(checked).params.map((g) => g.agents);
    const count = sliceCount(groupAgents, options.workers ?? defaultCpuWorkers());
    const engine = new WorkerEngine(checked, Array.from({ length: count }, () => spawnCpuWorker()));
    try {
      await Promise.all(engine.#workers.map((_, w) => engine.#request(w, { type: 'create', config: checked, slices: agentSlices(groupAgents, count, w) }, 0)));
    } catch (error) {
      engine.dispose();
      throw error;
    }
    return engine;
  }

  /** How many workers share the agents. */
  get workers(): number {
    return this.#workers.length;
  }

  get stepsDone(): number {
    return this.#stepsDone;
  }

  divergedAt(group: number): number {
    return this.#combiner.divergedAt(group);
  }

  /** Sends `message` to worker `w` and waits for the answer with the same id (0: the `ready` of `create`). */
  #request(w: number, message: ToWorker, id: number): Promise<FromWorker> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending[w].set(id, { resolve, reject });
      this.#workers[w].postMessage(message);
    });
  }

  #receive(w: number, message: FromWorker): void {
    const pendingOfWorker = this.#pending[w];
    if (message.type === 'error' && message.id === null && !pendingOfWorker.has(0)) {
      this.#fail(new Error(message.message));
      return;
    }
    const id = message.type === 'ready' ? 0 : message.id ?? 0;
    const pending = pendingOfWorker.get(id);
    if (!pending) return;
    pendingOfWorker.delete(id);
    if (message.type === 'error') {
      pending.reject(message.fieldErrors ? new ConfigError(message.fieldErrors) : new Error(message.message));
    } else {
      pending.resolve(message);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pendingOfWorker of this.#pending) {
      for (const pending of pendingOfWorker.values()) pending.reject(error);
      pendingOfWorker.clear();
    }
  }

  async advance(steps: number, sink: StatsSink, rowEvery = 1): Promise<void> {
    const n = Math.max(0, Math.floor(steps));
    if (this.#disposed) throw new Error('CPU worker engine used after dispose()');
    checkRowEvery(rowEvery);
    if (n === 0) return;
    const id = this.#nextId++;
    this.#stepsDone += n;
    const answers = await Promise.all(this.#workers.map((_, w) => this.#request(w, { type: 'advance', id, steps: n, rowEvery }, id)));
    this.#combiner.combine(answers.map((answer) => (answer as RowsMessage).rows), sink);
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    this.#live.set(group, patch, this.#stepsDone);
    for (const worker of this.#workers) worker.postMessage({ type: 'set', group, patch: { ...patch } } satisfies ToWorker);
  }

  /** The same changes at the same steps as the workers' engines: all count steps at the call. */
  get paramChanges(): readonly ParamChange[] {
    return this.#live.changes;
  }

  /** The worker whose slice holds `agent` of `group`, and the agent's index there. */
  #owner(group: number, agent: number): { part: number; local: number } {
    const agents = this.#groupAgents[group];
    if (agents === undefined || !Number.isInteger(agent) || agent < 0 || agent >= agents) throw new RangeError(`no agent ${agent} in group ${group}`);
    return sliceOfAgent(agents, this.#workers.length, agent);
  }

  async trajectory(group: number, agent: number, fromStep = 1): Promise<Trajectory> {
    // A replay needs only the config and the changes, and keys by the global agent index: the
    // owner replays it so that the work goes where the agent lives.
    const { part } = this.#owner(group, agent);
    const id = this.#nextId++;
    const answer = await this.#request(part, { type: 'trajectory', id, group, agent, fromStep }, id);
    return (answer as Extract<FromWorker, { type: 'trajectory' }>).trajectory;
  }

  async readAgents(group: number): Promise<AgentStates> {
    const id = this.#nextId++;
    const answers = await Promise.all(this.#workers.map((_, w) => this.#request(w, { type: 'readAgents', id, group }, id)));
    const parts = answers.map((answer) => (answer as Extract<FromWorker, { type: 'agents' }>).agents);
    if (parts.length === 1) return parts[0];
    // Slices are contiguous and in worker order, so concatenating them gives the group in agent order.
    const concat = <T extends Float32Array>(arrays: T[]) => {
      const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
      let at = 0;
      for (const a of arrays) {
        out.set(a, at);
        at += a.length;
      }
      return out;
    };
    return {
      prefs: concat(parts.map((p) => p.prefs)),
      rewardMean: concat(parts.map((p) => p.rewardMean)),
      ema: concat(parts.map((p) => p.ema)),
      extra: concat(parts.map((p) => p.extra)),
    };
  }

  async readAgent(group: number, agent: number): Promise<AgentState> {
    const { part, local } = this.#owner(group, agent);
    const id = this.#nextId++;
    const answer = await this.#request(part, { type: 'readAgent', id, group, agent: local }, id);
    return (answer as Extract<FromWorker, { type: 'agent' }>).agent;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#fail(new Error('CPU worker engine disposed'));
    for (const worker of this.#workers) worker.terminate();
  }
}

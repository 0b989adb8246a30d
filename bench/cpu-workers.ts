/**
 * The page's CPU fallback on several threads, in Node: the slicing and combining of
 * src/worker/worker-engine.ts (agent-slices.ts) over node:worker_threads, which Node has in place
 * of Web Workers. The page's own WorkerEngine is measured in Chromium by test/e2e/cpu-workers.test.ts.
 */
import { Worker } from 'node:worker_threads';
import { SliceCombiner, agentSlices } from '../src/core/agent-slices.ts';
import type { ExperimentConfig } from '../src/core/config.ts';
import type { RowBatchData } from '../src/core/row-batch.ts';
import { StatsLayout, type StatsSink } from '../src/core/stats.ts';

/** A worker thread running bench/cpu-slice-worker.ts under tsx (a worker does not inherit tsx's loader). */
function spawn(workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const script = new URL('./cpu-slice-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  return new Worker(code, { eval: true, workerData });
}

export class NodeWorkersEngine {
  readonly #workers: Worker[];
  readonly #combiner: SliceCombiner;

  private constructor(config: ExperimentConfig, workers: Worker[]) {
    this.#workers = workers;
    this.#combiner = new SliceCombiner(new StatsLayout(config.params.arms), config.groups.length);
  }

  static async create(config: ExperimentConfig, groupAgents: number[], count: number): Promise<NodeWorkersEngine> {
    const workers = Array.from({ length: count }, (_, w) => spawn({ config, slices: agentSlices(groupAgents, count, w) }));
    await Promise.all(workers.map((worker) => NodeWorkersEngine.#next(worker)));
    return new NodeWorkersEngine(config, workers);
  }

  static #next(worker: Worker): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('message', (message: unknown) => {
        worker.off('error', onError);
        resolve(message);
      });
      worker.once('error', onError);
    });
  }

  async advance(steps: number, sink: StatsSink): Promise<void> {
    const answers = this.#workers.map((worker) => NodeWorkersEngine.#next(worker));
    for (const worker of this.#workers) worker.postMessage(steps);
    this.#combiner.combine((await Promise.all(answers)) as RowBatchData[], sink);
  }

  dispose(): void {
    for (const worker of this.#workers) void worker.terminate();
  }
}

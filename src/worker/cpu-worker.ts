/**
 * The CPU reference engine in a Web Worker: the page's fallback where WebGPU is missing. The page
 * stays responsive while the engine computes; a page runs several of these on slices of the
 * agents, and rows come back as a transferable RowBatch of record sums for the page to add up.
 */
import { CpuEngine } from '../core/cpu-engine.ts';
import { RowBatch } from '../core/row-batch.ts';
import { ConfigError } from '../core/schema.ts';
import { recordLength } from '../core/shared-constants.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
};

let engine: CpuEngine | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function fail(id: number | null, error: unknown): void {
  const fieldErrors = error instanceof ConfigError ? error.errors : null;
  post({ type: 'error', id, message: error instanceof Error ? error.message : String(error), fieldErrors });
}

function advance(current: CpuEngine, id: number, steps: number, rowEvery: number): void {
  const window = current.config.params.window;
  const done = current.stepsDone;
  // At most every window's row (fewer with rowEvery > 1).
  const capacity = (Math.floor((done + steps) / window) - Math.floor(done / window)) * current.config.groups.length;
  const rows = new RowBatch(recordLength(current.config.params.arms), capacity);
  current.advanceSumsSync(steps, rows, rowEvery);
  post({ type: 'rows', id, rows: rows.data }, rows.transferables);
}

/** Answers a request that the engine serves asynchronously. */
function answer<T>(id: number, work: Promise<T>, message: (result: T) => FromWorker): void {
  void work.then((result) => post(message(result)), (error: unknown) => fail(id, error));
}

scope.addEventListener('message', (event) => {
  const message = event.data;
  if (message.type === 'create') {
    try {
      engine = new CpuEngine(message.config, { slices: message.slices });
      post({ type: 'ready' });
    } catch (error) {
      fail(null, error);
    }
    return;
  }
  if (!engine) return;
  try {
    switch (message.type) {
      case 'advance':
        advance(engine, message.id, message.steps, message.rowEvery);
        break;
      case 'set':
        engine.setGroupParams(message.group, message.patch);
        break;
      case 'trajectory':
        answer(message.id, engine.trajectory(message.group, message.agent, message.fromStep), (trajectory) => ({ type: 'trajectory', id: message.id, trajectory }));
        break;
      case 'readAgents':
        answer(message.id, engine.readAgents(message.group), (agents) => ({ type: 'agents', id: message.id, agents }));
        break;
      case 'readAgent':
        answer(message.id, engine.readAgent(message.group, message.agent), (agent) => ({ type: 'agent', id: message.id, agent }));
        break;
    }
  } catch (error) {
    fail('id' in message ? message.id : null, error);
  }
});

/**
 * The CPU reference engine in a Web Worker: the page's fallback where WebGPU is missing. The page
 * stays responsive while the engine computes; rows come back as transferable typed arrays.
 */
import { CpuEngine } from '../core/cpu-engine.ts';
import { ConfigError } from '../core/schema.ts';
import { kHistogramBins } from '../core/stats.ts';
import type { FromWorker, RowsMessage, ToWorker } from './protocol.ts';

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
};

let engine: CpuEngine | null = null;
let session = -1;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function fail(id: number | null, error: unknown): void {
  const fieldErrors = error instanceof ConfigError ? error.errors : null;
  post({ type: 'error', session, id, message: error instanceof Error ? error.message : String(error), fieldErrors });
}

function advance(id: number, steps: number): void {
  const current = engine as CpuEngine;
  const window = current.config.params.window;
  const groupCount = current.config.groups.length;
  const stats = current.layout.count;
  const done = current.stepsDone;
  const capacity = (Math.floor((done + steps) / window) - Math.floor(done / window)) * groupCount;
  const rows: RowsMessage = {
    type: 'rows', session, id, count: 0,
    groups: new Int32Array(capacity),
    steps: new Float64Array(capacity),
    values: new Float64Array(capacity * stats),
    histograms: new Uint32Array(capacity * kHistogramBins),
    diverged: [],
    stepsDone: 0,
  };
  current.advanceSync(steps, {
    record(group, step, values, histogram) {
      const r = rows.count++;
      rows.groups[r] = group;
      rows.steps[r] = step;
      rows.values.set(values, r * stats);
      rows.histograms.set(histogram, r * kHistogramBins);
    },
    diverged(group, step, message) {
      rows.diverged.push({ group, step, message });
    },
  });
  rows.stepsDone = current.stepsDone;
  post(rows, [rows.groups.buffer, rows.steps.buffer, rows.values.buffer, rows.histograms.buffer]);
}

scope.addEventListener('message', (event) => {
  const message = event.data;
  if (message.type === 'reset') {
    engine?.dispose();
    engine = null;
    session = message.session;
    try {
      engine = new CpuEngine(message.config);
      post({ type: 'ready', session });
    } catch (error) {
      fail(null, error);
    }
    return;
  }
  if (message.session !== session || !engine) return;
  const id = 'id' in message ? message.id : null;
  try {
    switch (message.type) {
      case 'advance':
        advance(message.id, message.steps);
        break;
      case 'set':
        engine.setGroupParams(message.group, message.patch);
        break;
      case 'trajectory':
        void engine.trajectory(message.group, message.agent).then(
          (trajectory) => post({ type: 'trajectory', session, id: message.id, trajectory }),
          (error: unknown) => fail(message.id, error),
        );
        break;
      case 'readAgents':
        void engine.readAgents(message.group).then(
          (agents) => post({ type: 'agents', session, id: message.id, agents }),
          (error: unknown) => fail(message.id, error),
        );
        break;
    }
  } catch (error) {
    fail(id, error);
  }
});

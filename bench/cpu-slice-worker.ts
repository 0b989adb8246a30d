/**
 * The bench's twin of src/worker/cpu-worker.ts on node:worker_threads (Node has no Web Workers):
 * a CpuEngine on one slice of the agents, answering each `advance` with a RowBatch of record sums.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentSlice } from '../src/core/cpu-engine.ts';
import { CpuEngine } from '../src/core/cpu-engine.ts';
import type { ExperimentConfig } from '../src/core/config.ts';
import { RowBatch } from '../src/core/row-batch.ts';
import { recordLength } from '../src/core/shared-constants.ts';

const { config, slices } = workerData as { config: ExperimentConfig; slices: AgentSlice[] };
const engine = new CpuEngine(config, { slices });
const port = parentPort!;
port.on('message', (steps: number) => {
  const window = config.params.window;
  const done = engine.stepsDone;
  const capacity = (Math.floor((done + steps) / window) - Math.floor(done / window)) * config.groups.length;
  const rows = new RowBatch(recordLength(config.params.arms), capacity);
  engine.advanceSumsSync(steps, rows);
  port.postMessage(rows.data, rows.transferables);
});
port.postMessage('ready');

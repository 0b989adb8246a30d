/**
 * The library build's CPU-engine worker: bundled into the module itself and started from a blob
 * URL, which works whatever origin the module was loaded from (see spawn-cpu-worker.ts).
 */
import CpuWorker from './cpu-worker.ts?worker&inline';

export function spawnCpuWorker(): Worker {
  return new CpuWorker({ name: 'pg-cpu-engine' });
}

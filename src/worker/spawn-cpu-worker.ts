/**
 * Starts the CPU engine's worker. The page's build emits the worker as a file of its own next to
 * the page's script; the library build (dist/pg-playground.js) swaps this module for
 * spawn-cpu-worker.inline.ts (vite.config.ts), since a worker file next to a module loaded from
 * another origin could not be started there (workers must be same-origin).
 */
export function spawnCpuWorker(): Worker {
  return new Worker(new URL('./cpu-worker.ts', import.meta.url), { type: 'module', name: 'pg-cpu-engine' });
}

/**
 * `npm run sim -- [flags]`: headless runs on the same engines as the page, CSV or JSON out.
 * Everything but the wiring to this process lives in run.ts and its neighbours.
 */
import { nodeIo } from './node-io.ts';
import { runSim } from './run.ts';

// `sim ... | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

process.exitCode = await runSim(process.argv.slice(2), nodeIo());

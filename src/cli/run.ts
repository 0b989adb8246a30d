/**
 * `sim` as a function: arguments and I/O in, exit code out. The entry point (`sim.ts`) only wires
 * it to the process; tests call it with in-memory streams.
 */
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { agentsCsvPieces } from '../core/export.ts';
import { divergenceMessage } from '../core/groups.ts';
import type { StatsSink } from '../core/stats.ts';
import { parseSimArgs } from './args.ts';
import { createEngine } from './engines.ts';
import { describeFailure, kExitOk } from './errors.ts';
import { type ReadText, buildExperiment } from './experiment.ts';
import { helpText } from './help.ts';
import { createWriter } from './output.ts';
import { type ErrorStream, Progress } from './progress.ts';

/** Where output text goes; `write` resolves when it may be called again (backpressure). */
export interface OutputStream {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export interface SimIo {
  stdout: OutputStream;
  /** stdout is a terminal: no progress bar over data printed to it. */
  stdoutIsTTY?: boolean;
  stderr: ErrorStream;
  readText: ReadText;
  /** Opens an output file for `flag` (default `--out`); throws UsageError, naming the flag, when it cannot. */
  openOut(path: string, flag?: string): Promise<OutputStream>;
  now?: () => number;
}

/** Steps per `advance` call are tuned to take about this long: progress and output stay fresh. */
const kSliceTargetMs = 100;
/** First slice: this many agent-steps. */
const kFirstSliceWork = 200_000;
/** Bounds the CSV rows held between writes. */
const kMaxSliceSteps = 8192;

function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** `makeEngine` is `createEngine` except in tests that need an engine to misbehave. */
export async function runSim(
  argv: readonly string[],
  io: SimIo,
  makeEngine: typeof createEngine = createEngine,
): Promise<number> {
  try {
    return await runOrThrow(argv, io, makeEngine);
  } catch (error) {
    const { line, exitCode } = describeFailure(error);
    io.stderr.write(`${line}\n`);
    return exitCode;
  }
}

async function runOrThrow(argv: readonly string[], io: SimIo, makeEngine: typeof createEngine): Promise<number> {
  const args = parseSimArgs(argv);
  if (args.help) {
    await io.stdout.write(helpText());
    return kExitOk;
  }
  const { config: built, warnings } = buildExperiment(args, io.readText);
  // A seed sweep is the same config once per seed, side by side; the file reads as one run whose
  // groups are seed-major (run i's group g is group i * G + g) with a `seed` column. The config
  // written out (JSON) carries the first seed, so `--config` with it replays that run.
  const seeds = args.seeds;
  const config: ExperimentConfig = seeds ? { ...built, params: { ...built.params, seed: seeds[0] } } : built;
  const runConfigs = seeds ? seeds.map((seed) => ({ ...config, params: { ...config.params, seed } })) : [config];
  const perRun = config.groups.length;
  const now = io.now ?? (() => performance.now());
  const steps = config.params.steps;
  const noBar = args.out === null && io.stdoutIsTTY === true;
  const progress = new Progress(io.stderr, steps, { quiet: args.quiet, noBar, now });
  for (const warning of warnings) progress.warn(`sim: warning: ${warning}`);

  const engines: Engine[] = [];
  try {
    for (const runConfig of runConfigs) {
      const { engine, note } = await makeEngine(args.engine, runConfig);
      engines.push(engine);
      if (note && engines.length === 1) progress.info(`sim: ${note}`);
    }
    const first = engines[0];
    // Both files are opened before the run, so a path that cannot be written fails at once.
    const out = args.out !== null ? await io.openOut(args.out) : io.stdout;
    const agentsOut = args.agentsOut !== null ? await io.openOut(args.agentsOut, '--agents-out') : null;
    const writer = createWriter(args.format, {
      config,
      engineKind: first.kind,
      engineDescription: first.description,
      statNames: first.layout.names,
      ...(seeds ? { seeds } : {}),
    });
    const sinks: StatsSink[] = engines.map((_, run) => ({
      record: (group, step, values, histogram) => writer.record(run * perRun + group, step, values, histogram),
      diverged: (group, step, message) => {
        const fileGroup = run * perRun + group;
        writer.diverged?.(fileGroup, step, message);
        progress.warn(`sim: warning: ${seeds ? `${divergenceMessage(fileGroup, step)} (seed ${seeds[run]})` : message}`);
      },
    }));

    const agentsPerRun = resolveGroups(config).reduce((sum, g) => sum + g.agents, 0);
    const agents = agentsPerRun * engines.length;
    let slice = Math.max(1, Math.min(kMaxSliceSteps, Math.floor(kFirstSliceWork / agents)));
    let done = 0;
    const start = now();
    while (done < steps) {
      const n = Math.min(slice, steps - done);
      const sliceStart = now();
      // The runs advance in lock-step, so the rows stream out in step order as one run's would.
      for (let run = 0; run < engines.length; run++) await engines[run].advance(n, sinks[run]);
      const sliceMs = now() - sliceStart;
      done += n;
      const text = writer.take();
      if (text) await out.write(text);
      progress.update(done);
      // Aim the next slice at kSliceTargetMs, growing by at most 4x at a time.
      const ideal = Math.round((n * kSliceTargetMs) / Math.max(sliceMs, 1));
      slice = Math.max(1, Math.min(kMaxSliceSteps, 4 * n, ideal));
    }
    const rest = writer.finish();
    if (rest) await out.write(rest);
    if (out !== io.stdout) await out.close();

    if (agentsOut) {
      for (let run = 0; run < engines.length; run++) {
        const options = { header: run === 0, groupOffset: run * perRun, withSeed: seeds !== null };
        for await (const piece of agentsCsvPieces(engines[run], options)) await agentsOut.write(piece);
      }
      await agentsOut.close();
    }

    const ms = now() - start;
    const groups = perRun * engines.length;
    const diverged = engines.reduce((n, engine) => n + config.groups.filter((_, g) => engine.divergedAt(g) > 0).length, 0);
    progress.finish(
      `sim: done: ${groups} group${groups > 1 ? 's' : ''}${seeds ? ` (${seeds.length} seeds)` : ''}, ` +
        `${compact(agents * steps)} agent-steps on ${first.kind} ` +
        `in ${(ms / 1000).toFixed(1)} s (${compact((agents * steps) / Math.max(ms / 1000, 1e-3))}/s); ` +
        `${writer.rows} rows of ${args.format} to ${args.out ?? 'stdout'}` +
        (agentsOut ? `; ${compact(agents)} agents to ${args.agentsOut}` : '') +
        (diverged > 0 ? `; ${diverged} group${diverged > 1 ? 's' : ''} diverged` : ''),
    );
    return kExitOk;
  } finally {
    for (const engine of engines) engine.dispose();
  }
}

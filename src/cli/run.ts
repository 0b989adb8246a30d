/**
 * `sim` as a function: arguments and I/O in, exit code out. The entry point (`sim.ts`) only wires
 * it to the process; tests call it with in-memory streams.
 */
import type { StatsSink } from '../core/stats.ts';
import { resolveGroups } from '../core/config.ts';
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
  /** Opens an output file; throws UsageError when it cannot. */
  openOut(path: string): Promise<OutputStream>;
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
  const { config, warnings } = buildExperiment(args, io.readText);
  const now = io.now ?? (() => performance.now());
  const steps = config.params.steps;
  const noBar = args.out === null && io.stdoutIsTTY === true;
  const progress = new Progress(io.stderr, steps, { quiet: args.quiet, noBar, now });
  for (const warning of warnings) progress.warn(`sim: warning: ${warning}`);

  const { engine, note } = await makeEngine(args.engine, config);
  try {
    if (note) progress.info(`sim: ${note}`);
    const out = args.out !== null ? await io.openOut(args.out) : io.stdout;
    const writer = createWriter(args.format, {
      config,
      engineKind: engine.kind,
      engineDescription: engine.description,
      statNames: engine.layout.names,
    });
    const sink: StatsSink = {
      record: (group, step, values, histogram) => writer.record(group, step, values, histogram),
      diverged: (group, step, message) => {
        writer.diverged?.(group, step, message);
        progress.warn(`sim: warning: ${message}`);
      },
    };

    const agents = resolveGroups(config).reduce((sum, g) => sum + g.agents, 0);
    let slice = Math.max(1, Math.min(kMaxSliceSteps, Math.floor(kFirstSliceWork / agents)));
    let done = 0;
    const start = now();
    while (done < steps) {
      const n = Math.min(slice, steps - done);
      const sliceStart = now();
      await engine.advance(n, sink);
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

    const ms = now() - start;
    const groups = config.groups.length;
    const diverged = config.groups.filter((_, g) => engine.divergedAt(g) > 0).length;
    progress.finish(
      `sim: done: ${groups} group${groups > 1 ? 's' : ''}, ${compact(agents * steps)} agent-steps on ${engine.kind} ` +
        `in ${(ms / 1000).toFixed(1)} s (${compact((agents * steps) / Math.max(ms / 1000, 1e-3))}/s); ` +
        `${writer.rows} rows of ${args.format} to ${args.out ?? 'stdout'}` +
        (diverged > 0 ? `; ${diverged} group${diverged > 1 ? 's' : ''} diverged` : ''),
    );
    return kExitOk;
  } finally {
    engine.dispose();
  }
}

/**
 * `sim` as a function: arguments and I/O in, exit code out. The entry point (`sim.ts`) only wires
 * it to the process; tests call it with in-memory streams.
 */
import { type ExperimentConfig, distinguishingKeys, resolveGroups } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { JsonWriter, agentsCsvPieces, csvParamValue } from '../core/export.ts';
import { divergenceMessage } from '../core/groups.ts';
import { ConfigError } from '../core/schema.ts';
import { type StatsSink, StatsLayout } from '../core/stats.ts';
import { type StopCondition, StopTracker, parseStopCondition } from '../core/stop.ts';
import { type Shard, parseSimArgs } from './args.ts';
import { createEngine } from './engines.ts';
import { UsageError, describeFailure, kExitOk } from './errors.ts';
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

/** File groups `first` to `end - 1`: the slice `--shard` runs (all groups without it). */
interface GroupRange {
  first: number;
  end: number;
}

/**
 * The I-th of N contiguous, near-equal slices of `total` groups. N is at most `total`, so no
 * slice is empty; the slices cover every group once, in order.
 */
export function shardRange(shard: Shard | null, total: number): GroupRange {
  if (shard === null) return { first: 0, end: total };
  if (shard.count > total) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: ${shard.count} slices of ${total} group${total > 1 ? 's' : ''}; N can be at most ${total}`,
    );
  }
  return { first: Math.floor(((shard.index - 1) * total) / shard.count), end: Math.floor((shard.index * total) / shard.count) };
}

function stopCondition(text: string, layout: StatsLayout): StopCondition {
  try {
    return parseStopCondition(text, layout);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(`--stop-when ${JSON.stringify(text)}: ${error.errors.map((e) => e.message).join('; ')}`);
  }
}

/** One engine of the run: a seed's groups that fall in the slice, and where they sit in the file. */
interface EngineRun {
  config: ExperimentConfig;
  /** The file's number for the engine's group 0. */
  fileBase: number;
  seed: number;
}

/**
 * The engines a run needs: one per seed (a seed sweep runs the config once per seed), each with
 * only its groups inside `range`. Random numbers are keyed by seed, agent, step and purpose, not
 * by group, so a group computes the same numbers whichever groups run beside it.
 */
function engineRuns(config: ExperimentConfig, seeds: readonly number[], range: GroupRange): EngineRun[] {
  const perRun = config.groups.length;
  const runs: EngineRun[] = [];
  seeds.forEach((seed, i) => {
    const from = Math.max(range.first - i * perRun, 0);
    const to = Math.min(range.end - i * perRun, perRun);
    if (from >= to) return;
    runs.push({ config: { params: { ...config.params, seed }, groups: config.groups.slice(from, to) }, fileBase: i * perRun + from, seed });
  });
  return runs;
}

/** The stop table for stderr: each group of the slice, its distinguishing values and its crossing step. */
function stopTable(config: ExperimentConfig, seeds: readonly number[] | null, range: GroupRange, tracker: StopTracker): string[] {
  const keys = distinguishingKeys(config);
  const groups = resolveGroups(config);
  const perRun = groups.length;
  const header = ['group', ...(seeds ? ['seed'] : []), ...keys, 'step'];
  const rows: string[][] = [];
  for (let g = range.first; g < range.end; g++) {
    const params = groups[g % perRun];
    const step = tracker.stepReached(g - range.first);
    rows.push([
      String(g),
      ...(seeds ? [String(seeds[Math.floor(g / perRun)])] : []),
      ...keys.map((key) => csvParamValue(params[key])),
      step === null ? 'not reached' : String(step),
    ]);
  }
  const widths = header.map((name, c) => Math.max(name.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `  ${cells.map((cell, c) => (c < cells.length - 1 ? cell.padEnd(widths[c]) : cell)).join('  ')}`;
  return [`sim: steps to ${tracker.condition.text} (the last step of the first row that met it):`, line(header), ...rows.map(line)];
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
  const perRun = config.groups.length;
  // `--shard I/N` runs a contiguous slice of the file's groups (across seeds, for a seed sweep).
  // The writer still describes the whole experiment: the header, the distinguishing columns and
  // the group numbers are those of the unsharded file, so the slices' rows join into its rows.
  const range = shardRange(args.shard, perRun * (seeds?.length ?? 1));
  const sliceGroups = range.end - range.first;
  const condition = args.stopWhen !== null ? stopCondition(args.stopWhen, new StatsLayout(config.params.arms)) : null;
  const tracker = condition ? new StopTracker(condition, sliceGroups) : null;
  const runs = engineRuns(config, seeds ?? [config.params.seed], range);
  const now = io.now ?? (() => performance.now());
  const steps = config.params.steps;
  const noBar = args.out === null && io.stdoutIsTTY === true;
  const progress = new Progress(io.stderr, steps, { quiet: args.quiet, noBar, now });
  for (const warning of warnings) progress.warn(`sim: warning: ${warning}`);

  const engines: Engine[] = [];
  try {
    for (const run of runs) {
      const { engine, note } = await makeEngine(args.engine, run.config);
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
    // With a stop condition a group's rows end at its crossing row; a diverged group records no
    // more rows and so can never cross: either way it is finished.
    const finished = new Uint8Array(sliceGroups);
    let finishedCount = 0;
    const finish = (sliceGroup: number) => {
      if (finished[sliceGroup] === 0) finishedCount++;
      finished[sliceGroup] = 1;
    };
    const sinks: StatsSink[] = runs.map((run) => ({
      record: (group, step, values, histogram) => {
        const fileGroup = run.fileBase + group;
        if (tracker) {
          const sliceGroup = fileGroup - range.first;
          if (tracker.stepReached(sliceGroup) !== null) return;
          tracker.record(sliceGroup, step, values);
          if (tracker.stepReached(sliceGroup) !== null) finish(sliceGroup);
        }
        writer.record(fileGroup, step, values, histogram);
      },
      diverged: (group, step, message) => {
        const fileGroup = run.fileBase + group;
        // A group that crossed before it diverged has all its rows already.
        if (tracker && tracker.stepReached(fileGroup - range.first) !== null) return;
        finish(fileGroup - range.first);
        // The engine numbers its own groups; a later seed's or a slice's engine says the file's number instead.
        const text = run.fileBase === 0 ? message : divergenceMessage(fileGroup, step);
        writer.diverged?.(fileGroup, step, text);
        progress.warn(`sim: warning: ${text}${seeds ? ` (seed ${run.seed})` : ''}`);
      },
    }));

    const agents = runs.reduce((sum, run) => sum + resolveGroups(run.config).reduce((n, g) => n + g.agents, 0), 0);
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
      if (tracker && finishedCount === sliceGroups) break;
      // Aim the next slice at kSliceTargetMs, growing by at most 4x at a time.
      const ideal = Math.round((n * kSliceTargetMs) / Math.max(sliceMs, 1));
      slice = Math.max(1, Math.min(kMaxSliceSteps, 4 * n, ideal));
    }
    if (tracker && writer instanceof JsonWriter) writer.setStops({ condition: tracker.condition.text, steps: tracker.steps });
    const rest = writer.finish();
    if (rest) await out.write(rest);
    if (out !== io.stdout) await out.close();

    if (agentsOut) {
      for (let e = 0; e < engines.length; e++) {
        const options = { header: e === 0, groupOffset: runs[e].fileBase, withSeed: seeds !== null };
        for await (const piece of agentsCsvPieces(engines[e], options)) await agentsOut.write(piece);
      }
      await agentsOut.close();
    }

    const ms = now() - start;
    const diverged = engines.reduce((n, engine, e) => n + runs[e].config.groups.filter((_, g) => engine.divergedAt(g) > 0).length, 0);
    if (tracker) for (const line of stopTable(config, seeds, range, tracker)) progress.info(line);
    const sliceText = sliceGroups > 1 ? `groups ${range.first}-${range.end - 1}` : `group ${range.first}`;
    const shardNote = args.shard ? `, shard ${args.shard.index}/${args.shard.count} (${sliceText} of ${perRun * (seeds?.length ?? 1)})` : '';
    const stoppedNote = tracker && done < steps ? `; stopped at step ${done}: every group met ${tracker.condition.text} or diverged` : '';
    progress.finish(
      `sim: done: ${sliceGroups} group${sliceGroups > 1 ? 's' : ''}${seeds ? ` (${seeds.length} seeds)` : ''}${shardNote}, ` +
        `${compact(agents * done)} agent-steps on ${first.kind} ` +
        `in ${(ms / 1000).toFixed(1)} s (${compact((agents * done) / Math.max(ms / 1000, 1e-3))}/s); ` +
        `${writer.rows} rows of ${args.format} to ${args.out ?? 'stdout'}` +
        (agentsOut ? `; ${compact(agents)} agents to ${args.agentsOut}` : '') +
        (diverged > 0 ? `; ${diverged} group${diverged > 1 ? 's' : ''} diverged` : '') +
        stoppedNote,
    );
    return kExitOk;
  } finally {
    for (const engine of engines) engine.dispose();
  }
}

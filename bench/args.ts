/**
 * `bench`'s command line, apart from run.ts so that it is checked (and tested) before anything
 * opens a GPU: a mistyped flag or a bad value stops the benchmark with one line rather than
 * measuring something else than asked.
 */
import { UsageError } from '../src/cli/errors.ts';
import { type FlagSpec, parseFlags } from '../src/cli/flags.ts';
import { paramSpec, parseValue } from '../src/core/schema.ts';
import type { GpuEngineOptions } from '../src/gpu/gpu-engine.ts';

export const kBenchEngines = ['cpu', 'cpu-workers', 'gpu', 'gpu-nostats', 'gpu-naive'] as const;
export type BenchEngine = (typeof kBenchEngines)[number];

export const kBenchSections = ['engines', 'algorithms', 'lab'] as const;
export type BenchSection = (typeof kBenchSections)[number];

export interface BenchArgs {
  help: boolean;
  agentCounts: number[];
  /** About this long per measurement. */
  seconds: number;
  /** One JSON object per line and row goes here too. */
  jsonFile: string | undefined;
  engines: BenchEngine[];
  /** Rounds over all variants, interleaved; the median is reported. */
  repeat: number;
  /** The windows W of the statistics-every-W GPU variants. */
  windows: number[];
  timing: boolean;
  sections: BenchSection[];
  /** For the fused GPU variants; `timing` comes from --timing. */
  gpuOptions: GpuEngineOptions;
}

export const kBenchUsage = `Usage: npm run bench -- [flags]        (or: npx tsx bench/run.ts [flags])

Runs the engines side by side at k = 10 and prints agent-steps per second with ratios.

Flags:
  --agents N,N,...        population sizes (default 2000,100000,1000000)
  --seconds S             about S seconds per measurement (default 2)
  --engines E,E,...       the variants to run, of cpu, cpu-workers, gpu, gpu-nostats, gpu-naive
                          (default all); cpu-workers is the page's CPU fallback split over worker
                          threads, on 1 and on every core (at most 8)
  --repeat R              R rounds over all variants, interleaved, each printed and the median
                          reported: a shared machine's speed drifts, and interleaving spreads the
                          drift over every variant alike (default 1)
  --every W,W,...         the windows of the GPU's statistics-every-W variants, each at least 2
                          (default 10)
  --timing                GPU time per pass, from timestamp queries: where a variant's time goes
                          (the step and finalize passes are then split, which costs a little)
  --gpu-options JSON      GpuEngineOptions for the fused variants, to compare a choice the engine
                          makes by itself, e.g. '{"finalize":"parallel"}' or '{"subgroups":false}'
  --sections S,S,...      what to run, of engines (the variants above at each N), algorithms
                          (batch, normalised advantages, entropy, PPO, actor-critic, the gaussian
                          policy and epsilon-greedy beside plain REINFORCE at N = 100,000 on cpu
                          and gpu, in samples/s) and lab (the gradient-estimator
                          lab, CPU against GPU) (default all)
  --json FILE             also write one JSON object per line and row to FILE
  --software              allow SwiftShader when there is no GPU (always on; the GPU line says
                          which adapter runs)
  -h, --help              this text

Exit codes: 0 done, 1 the run failed, 2 a bad flag or value.
`;

export const kBenchFlags = {
  help: { type: 'boolean', short: 'h', repeatable: true },
  agents: { type: 'string' },
  seconds: { type: 'string' },
  json: { type: 'string' },
  software: { type: 'boolean', repeatable: true },
  engines: { type: 'string' },
  repeat: { type: 'string' },
  every: { type: 'string' },
  timing: { type: 'boolean', repeatable: true },
  'gpu-options': { type: 'string' },
  sections: { type: 'string' },
} as const satisfies Record<string, FlagSpec>;

type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function quoted(text: string): string {
  return JSON.stringify(text);
}

/** A comma-separated list, each item checked; messages say which item when there are several. */
function parseList<T>(flag: string, text: string, item: (text: string) => Checked<T>): T[] {
  const items = text.split(',');
  return items.map((itemText, i) => {
    const checked = item(itemText.trim());
    if (checked.ok) return checked.value;
    const where = items.length > 1 ? ` value ${i + 1}` : '';
    throw new UsageError(`${flag}:${where} ${checked.message}`);
  });
}

function positiveNumber(flag: string, text: string, integer: boolean): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (value > 0 && (integer ? Number.isInteger(value) : Number.isFinite(value))) return value;
  throw new UsageError(`${flag}: must be a positive ${integer ? 'integer' : 'number'}, got ${quoted(text)}`);
}

function benchEngine(text: string): Checked<BenchEngine> {
  return (kBenchEngines as readonly string[]).includes(text)
    ? { ok: true, value: text as BenchEngine }
    : { ok: false, message: `must be one of ${kBenchEngines.join(', ')}, got ${quoted(text)}` };
}

function statsWindow(text: string): Checked<number> {
  const value = text === '' ? Number.NaN : Number(text);
  // W = 1 is the statistics-every-step variant, which always runs.
  return Number.isInteger(value) && value >= 2
    ? { ok: true, value }
    : { ok: false, message: `must be an integer of at least 2, got ${quoted(text)}` };
}

/** What each GpuEngineOptions key takes; the compiler keeps the keys in step with the interface. */
const kGpuOptionKinds = {
  stats: 'boolean',
  maxStepsPerDispatch: 'count',
  maxRowsPerDispatch: 'count',
  subgroups: 'boolean',
  partialsBudgetBytes: 'count',
  finalize: ['serial', 'parallel'],
  finalizeBlockRecords: 'count',
  timing: 'boolean',
} as const satisfies Record<keyof GpuEngineOptions, 'boolean' | 'count' | readonly string[]>;

function parseGpuOptions(text: string): GpuEngineOptions {
  const example = `e.g. '{"finalize":"serial"}'`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--gpu-options: not a JSON object (${(error as Error).message}), ${example}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--gpu-options: not a JSON object, got ${text.trim()}, ${example}`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'timing') throw new UsageError('--gpu-options timing: use --timing');
    if (!Object.hasOwn(kGpuOptionKinds, key)) {
      const known = Object.keys(kGpuOptionKinds).filter((k) => k !== 'timing');
      throw new UsageError(`--gpu-options ${key}: unknown option (known: ${known.join(', ')})`);
    }
    const kind = kGpuOptionKinds[key as keyof GpuEngineOptions];
    const fits =
      kind === 'boolean' ? typeof value === 'boolean'
      : kind === 'count' ? Number.isInteger(value) && (value as number) > 0
      : (kind as readonly unknown[]).includes(value);
    if (!fits) {
      const wanted = kind === 'boolean' ? 'true or false' : kind === 'count' ? 'a positive integer' : `one of ${kind.map((k) => quoted(k)).join(', ')}`;
      throw new UsageError(`--gpu-options ${key}: must be ${wanted}, got ${JSON.stringify(value)}`);
    }
  }
  return parsed as GpuEngineOptions;
}

function benchSection(text: string): Checked<BenchSection> {
  return (kBenchSections as readonly string[]).includes(text)
    ? { ok: true, value: text as BenchSection }
    : { ok: false, message: `must be one of ${kBenchSections.join(', ')}, got ${quoted(text)}` };
}

/** Parses `bench`'s arguments (without `node` and the script). Throws UsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    help: false,
    agentCounts: [2000, 100_000, 1_000_000],
    seconds: 2,
    jsonFile: undefined,
    engines: [...kBenchEngines],
    repeat: 1,
    windows: [10],
    timing: false,
    sections: [...kBenchSections],
    gpuOptions: {},
  };
  const agentsSpec = paramSpec('agents')!;
  for (const { flag, value } of parseFlags(argv, kBenchFlags, 'bench')) {
    switch (flag) {
      case '--help': args.help = true; break;
      // run.ts always lets SwiftShader stand in; the flag stays for the command lines that pass it.
      case '--software': break;
      case '--timing': args.timing = true; break;
      case '--agents':
        args.agentCounts = parseList(flag, value, (text) => parseValue(agentsSpec, text) as Checked<number>);
        break;
      case '--seconds': args.seconds = positiveNumber(flag, value, false); break;
      case '--repeat': args.repeat = positiveNumber(flag, value, true); break;
      case '--engines': args.engines = parseList(flag, value, benchEngine); break;
      case '--every': args.windows = parseList(flag, value, statsWindow); break;
      case '--sections': args.sections = parseList(flag, value, benchSection); break;
      case '--gpu-options': args.gpuOptions = parseGpuOptions(value); break;
      case '--json':
        if (value.trim() === '') throw new UsageError('--json needs a file name');
        args.jsonFile = value;
        break;
    }
  }
  return args;
}

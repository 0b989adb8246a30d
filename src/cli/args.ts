/**
 * `sim`'s command line: flags to a plain `SimArgs` record. Every value that the schema knows is
 * parsed and range-checked here, so a bad `--set` or `--sweep` fails before anything runs, with
 * a message that names the flag and the key.
 */
import type { Sweep } from '../core/config.ts';
import { type ParamKey, type Params, kGroupKeys, paramSpec, parseValue } from '../core/schema.ts';
import { UsageError } from './errors.ts';
import { type FlagSpec, parseFlags } from './flags.ts';

export const kEngineChoices = ['auto', 'cpu', 'gpu'] as const;
export type EngineChoice = (typeof kEngineChoices)[number];

export const kOutputFormats = ['csv', 'json'] as const;
export type OutputFormat = (typeof kOutputFormats)[number];

/** One `--set key=value`, already parsed and range-checked. */
export interface SetArg {
  key: ParamKey;
  value: Params[ParamKey];
  /** As the user wrote it, for messages. */
  text: string;
}

export interface SimArgs {
  help: boolean;
  preset: string | null;
  configFile: string | null;
  sets: SetArg[];
  sweeps: Sweep[];
  /**
   * `--sweep seed=...`: the config runs once per seed and the output holds them as one run (seed
   * is shared by a run's groups, so it cannot be a group's value); null without it.
   */
  seeds: number[] | null;
  engine: EngineChoice;
  /** File to write; null for stdout. */
  out: string | null;
  format: OutputFormat;
  /** `--agents-out`: the per-agent CSV, written after the run; null for none. */
  agentsOut: string | null;
  /**
   * `--stop-when`: the condition text (`mean_prob_optimal>=0.9`), read against the run's
   * statistics once the arm count is known (src/core/stop.ts); null without it.
   */
  stopWhen: string | null;
  /** `--shard I/N`: run only the I-th of N contiguous slices of the groups; null: all of them. */
  shard: Shard | null;
  quiet: boolean;
}

/** `--shard I/N`: slice `index` (from 1) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** What `sim --help` (help.ts) lists; `--set` and `--sweep` add up, the others are given once. */
const kFlags = {
  help: { type: 'boolean', short: 'h', repeatable: true },
  preset: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', repeatable: true },
  sweep: { type: 'string', repeatable: true },
  engine: { type: 'string' },
  out: { type: 'string', short: 'o' },
  format: { type: 'string' },
  'agents-out': { type: 'string' },
  'stop-when': { type: 'string' },
  shard: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', repeatable: true },
} as const satisfies Record<string, FlagSpec>;

function quoted(text: string): string {
  return JSON.stringify(text);
}

function splitAssignment(flag: string, text: string, example: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} ${quoted(text)}: expected ${example}`);
  return [text.slice(0, eq).trim(), text.slice(eq + 1)];
}

function knownKey(flag: string, key: string): ParamKey {
  const spec = paramSpec(key);
  if (!spec) throw new UsageError(`${flag} ${key}: unknown key (see sim --help for the keys)`);
  return spec.key;
}

/** `--set key=value`: any schema key; the value as the URL hash would write it. */
export function parseSetArg(text: string): SetArg {
  const [rawKey, valueText] = splitAssignment('--set', text, 'key=value, e.g. --set lr=0.1');
  const key = knownKey('--set', rawKey);
  const parsed = parseValue(paramSpec(key)!, valueText);
  if (!parsed.ok) throw new UsageError(`--set ${key}: ${parsed.message}`);
  return { key, value: parsed.value, text };
}

/**
 * `--sweep key=v1,v2,...`: one group per value. Only group keys can be swept, and `seed`, which
 * runs the config once per seed (see `SimArgs.seeds`); the list key `means` separates its values
 * by `;` (`--sweep "means=0,1;1,0"`).
 */
export function parseSweepArg(text: string): Sweep {
  const [rawKey, valuesText] = splitAssignment('--sweep', text, 'key=v1,v2,..., e.g. --sweep lr=0.1,0.4');
  const key = knownKey('--sweep', rawKey);
  const spec = paramSpec(key)!;
  if (spec.scope !== 'group' && key !== kSeedKey) {
    throw new UsageError(
      `--sweep ${key}: is shared by all groups and cannot be swept; use --set (sweepable: ${kGroupKeys.join(', ')}; ` +
        `and ${kSeedKey}, one run per seed)`,
    );
  }
  const separator = spec.type === 'list' ? ';' : ',';
  const items = valuesText.split(separator);
  const values: Params[ParamKey][] = [];
  items.forEach((item, i) => {
    if (item.trim() === '' && spec.type !== 'list') {
      throw new UsageError(`--sweep ${key}: value ${i + 1} is empty (separate values by "${separator}")`);
    }
    const parsed = parseValue(spec, item);
    if (!parsed.ok) {
      const where = items.length > 1 ? ` value ${i + 1}` : '';
      throw new UsageError(`--sweep ${key}:${where} ${parsed.message}`);
    }
    values.push(parsed.value);
  });
  return { key, values };
}

/** The one shared key `--sweep` takes: each seed is a run of its own (run.ts). */
export const kSeedKey = 'seed';

function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${flag}: must be one of ${choices.join(', ')}, got ${quoted(text)}`);
}

/** The format an output file's extension asks for, or null when it says nothing. */
export function formatFromPath(path: string): OutputFormat | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = match?.[1].toLowerCase();
  return ext === 'csv' || ext === 'json' ? ext : null;
}

/** `--shard I/N`, checked for its own sake; whether N fits the groups is known only once they are built. */
export function parseShardArg(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`--shard ${quoted(text)}: expected I/N, the I-th of N slices of the groups, e.g. --shard 1/4`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`--shard ${text}: N must be at least 1`);
  if (index < 1 || index > count) throw new UsageError(`--shard ${text}: I must be in 1..${count}`);
  return { index, count };
}

/** Parses `sim`'s arguments (without `node` and the script). Throws UsageError. */
export function parseSimArgs(argv: readonly string[]): SimArgs {
  const args: SimArgs = {
    help: false, preset: null, configFile: null, sets: [], sweeps: [],
    seeds: null, engine: 'auto', out: null, format: 'csv', agentsOut: null, stopWhen: null, shard: null, quiet: false,
  };
  let format: OutputFormat | null = null;
  for (const { flag, value } of parseFlags(argv, kFlags, 'sim')) {
    switch (flag) {
      case '--help': args.help = true; break;
      case '--quiet': args.quiet = true; break;
      case '--preset': args.preset = value; break;
      case '--config': args.configFile = value; break;
      case '--set': args.sets.push(parseSetArg(value)); break;
      case '--sweep': {
        const sweep = parseSweepArg(value);
        if (args.sweeps.some((s) => s.key === sweep.key) || (sweep.key === kSeedKey && args.seeds !== null)) {
          throw new UsageError(`--sweep ${sweep.key}: swept twice`);
        }
        if (sweep.key === kSeedKey) args.seeds = sweep.values as number[];
        else args.sweeps.push(sweep);
        break;
      }
      case '--engine': args.engine = parseChoice('--engine', value, kEngineChoices); break;
      case '--format': format = parseChoice('--format', value, kOutputFormats); break;
      case '--out':
        if (value.trim() === '') throw new UsageError('--out needs a file name');
        // `-` is stdout, as for most command-line tools (not a file named "-").
        args.out = value === '-' ? null : value;
        break;
      case '--agents-out':
        // Its own file always: on stdout it would run into the statistics.
        if (value.trim() === '' || value === '-') throw new UsageError('--agents-out needs a file name (FILE.csv)');
        if (formatFromPath(value) === 'json') throw new UsageError(`--agents-out ${value}: the agents file is CSV; name it .csv`);
        args.agentsOut = value;
        break;
      case '--stop-when':
        if (value.trim() === '') throw new UsageError('--stop-when needs a condition, e.g. --stop-when "mean_prob_optimal>=0.9"');
        args.stopWhen = value;
        break;
      case '--shard': args.shard = parseShardArg(value); break;
    }
  }
  if (args.out !== null) {
    const fromPath = formatFromPath(args.out);
    if (fromPath === null && format === null) {
      throw new UsageError(`--out ${args.out}: cannot tell the format from the extension; use .csv or .json, or --format`);
    }
    if (fromPath !== null && format !== null && fromPath !== format) {
      throw new UsageError(`--format ${format}: contradicts --out ${args.out}`);
    }
    args.format = fromPath ?? format ?? 'csv';
  } else {
    args.format = format ?? 'csv';
  }
  if (args.shard !== null && args.format === 'json') {
    throw new UsageError(
      `--shard ${args.shard.index}/${args.shard.count}: writes CSV only (slices' CSV files join into one run's file, JSON files do not); use --out FILE.csv`,
    );
  }
  return args;
}

/**
 * From parsed flags to the experiment `sim` runs, in a fixed order: the preset (or the defaults),
 * then the `--config` file, then every `--set`, then the sweeps.
 */
import {
  type ExperimentConfig,
  applySweeps,
  configFromObject,
  defaultConfig,
  kMaxGroups,
  validateConfig,
} from '../core/config.ts';
import { getPreset, kPresetAliases, presetNames } from '../core/presets.ts';
import { ConfigError, formatValue, paramSpec } from '../core/schema.ts';
import type { SimArgs } from './args.ts';
import { UsageError, configErrorLine } from './errors.ts';

export interface BuiltExperiment {
  config: ExperimentConfig;
  /** Things worth telling the user that are not errors (a --set that some groups override). */
  warnings: string[];
}

/** Reads a file as text; `sim` passes fs.readFileSync, tests pass a map. */
export type ReadText = (path: string) => string;

function withConfigErrors<T>(prefix: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(configErrorLine(error, prefix));
    throw error;
  }
}

function presetConfig(name: string): ExperimentConfig {
  if (!presetNames().includes(name) && !(name in kPresetAliases)) {
    throw new UsageError(`unknown preset ${JSON.stringify(name)} (known: ${presetNames().join(', ')})`);
  }
  return getPreset(name);
}

function configFileConfig(path: string, base: ExperimentConfig, readText: ReadText): ExperimentConfig {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--config ${path}: cannot read it (${code ?? (error as Error).message})`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  return withConfigErrors(`--config ${path}`, () => configFromObject(input, base));
}

export function buildExperiment(args: SimArgs, readText: ReadText): BuiltExperiment {
  const warnings: string[] = [];
  let config = args.preset !== null ? presetConfig(args.preset) : defaultConfig();
  if (args.configFile !== null) config = configFileConfig(args.configFile, config, readText);

  // --set writes the shared parameters: every group that does not override the key gets it.
  for (const set of args.sets) {
    (config.params as unknown as Record<string, unknown>)[set.key] = set.value;
    if (paramSpec(set.key)?.scope === 'group') {
      const overriding = config.groups.flatMap((g, i) => (set.key in g ? [i] : []));
      if (overriding.length > 0) {
        warnings.push(
          `--set ${set.key}=${formatValue(set.value)} does not reach group${overriding.length > 1 ? 's' : ''} ` +
            `${overriding.join(', ')}, which set ${set.key} themselves (use --sweep ${set.key}=... to replace them)`,
        );
      }
    }
  }
  config = withConfigErrors('', () => validateConfig(config));

  if (args.sweeps.length > 0) {
    const count = args.sweeps.reduce((n, s) => n * s.values.length, config.groups.length);
    if (count > kMaxGroups) {
      const factors = [config.groups.length, ...args.sweeps.map((s) => s.values.length)].filter((n) => n > 1);
      throw new UsageError(`--sweep: ${factors.join(' x ')} = ${count} groups, at most ${kMaxGroups}`);
    }
    config = withConfigErrors('--sweep', () => applySweeps(config, args.sweeps));
  }

  const { steps, window } = config.params;
  if (window > steps) {
    warnings.push(`window (${window}) is longer than steps (${steps}): the output has no rows`);
  } else if (steps % window !== 0) {
    warnings.push(
      `steps (${steps}) is not a multiple of window (${window}): the last ${steps % window} steps make no row`,
    );
  }
  return { config, warnings };
}

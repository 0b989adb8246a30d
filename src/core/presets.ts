/**
 * Named experiments: the page's preset menu and `sim --preset`. Pure data, no DOM.
 *
 * Each preset is a whole `ExperimentConfig` (defaults filled in), so what a preset runs does
 * not depend on where it is opened. `getPreset` hands out a validated deep copy: callers may
 * change it freely.
 */
import { type ExperimentConfig, type GroupOverrides, validateConfig } from './config.ts';
import { ConfigError, type Params, defaultParams } from './schema.ts';

export interface Preset {
  /** Stable name: `sim --preset NAME`, saved links. Never rename one. */
  readonly name: string;
  /** One line for menus and `sim --help`. */
  readonly description: string;
  readonly config: ExperimentConfig;
}

function preset(name: string, description: string, params: Partial<Params>, groups: GroupOverrides[] = [{}]): Preset {
  const config: ExperimentConfig = { params: { ...defaultParams(), ...params }, groups };
  return deepFreeze({ name, description, config: validateConfig(config) });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export const kPresets: readonly Preset[] = Object.freeze([
  preset(
    'lesson-two-arm',
    'The lesson\'s mini-challenge: Left pays 0, Right pays 1, running-average baseline; watch pi(Right) climb.',
    {
      arms: 2, env: 'fixed', means: [0, 1], noise: 0,
      lr: 0.1, baseline: 'average', baselineInit: 0,
      steps: 300, agents: 10_000,
    },
  ),
  preset(
    'lesson-all-positive',
    'The lesson\'s mistake: every reward is positive (70, 80, 90) and there is no baseline; next to it, the fix.',
    {
      arms: 3, env: 'fixed', means: [70, 80, 90], noise: 5,
      lr: 0.01, baseline: 'none', baselineInit: 0,
      steps: 500, agents: 5000,
    },
    [{ baseline: 'none' }, { baseline: 'average' }],
  ),
  preset(
    'testbed',
    'The classic 10-armed testbed: arm values ~ N(0, 1), unit reward noise, gradient bandit with a baseline.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1,
      lr: 0.1, baseline: 'average-inclusive',
      steps: 1000, agents: 2000,
    },
  ),
  preset(
    'testbed-baseline',
    'Sutton & Barto figure 2.5: testbed with arm values around +4, lr 0.1 and 0.4, with and without a baseline.',
    {
      arms: 10, env: 'gaussian', offset: 4, spread: 1, noise: 1,
      lr: 0.1, baseline: 'average-inclusive',
      steps: 1000, agents: 2000,
    },
    [
      { lr: 0.1, baseline: 'average-inclusive' },
      { lr: 0.1, baseline: 'none' },
      { lr: 0.4, baseline: 'average-inclusive' },
      { lr: 0.4, baseline: 'none' },
    ],
  ),
]);

export function presetNames(): string[] {
  return kPresets.map((p) => p.name);
}

/** A fresh, validated copy of a preset's config; throws a ConfigError (field `preset`) for an unknown name. */
export function getPreset(name: string): ExperimentConfig {
  const found = kPresets.find((p) => p.name === name);
  if (!found) {
    throw new ConfigError([
      { field: 'preset', message: `unknown preset ${JSON.stringify(name)} (known: ${presetNames().join(', ')})` },
    ]);
  }
  return validateConfig(structuredClone(found.config));
}

/**
 * What a control does to the experiment config, as pure functions: set a parameter (for every
 * group), switch the baseline comparison on or off, tell a live change (applied to the running
 * engine) from one that needs a restart, and show refused values by the control they belong to.
 */
import { type ExperimentConfig, type GroupOverrides, distinguishingKeys, resolveGroups } from '../core/config.ts';
import type { LiveParams } from '../core/engine.ts';
import { type ConfigError, type ParamKey, type Params, formatValue, kParamSpecs, paramSpec } from '../core/schema.ts';

function clone(config: ExperimentConfig): ExperimentConfig {
  return structuredClone(config);
}

function withoutKey(group: GroupOverrides, key: ParamKey): GroupOverrides {
  const copy = { ...group };
  delete copy[key];
  return copy;
}

/**
 * Two groups that differ only in the baseline, one of them without: the "baseline on vs off"
 * comparison (the toggle's state is read from the config, so links and presets show it too).
 */
export function isBaselineComparison(config: ExperimentConfig): boolean {
  if (config.groups.length !== 2) return false;
  if (!config.groups.every((g) => Object.keys(g).every((key) => key === 'baseline'))) return false;
  const [a, b] = resolveGroups(config).map((g) => g.baseline);
  return a !== b && (a === 'none' || b === 'none');
}

/** The baseline the comparison runs against 'none' (or that a single group uses). */
export function comparedBaseline(config: ExperimentConfig): Params['baseline'] {
  const modes = resolveGroups(config).map((g) => g.baseline);
  return modes.find((m) => m !== 'none') ?? 'average';
}

/** On: a second group identical but for the baseline (with it, then without). Off: one group, with it. */
export function withBaselineComparison(config: ExperimentConfig, on: boolean): ExperimentConfig {
  const next = clone(config);
  const baseline = comparedBaseline(config);
  next.params.baseline = baseline;
  next.groups = on ? [{ baseline }, { baseline: 'none' }] : [{}];
  return next;
}

/**
 * Sets `key` for the whole experiment: every group takes the value, except that under the
 * baseline comparison the baseline select changes the group that has one.
 */
export function withParam(config: ExperimentConfig, key: ParamKey, value: Params[ParamKey]): ExperimentConfig {
  const spec = paramSpec(key);
  if (key === 'baseline' && isBaselineComparison(config)) {
    const next = clone(config);
    if (value === 'none') {
      next.params.baseline = 'none';
      next.groups = [{}];
      return next;
    }
    next.params.baseline = value as Params['baseline'];
    next.groups = next.groups.map((g) => (g.baseline === 'none' ? g : { ...g, baseline: value as Params['baseline'] }));
    return next;
  }
  const next = clone(config);
  (next.params as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  if (spec?.scope === 'group') next.groups = next.groups.map((g) => withoutKey(g, key));
  return next;
}

/** "0.1 | 0.4": the values of a group key when the groups disagree, else null. */
export function groupValuesText(config: ExperimentConfig, key: ParamKey): string | null {
  if (config.groups.length < 2) return null;
  const values = resolveGroups(config).map((g) => formatValue(g[key]) || '(empty)');
  return values.every((v) => v === values[0]) ? null : values.join(' | ');
}

/** One short label per group from the keys that tell them apart ('' for a single group). */
export function groupLabels(config: ExperimentConfig): string[] {
  if (config.groups.length === 1) return [''];
  const keys = distinguishingKeys(config);
  const groups = resolveGroups(config);
  return groups.map((g, i) => (keys.length === 0 ? `group ${i}` : keys.map((k) => `${k} ${formatValue(g[k])}`).join(', ')));
}

export interface ConfigChange {
  /** Non-live keys that changed (or 'groups'): the run must restart. */
  restartKeys: string[];
  /** Per group, the live keys that changed, to hand to `setGroupParams`. */
  patches: Partial<LiveParams>[];
  /** The step budget changed (live, shared: the page's run loop reads it). */
  budgetChanged: boolean;
}

export function diffConfig(before: ExperimentConfig, after: ExperimentConfig): ConfigChange {
  if (before.groups.length !== after.groups.length) {
    return { restartKeys: ['groups'], patches: [], budgetChanged: before.params.steps !== after.params.steps };
  }
  const a = resolveGroups(before);
  const b = resolveGroups(after);
  const restartKeys = new Set<string>();
  const patches: Partial<LiveParams>[] = b.map(() => ({}));
  for (const spec of kParamSpecs) {
    if (spec.key === 'steps') continue;
    for (let g = 0; g < b.length; g++) {
      if (formatValue(a[g][spec.key]) === formatValue(b[g][spec.key])) continue;
      if (spec.live && spec.scope === 'group') (patches[g] as Record<string, unknown>)[spec.key] = b[g][spec.key];
      else restartKeys.add(spec.key);
    }
  }
  return { restartKeys: [...restartKeys], patches, budgetChanged: before.params.steps !== after.params.steps };
}

/** A refused config's messages by parameter key (a group's field shows on the shared control). */
export function fieldErrorsByKey(error: ConfigError): ReadonlyMap<string, string> {
  return new Map(error.errors.map((e) => [e.field.replace(/^groups\[\d+\]\./, ''), e.message]));
}

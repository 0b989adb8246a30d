/**
 * What a control does to the experiment config, as pure functions: set a parameter (for every
 * group or one), add, remove and sweep groups, switch the baseline comparison on or off, tell a live change (applied to the running
 * engine) from one that needs a restart, and show refused values by the control they belong to.
 */
import { type ExperimentConfig, type GroupOverrides, applySweeps, distinguishingParams, kMaxGroups, resolveGroups } from '../core/config.ts';
import type { LiveParams } from '../core/engine.ts';
import {
  ConfigError,
  type FieldError,
  type ParamKey,
  type ParamSpec,
  type Params,
  checkValue,
  formatValue,
  kParamSpecs,
  paramSpec,
  parseValue,
} from '../core/schema.ts';

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
  const keys = distinguishingParams(config);
  const groups = resolveGroups(config);
  // A named group goes by its name.
  return groups.map((g, i) => g.label || (keys.length === 0 ? `group ${i}` : keys.map((k) => `${k} ${formatValue(g[k])}`).join(', ')));
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

/** Adds a copy of group `from` (its own overrides) at the end; refused past kMaxGroups. */
export function addGroup(config: ExperimentConfig, from: number): ExperimentConfig {
  if (config.groups.length >= kMaxGroups) {
    throw new ConfigError([{ field: 'groups', message: `at most ${kMaxGroups} groups; remove one first` }]);
  }
  const source = config.groups[from] ?? config.groups[0];
  const next = clone(config);
  next.groups.push(structuredClone(source));
  return next;
}

/** Removes group `index`; the last group cannot go (an experiment has at least one). */
export function removeGroup(config: ExperimentConfig, index: number): ExperimentConfig {
  if (config.groups.length <= 1) throw new ConfigError([{ field: 'groups', message: 'an experiment needs at least one group' }]);
  if (!config.groups[index]) throw new ConfigError([{ field: 'groups', message: `no group ${index}` }]);
  const next = clone(config);
  next.groups.splice(index, 1);
  return next;
}

/**
 * Sets `key` for one group only: a group key becomes that group's override (the others keep
 * theirs); a shared key has no per-group value, so it sets the run as `withParam` does.
 */
export function withGroupParam(config: ExperimentConfig, group: number, key: ParamKey, value: Params[ParamKey]): ExperimentConfig {
  const spec = paramSpec(key);
  if (spec?.scope !== 'group') return withParam(config, key, value);
  if (!config.groups[group]) throw new ConfigError([{ field: 'groups', message: `no group ${group}` }]);
  const next = clone(config);
  (next.groups[group] as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  return next;
}

/** Group keys a sweep can vary: numbers and options (a list of lists reads badly in a form). */
export function sweepableSpecs(): ParamSpec[] {
  return kParamSpecs.filter((s) => s.scope === 'group' && (s.type === 'int' || s.type === 'float' || s.type === 'enum'));
}

export type RangeScale = 'linear' | 'log';

/**
 * `count` values from `from` to `to`, both ends included: evenly spaced, or evenly spaced in
 * log (a geometric series, which needs both ends positive). Integer parameters round each value
 * and drop repeats. A bad field throws a ConfigError that names it.
 */
export function sweepRange(key: ParamKey, from: number, to: number, count: number, scale: RangeScale): number[] {
  const spec = paramSpec(key);
  const errors: FieldError[] = [];
  if (!spec || (spec.type !== 'int' && spec.type !== 'float')) errors.push({ field: 'sweep parameter', message: `${key} is not a number, so it has no range; list its values instead` });
  if (!Number.isFinite(from)) errors.push({ field: 'from', message: 'must be a number' });
  if (!Number.isFinite(to)) errors.push({ field: 'to', message: 'must be a number' });
  if (!Number.isInteger(count) || count < 2 || count > kMaxGroups) errors.push({ field: 'count', message: `must be an integer from 2 to ${kMaxGroups} (one group per value), got ${count}` });
  if (scale === 'log' && (from <= 0 || to <= 0)) errors.push({ field: scale === 'log' && from <= 0 ? 'from' : 'to', message: 'a log range needs both ends above 0' });
  if (errors.length > 0) throw new ConfigError(errors);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    // The ends are written as given, not recomputed (exp(log(x)) need not be x).
    const value = i === 0 ? from : i === count - 1 ? to : scale === 'log' ? from * (to / from) ** t : from + (to - from) * t;
    values.push(spec!.type === 'int' ? Math.round(value) : Number(value.toPrecision(6)));
  }
  return [...new Set(values)];
}

/** Values typed as a list ("0.01, 0.1, 1"; commas, spaces or semicolons between them), each parsed by the schema. */
export function sweepList(key: ParamKey, text: string): Params[ParamKey][] {
  const spec = paramSpec(key);
  if (!spec) throw new ConfigError([{ field: 'sweep parameter', message: `unknown key ${key}` }]);
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new ConfigError([{ field: 'values', message: 'list at least one value' }]);
  const errors: FieldError[] = [];
  const values: Params[ParamKey][] = [];
  parts.forEach((part, i) => {
    const parsed = parseValue(spec, part);
    if (parsed.ok) values.push(parsed.value);
    else errors.push({ field: `values: value ${i + 1}`, message: `${key} ${parsed.message}` });
  });
  if (errors.length > 0) throw new ConfigError(errors);
  return values;
}

/** replace: one group per value, each a copy of group `base`; multiply: every group once per value. */
export type SweepMode = 'replace' | 'multiply';

/**
 * The config with a sweep over `key`: one group per value (applySweeps), either replacing the
 * groups with copies of group `base` or multiplying the groups there are. Every value is checked
 * by the schema and the result by validateConfig; a ConfigError (naming the field) leaves the
 * config as it was.
 */
export function withSweep(config: ExperimentConfig, key: ParamKey, values: readonly Params[ParamKey][], mode: SweepMode, base = 0): ExperimentConfig {
  const spec = paramSpec(key);
  if (!spec || spec.scope !== 'group') throw new ConfigError([{ field: 'sweep parameter', message: `${key} is shared by all groups and cannot be swept` }]);
  if (values.length === 0) throw new ConfigError([{ field: 'values', message: 'list at least one value' }]);
  const errors: FieldError[] = [];
  values.forEach((value, i) => {
    const checked = checkValue(spec, value);
    if (!checked.ok) errors.push({ field: `values: value ${i + 1}`, message: `${key} ${checked.message}` });
  });
  const distinct = new Set(values.map((v) => formatValue(v)));
  if (distinct.size !== values.length) errors.push({ field: 'values', message: 'a value is listed twice; each value makes one group' });
  const start = mode === 'replace' ? [structuredClone(config.groups[base] ?? config.groups[0])] : structuredClone(config.groups);
  const total = start.length * values.length;
  if (total > kMaxGroups) {
    errors.push({ field: 'values', message: `${start.length} group${start.length === 1 ? '' : 's'} x ${values.length} values = ${total} groups; at most ${kMaxGroups}` });
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return applySweeps({ params: structuredClone(config.params), groups: start }, [{ key, values: [...values] }]);
}

/**
 * An experiment: shared parameters plus one or more groups that override group-scoped ones.
 * Pure data, serialisable as JSON (config files) and as a URL query (shared links).
 */
import {
  type FieldError,
  type ParamKey,
  type ParamSpec,
  type Params,
  ConfigError,
  checkCrossFields,
  checkValue,
  defaultParams,
  formatValue,
  kGroupKeys,
  kParamSpecs,
  paramSpec,
  parseValue,
} from './schema.ts';
import { kMaxGroups } from './shared-constants.ts';

export type GroupOverrides = Partial<Params>;

export interface ExperimentConfig {
  params: Params;
  /** At least one; each overrides group-scoped keys of `params`. */
  groups: GroupOverrides[];
}

/** At most this many groups (the GPU kernels size their per-group arrays by it). */
export { kMaxGroups };

export function defaultConfig(): ExperimentConfig {
  return { params: defaultParams(), groups: [{}] };
}

/** The full parameter set of every group. */
export function resolveGroups(config: ExperimentConfig): Params[] {
  return config.groups.map((overrides) => ({ ...config.params, ...overrides }));
}

/**
 * The parameters that tell the groups apart, without their names (`label`): what colours them,
 * labels them where they have no name, and what a study puts on its x axis.
 */
export function distinguishingParams(config: ExperimentConfig): ParamKey[] {
  return distinguishingKeys(config).filter((key) => key !== 'label');
}

/** Group-scoped keys whose value differs between groups: what a CSV column must show. */
export function distinguishingKeys(config: ExperimentConfig): ParamKey[] {
  const groups = resolveGroups(config);
  return kGroupKeys.filter((key) => {
    const first = formatValue(groups[0][key]);
    return groups.some((g) => formatValue(g[key]) !== first);
  });
}

function groupLabel(index: number): string {
  return `groups[${index}].`;
}

/** Checks a whole config; throws one ConfigError listing every bad field. */
export function validateConfig(config: ExperimentConfig): ExperimentConfig {
  const errors: FieldError[] = [];
  if (config.groups.length < 1 || config.groups.length > kMaxGroups) {
    errors.push({ field: 'groups', message: `must have 1 to ${kMaxGroups} groups, got ${config.groups.length}` });
  }
  for (const spec of kParamSpecs) {
    const checked = checkValue(spec, config.params[spec.key]);
    if (!checked.ok) errors.push({ field: spec.key, message: checked.message });
  }
  config.groups.forEach((overrides, g) => {
    for (const [key, value] of Object.entries(overrides)) {
      const spec = paramSpec(key);
      const field = `${groupLabel(g)}${key}`;
      if (!spec) errors.push({ field, message: 'unknown key' });
      else if (spec.scope !== 'group') errors.push({ field, message: 'is shared by all groups; set it outside groups' });
      else {
        const checked = checkValue(spec, value);
        if (!checked.ok) errors.push({ field, message: checked.message });
      }
    }
  });
  if (errors.length === 0) {
    resolveGroups(config).forEach((params, g) => {
      const prefix = config.groups.length > 1 && Object.keys(config.groups[g]).length > 0 ? groupLabel(g) : '';
      for (const error of checkCrossFields(params, prefix)) {
        if (!errors.some((e) => e.field === error.field)) errors.push(error);
      }
    });
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a config from parsed JSON: `{ "arms": 10, "lr": 0.1, "groups": [{ "baseline": "none" }] }`.
 * Unknown keys are errors (a typo must not silently fall back to a default).
 */
export function configFromObject(input: unknown, base: ExperimentConfig = defaultConfig()): ExperimentConfig {
  if (!isRecord(input)) throw new ConfigError([{ field: '(config)', message: 'must be a JSON object' }]);
  const errors: FieldError[] = [];
  const params = { ...base.params };
  let groups: GroupOverrides[] = base.groups.map((g) => ({ ...g }));
  for (const [key, value] of Object.entries(input)) {
    if (key === 'groups') {
      if (!Array.isArray(value) || !value.every(isRecord)) {
        errors.push({ field: 'groups', message: 'must be a list of objects' });
      } else {
        groups = value.length === 0 ? [{}] : value.map((g) => ({ ...(g as GroupOverrides) }));
      }
      continue;
    }
    const spec = paramSpec(key);
    if (!spec) {
      errors.push({ field: key, message: 'unknown key' });
      continue;
    }
    const checked = checkValue(spec, value);
    if (checked.ok) (params as Record<string, unknown>)[key] = checked.value;
    else errors.push({ field: key, message: checked.message });
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return validateConfig({ params, groups });
}

/** The inverse of `configFromObject`: only values that differ from the defaults. */
export function configToObject(config: ExperimentConfig): Record<string, unknown> {
  const defaults = defaultParams();
  const out: Record<string, unknown> = {};
  for (const spec of kParamSpecs) {
    const value = config.params[spec.key];
    if (formatValue(value) !== formatValue(defaults[spec.key])) out[spec.key] = value;
  }
  if (config.groups.length > 1 || Object.keys(config.groups[0] ?? {}).length > 0) {
    out.groups = config.groups.map((g) => ({ ...g }));
  }
  return out;
}

function parseInto(
  target: Record<string, unknown>,
  spec: ParamSpec | undefined,
  key: string,
  text: string,
  field: string,
  errors: FieldError[],
): void {
  if (!spec) {
    errors.push({ field, message: 'unknown key' });
    return;
  }
  const parsed = parseValue(spec, text);
  if (parsed.ok) target[key] = parsed.value;
  else errors.push({ field, message: parsed.message });
}

function groupsText(groups: readonly GroupOverrides[]): string {
  return JSON.stringify(groups.map((g) => Object.entries(g).map(([key, value]) => [key, formatValue(value as Params[ParamKey])])));
}

/**
 * URL form: `arms=10&lr=0.3&group=baseline%3Dnone&group=baseline%3Daverage`. Shared keys at the
 * top, each group as its own URL-encoded query; only what differs from `base` is written (the
 * groups all or none). `decodeConfigQuery(encodeConfigQuery(c, base), base)` gives `c` back exactly.
 */
export function encodeConfigQuery(config: ExperimentConfig, base: ExperimentConfig = defaultConfig()): string {
  const query = new URLSearchParams();
  for (const spec of kParamSpecs) {
    const text = formatValue(config.params[spec.key]);
    if (text !== formatValue(base.params[spec.key])) query.append(spec.key, text);
  }
  if (groupsText(config.groups) !== groupsText(base.groups)) {
    for (const group of config.groups) {
      const groupQuery = new URLSearchParams();
      for (const [key, value] of Object.entries(group)) groupQuery.append(key, formatValue(value as Params[ParamKey]));
      query.append('group', groupQuery.toString());
    }
  }
  return query.toString();
}

export interface DecodedConfig {
  config: ExperimentConfig;
  /** Every field that was wrong and fell back to its default; empty when all was well. */
  errors: FieldError[];
}

/**
 * Reads a URL query or hash on top of `base` (its groups unless the query has some). Never
 * throws: a bad field falls back to the base's value and is reported, so a mistyped link still
 * opens a working page that says what was wrong.
 */
export function decodeConfigQuery(query: string, base: ExperimentConfig = defaultConfig()): DecodedConfig {
  const errors: FieldError[] = [];
  const params = structuredClone(base.params) as unknown as Record<string, unknown>;
  const groups: GroupOverrides[] = [];
  const search = new URLSearchParams(query.replace(/^[#?]/, ''));
  for (const [key, text] of search) {
    if (key === 'group') {
      const overrides: Record<string, unknown> = {};
      const index = groups.length;
      for (const [groupKey, groupText] of new URLSearchParams(text)) {
        const spec = paramSpec(groupKey);
        const field = `group ${index + 1} ${groupKey}`;
        if (spec && spec.scope !== 'group') errors.push({ field, message: 'is shared by all groups; set it outside groups' });
        else parseInto(overrides, spec, groupKey, groupText, field, errors);
      }
      groups.push(overrides as GroupOverrides);
      continue;
    }
    parseInto(params, paramSpec(key), key, text, key, errors);
  }
  let config: ExperimentConfig = {
    params: params as unknown as Params,
    groups: groups.length > 0 ? groups.slice(0, kMaxGroups) : structuredClone(base.groups),
  };
  if (groups.length > kMaxGroups) errors.push({ field: 'group', message: `at most ${kMaxGroups} groups; the rest were dropped` });
  try {
    validateConfig(config);
  } catch (error) {
    // Cross-field problems (means or names vs arms): drop the lists rather than the whole link.
    if (!(error instanceof ConfigError)) throw error;
    errors.push(...error.errors);
    config = {
      params: { ...config.params, means: [], armNames: [] },
      groups: config.groups.map(({ means: _dropped, ...rest }) => rest),
    };
  }
  return { config, errors };
}

export interface Sweep {
  key: ParamKey;
  values: Params[ParamKey][];
}

/**
 * One group per value; several sweeps give their product, the first sweep varying slowest.
 * Existing groups are multiplied too, so a preset's groups x a sweep works.
 */
export function applySweeps(config: ExperimentConfig, sweeps: Sweep[]): ExperimentConfig {
  let groups = config.groups;
  for (const sweep of sweeps) {
    const next: GroupOverrides[] = [];
    for (const group of groups) for (const value of sweep.values) next.push({ ...group, [sweep.key]: value });
    groups = next;
  }
  return validateConfig({ params: config.params, groups });
}

/**
 * A shareable link's query: `preset=NAME` plus the keys that differ from that preset, or the
 * keys that differ from the defaults when no preset is named (`decodeConfigQuery`'s form), then
 * the run's live changes. The page's hash, and later embeds, speak it; a link that names no
 * preset at all opens the page's landing preset.
 *
 * Live changes: one `change=STEP:GROUP:KEY=VALUE` per changed value, in step order, e.g.
 * `#preset=mistake-lr-too-high&change=200:*:lr=5`. STEP is the number of steps done when the
 * value changed (it applies from step STEP + 1 on; 0: before the first step), GROUP a group's
 * index from 0, or `*` for every group, KEY a live group key (the table's Live column) and
 * VALUE as in the rest of the link. The config before them is the one the run STARTED with, so
 * the link replays the run as it went: same rows, step for step. A bad entry is dropped and
 * named (field `change N`, N counting the entries from 1); the others still apply.
 */
import { type DecodedConfig, type ExperimentConfig, decodeConfigQuery, encodeConfigQuery, resolveGroups } from './config.ts';
import type { LiveParams } from './engine.ts';
import { type ParamChange, checkLivePatch } from './groups.ts';
import { findPreset, getPreset } from './presets.ts';
import { ConfigError, type FieldError, type ParamKey, type Params, formatFieldError, formatValue, kParamSpecs, paramSpec, parseValue } from './schema.ts';

export interface DecodedLink extends DecodedConfig {
  /** The preset the link builds on (its current name, for an old one), or null. */
  preset: string | null;
  /** The live changes to replay, one per step and group (`normaliseChanges`' form). */
  changes: ParamChange[];
}

/** The query key of a live change. */
export const kChangeKey = 'change';

/** The last step a change may name (the `steps` parameter's own limit). */
const kMaxChangeStep = (() => {
  const spec = paramSpec('steps');
  return spec && 'max' in spec ? spec.max : 1e7;
})();

/**
 * Reads a link. `landing` is the preset an empty link opens (null: the defaults). Never throws:
 * an unknown preset is reported (field `preset`) and the defaults stand in for it; a bad change
 * is reported and left out.
 */
export function decodeLink(query: string, landing: string | null = null): DecodedLink {
  const search = new URLSearchParams(query.replace(/^[#?]/, ''));
  const named = search.get('preset');
  search.delete('preset');
  // Only a link with nothing in it opens the landing preset; changes alone build on the defaults.
  const empty = [...search.keys()].length === 0;
  const changeTexts = search.getAll(kChangeKey);
  search.delete(kChangeKey);
  const errors: DecodedConfig['errors'] = [];
  let preset: string | null = named ?? (empty ? landing : null);
  let base: ExperimentConfig | undefined;
  if (preset !== null) {
    try {
      preset = findPreset(preset).name;
      base = getPreset(preset);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...error.errors);
      preset = null;
    }
  }
  const decoded = decodeConfigQuery(search.toString(), base);
  const changes = decodeChanges(changeTexts, decoded.config);
  return { config: decoded.config, errors: [...errors, ...decoded.errors, ...changes.errors], preset, changes: changes.changes };
}

/**
 * The link for `config` (the config the run started with), written as `preset=NAME` and what
 * differs from it when `preset` is given, then `changes` (any order of engine records).
 */
export function encodeLink(config: ExperimentConfig, preset: string | null, changes: readonly ParamChange[] = []): string {
  let query: string;
  if (preset === null) query = encodeConfigQuery(config);
  else {
    const name = findPreset(preset).name;
    const rest = encodeConfigQuery(config, getPreset(name));
    query = `preset=${encodeURIComponent(name)}${rest ? `&${rest}` : ''}`;
  }
  const written = encodeChanges(changes, config.groups.length);
  return [query, ...written.map((text) => `${kChangeKey}=${text}`)].filter((part) => part !== '').join('&');
}

/**
 * One change per step and group, in step then group order, each patch holding the values that
 * group had after all its changes at that step: what replaying `changes` in order amounts to,
 * since changes made between the same two steps all apply before the next one.
 */
export function normaliseChanges(changes: readonly ParamChange[]): ParamChange[] {
  const out: ParamChange[] = [];
  const order = changes.map((change, i) => ({ change, i })).sort((a, b) => a.change.afterStep - b.change.afterStep || a.change.group - b.change.group || a.i - b.i);
  for (const { change } of order) {
    const last = out[out.length - 1];
    if (last && last.afterStep === change.afterStep && last.group === change.group) Object.assign(last.patch, structuredClone(change.patch));
    else out.push({ afterStep: change.afterStep, group: change.group, patch: structuredClone(change.patch) });
  }
  return out;
}

/** The entries (`STEP:GROUP:KEY=VALUE`, URL-escaped) for `changes` in a run of `groups` groups. */
function encodeChanges(changes: readonly ParamChange[], groups: number): string[] {
  const out: string[] = [];
  const normal = normaliseChanges(changes);
  for (let i = 0; i < normal.length;) {
    const step = normal[i].afterStep;
    let end = i;
    while (end < normal.length && normal[end].afterStep === step) end++;
    const atStep = normal.slice(i, end);
    for (const spec of kParamSpecs) {
      const values = atStep.filter((c) => spec.key in c.patch).map((c) => ({ group: c.group, text: formatValue((c.patch as Params)[spec.key]) }));
      if (values.length === 0) continue;
      // The same value for every group (a slider moved for the whole experiment): one entry.
      if (values.length === groups && values.every((v) => v.text === values[0].text)) out.push(changeText(step, '*', spec.key, values[0].text));
      else for (const v of values) out.push(changeText(step, String(v.group), spec.key, v.text));
    }
    i = end;
  }
  return out;
}

function changeText(step: number, group: string, key: string, value: string): string {
  // ':', '=', ',' and '*' are safe in a fragment: the link stays readable.
  return `${step}:${group}:${key}=${encodeURIComponent(value).replace(/%2C/gi, ',')}`;
}

const kChangePattern = /^(\d+):(\*|\d+):([A-Za-z]+)=(.*)$/s;

/**
 * Reads `change` entries against the config they start from: each checked in turn on the
 * parameters it changes (a value that breaks another, like `means` of the wrong length, is
 * refused), so what is returned replays without error.
 */
export function decodeChanges(texts: readonly string[], config: ExperimentConfig): { changes: ParamChange[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const groups = config.groups.length;
  const entries: { order: number; step: number; groups: number[]; key: string; patch: Partial<LiveParams> }[] = [];
  texts.forEach((text, order) => {
    const field = `${kChangeKey} ${order + 1}`;
    const match = kChangePattern.exec(text);
    if (!match) {
      errors.push({ field, message: `must be STEP:GROUP:KEY=VALUE (GROUP an index from 0, or *), got ${JSON.stringify(text.slice(0, 40))}` });
      return;
    }
    const [, stepText, groupText, key, valueText] = match;
    const step = Number(stepText);
    if (!Number.isSafeInteger(step) || step > kMaxChangeStep) {
      errors.push({ field, message: `step must be an integer in [0, ${kMaxChangeStep}], got ${stepText}` });
      return;
    }
    const group = groupText === '*' ? -1 : Number(groupText);
    if (group >= groups) {
      errors.push({ field, message: `no group ${group} (the link has ${groups} group${groups === 1 ? '' : 's'}, counted from 0)` });
      return;
    }
    const spec = paramSpec(key);
    if (!spec) {
      errors.push({ field: `${field} ${key}`, message: 'unknown key' });
      return;
    }
    if (!spec.live || spec.scope !== 'group') {
      const live = kParamSpecs.filter((s) => s.live && s.scope === 'group').map((s) => s.key).join(', ');
      errors.push({ field: `${field} ${key}`, message: `cannot change during a run (live keys: ${live})` });
      return;
    }
    const value = parseValue(spec, valueText);
    if (!value.ok) {
      errors.push({ field: `${field} ${key}`, message: value.message });
      return;
    }
    const targets = group < 0 ? Array.from({ length: groups }, (_, g) => g) : [group];
    entries.push({ order, step, groups: targets, key, patch: { [key]: value.value } as Partial<LiveParams> });
  });
  // Checked in replay order on the parameters in effect then. An entry refused for one of its
  // groups is refused for all of them (a `*` change keeps its groups alike) and changes nothing.
  entries.sort((a, b) => a.step - b.step || a.order - b.order);
  const params = resolveGroups(config);
  const kept: ParamChange[] = [];
  for (const entry of entries) {
    try {
      const next = entry.groups.map((g) => checkLivePatch(params[g], entry.patch, g));
      entry.groups.forEach((g, i) => {
        params[g] = next[i];
        kept.push({ afterStep: entry.step, group: g, patch: structuredClone(entry.patch) });
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const messages = error.errors.map((e) => (e.field === entry.key || e.field.endsWith(`.${entry.key}`) ? e.message : formatFieldError(e)));
      errors.push({ field: `${kChangeKey} ${entry.order + 1} ${entry.key}`, message: messages.join('; ') });
    }
  }
  return { changes: normaliseChanges(kept), errors };
}

/**
 * `config` with `change` applied to its group: a key every group then shares moves to the shared
 * parameters (as a slider sets it), so the page's controls read it the usual way.
 */
export function applyChange(config: ExperimentConfig, change: ParamChange): ExperimentConfig {
  const next = structuredClone(config);
  const group = next.groups[change.group];
  if (!group) return next;
  for (const [key, value] of Object.entries(change.patch)) {
    (group as Record<string, unknown>)[key] = structuredClone(value);
    const resolved = resolveGroups(next).map((g) => formatValue(g[key as ParamKey]));
    if (resolved.every((text) => text === resolved[0])) {
      (next.params as unknown as Record<string, unknown>)[key] = structuredClone(value);
      for (const g of next.groups) delete (g as Record<string, unknown>)[key];
    }
  }
  return next;
}

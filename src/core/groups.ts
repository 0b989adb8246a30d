/**
 * What every engine keeps per group, whatever it runs on: the parameters as they are now, the
 * f32 step constants derived from them, and every live change since the start (the replay of an
 * agent applies them at the steps they took effect).
 */
import { type StepConstants, stepConstants } from './agent.ts';
import { type ExperimentConfig, resolveGroups } from './config.ts';
import type { LiveParams } from './engine.ts';
import { ConfigError, type FieldError, type Params, checkCrossFields, checkValue, paramSpec } from './schema.ts';

export interface ParamChange {
  /** Applies from step `afterStep + 1` on. */
  afterStep: number;
  group: number;
  patch: Partial<LiveParams>;
}

/** `params` with `patch` applied, every key checked; a ConfigError names each bad key and the group. */
export function checkLivePatch(params: Params, patch: Partial<LiveParams>, group: number): Params {
  const errors: FieldError[] = [];
  const next = { ...params } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const spec = paramSpec(key);
    if (!spec || !spec.live || spec.scope !== 'group') {
      errors.push({ field: key, message: spec ? 'cannot change while running; restart instead' : 'unknown key' });
      continue;
    }
    const checked = checkValue(spec, value);
    if (checked.ok) next[key] = checked.value;
    else errors.push({ field: key, message: checked.message });
  }
  if (errors.length === 0) errors.push(...checkCrossFields(next as unknown as Params, ''));
  if (errors.length > 0) throw new ConfigError(errors.map((e) => ({ ...e, message: `${e.message} (group ${group})` })));
  return next as unknown as Params;
}

/** What a sink is told when a group's preferences overflow. */
export function divergenceMessage(group: number, step: number): string {
  return `group ${group} diverged at step ${step}: preferences became non-finite (lower lr or the reward scale)`;
}

export class LiveGroups {
  readonly params: Params[];
  readonly constants: StepConstants[];
  readonly changes: ParamChange[] = [];

  constructor(config: ExperimentConfig) {
    this.params = resolveGroups(config);
    this.constants = this.params.map(stepConstants);
  }

  /** Checks `patch` and applies it to `group` from step `afterStep + 1` on; throws ConfigError. */
  set(group: number, patch: Partial<LiveParams>, afterStep: number): void {
    if (!this.params[group]) throw new ConfigError([{ field: 'group', message: `no group ${group}` }]);
    this.params[group] = checkLivePatch(this.params[group], patch, group);
    this.constants[group] = stepConstants(this.params[group]);
    this.changes.push({ afterStep, group, patch: { ...patch } });
  }
}

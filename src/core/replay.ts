/**
 * One agent replayed from step 1 with the engines' own stepper: an exact copy of its history for
 * either engine (live changes are applied at the step they took effect), so that one agent can be
 * followed without reading the whole population back.
 */
import { AgentStepper, armNormal, stepConstants } from './agent.ts';
import { type ExperimentConfig, resolveGroups } from './config.ts';
import type { Trajectory } from './engine.ts';
import type { ParamChange } from './groups.ts';
import { scoreDirection } from './policy.ts';
import { ConfigError, type Params } from './schema.ts';

export function replayAgent(
  config: ExperimentConfig,
  changes: readonly ParamChange[],
  group: number,
  agent: number,
  steps: number,
): Trajectory {
  const k = config.params.arms;
  let params = resolveGroups(config)[group];
  if (!params || agent < 0 || agent >= params.agents || !Number.isInteger(agent)) {
    throw new ConfigError([{ field: 'agent', message: `no agent ${agent} in group ${group}` }]);
  }
  let constants = stepConstants(params);
  const stepper = new AgentStepper(k, config.params.seed);
  const normals = new Float32Array(k);
  for (let j = 0; j < k; j++) normals[j] = armNormal(config.params.seed, agent, j, stepper.words);
  const prefs = new Float32Array(k);
  const rewardMean = new Float32Array(1);
  const ema = new Float32Array(1).fill(Math.fround(params.baselineInit));
  const out: Trajectory = {
    group, agent, arms: k, steps,
    probs: new Float32Array(steps * k),
    actions: new Uint8Array(steps),
    rewards: new Float32Array(steps),
    baselines: new Float32Array(steps),
    advantages: new Float32Array(steps),
    gradients: new Float32Array(steps * k),
    prefs: new Float32Array(steps * k),
  };
  const groupChanges = changes.filter((c) => c.group === group);
  let nextChange = 0;
  for (let step = 1; step <= steps; step++) {
    let changed = step === 1;
    while (nextChange < groupChanges.length && groupChanges[nextChange].afterStep < step) {
      params = { ...params, ...groupChanges[nextChange].patch } as Params;
      constants = stepConstants(params);
      nextChange++;
      changed = true;
    }
    if (changed) stepper.loadArms(constants, normals, 0);
    stepper.policy(prefs, 0, constants);
    const t = step - 1;
    out.probs.set(stepper.probs, t * k);
    stepper.takeStep(prefs, 0, rewardMean, ema, 0, agent, step, constants);
    out.actions[t] = stepper.action;
    out.rewards[t] = stepper.reward;
    out.baselines[t] = stepper.baseline;
    out.advantages[t] = stepper.advantage;
    const scaledAdvantage = stepper.advantage * constants.invTemperature;
    for (let j = 0; j < k; j++) out.gradients[t * k + j] = scaledAdvantage * scoreDirection(j, stepper.action, stepper.probs);
    out.prefs.set(prefs, t * k);
  }
  return out;
}

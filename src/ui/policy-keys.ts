/**
 * Which parameters belong to which policy: the one table the page reads to show a group only
 * the knobs that act on it (the panel, the present bar, the keys, the charts that plot a policy
 * gradient). A key not listed acts on every policy (the bandit, the run, the groups' names).
 */
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import type { ParamKey, PolicyKind } from '../core/schema.ts';

export const kPolicyOnlyKeys: Readonly<Record<PolicyKind, readonly ParamKey[]>> = Object.freeze({
  softmax: [
    'lr', 'temperature', 'baseline', 'baselineRate', 'baselineStart', 'baselineInit', 'criticLr', 'contexts', 'contextSpread', 'batch',
    'advantageNorm', 'entropy', 'epochs', 'clip',
  ],
  'epsilon-greedy': ['epsilon', 'initialValue', 'valueStep'],
});

const kOwner = new Map<ParamKey, PolicyKind>(
  (Object.entries(kPolicyOnlyKeys) as [PolicyKind, readonly ParamKey[]][]).flatMap(([policy, keys]) => keys.map((key) => [key, policy] as const)),
);

/** Whether `key` acts on a group of any of `policies`. */
export function keyApplies(key: ParamKey, policies: ReadonlySet<PolicyKind>): boolean {
  const owner = kOwner.get(key);
  return owner === undefined || policies.has(owner);
}

/** The policies of groups `groups` of `config` (null: every group). */
export function policiesOf(config: ExperimentConfig, groups: readonly number[] | null = null): Set<PolicyKind> {
  const resolved = resolveGroups(config);
  return new Set((groups ?? resolved.map((_, g) => g)).map((g) => resolved[g]?.policy).filter((p) => p !== undefined));
}

/** Whether group `group` learns by the policy gradient (its gradient statistics mean something). */
export function hasPolicyGradient(config: ExperimentConfig, group: number): boolean {
  return resolveGroups(config)[group]?.policy === 'softmax';
}

/** Why the learning-rate controls do nothing for `config` (no group has a policy gradient), or ''. */
export function noLearningRate(config: ExperimentConfig): string {
  return policiesOf(config).has('softmax') ? '' : 'every group is epsilon-greedy, a value-based agent: there is no learning rate (try Epsilon)';
}

/**
 * Why the baseline comparison cannot be switched on for `config`, or ''. Switched on, both of
 * its groups take the experiment's own policy (config-edit.ts), and an epsilon-greedy agent has
 * no baseline: the two groups would be the same.
 */
export function noBaselineComparison(config: ExperimentConfig, comparing: boolean): string {
  return comparing || config.params.policy === 'softmax' ? '' : 'epsilon-greedy agents have no baseline, so there is nothing to compare (the comparison is for softmax policies)';
}

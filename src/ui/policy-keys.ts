/**
 * Which parameters belong to which policy: the one table the page reads to show a group only
 * the knobs that act on it (the panel, the present bar, the keys, the charts that plot a policy
 * gradient). A key not listed acts on every policy (the bandit, the run, the groups' names).
 */
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import type { ParamKey, PolicyKind } from '../core/schema.ts';

/** The keys that act on each policy (a key may act on several; unlisted keys act on all). */
export const kPolicyOnlyKeys: Readonly<Record<PolicyKind, readonly ParamKey[]>> = Object.freeze({
  softmax: [
    'lr', 'temperature', 'baseline', 'baselineRate', 'baselineStart', 'baselineInit', 'criticLr', 'contexts', 'contextSpread', 'batch',
    'advantageNorm', 'entropy', 'epochs', 'clip',
  ],
  'epsilon-greedy': ['epsilon', 'initialValue', 'valueStep'],
  gaussian: ['initialStd', 'lr', 'baseline', 'baselineRate', 'baselineStart', 'baselineInit', 'criticLr'],
});

const kOwners = new Map<ParamKey, Set<PolicyKind>>();
for (const [policy, keys] of Object.entries(kPolicyOnlyKeys) as [PolicyKind, readonly ParamKey[]][]) {
  for (const key of keys) kOwners.set(key, (kOwners.get(key) ?? new Set<PolicyKind>()).add(policy));
}

/** Whether `key` acts on a group of any of `policies`. */
export function keyApplies(key: ParamKey, policies: ReadonlySet<PolicyKind>): boolean {
  const owners = kOwners.get(key);
  if (owners === undefined) return true;
  for (const policy of policies) if (owners.has(policy)) return true;
  return false;
}

/** The policies of groups `groups` of `config` (null: every group). */
export function policiesOf(config: ExperimentConfig, groups: readonly number[] | null = null): Set<PolicyKind> {
  const resolved = resolveGroups(config);
  return new Set((groups ?? resolved.map((_, g) => g)).map((g) => resolved[g]?.policy).filter((p) => p !== undefined));
}

/** Whether group `group` learns by the policy gradient (its gradient statistics mean something). */
export function hasPolicyGradient(config: ExperimentConfig, group: number): boolean {
  const policy = resolveGroups(config)[group]?.policy;
  return policy !== undefined && policy !== 'epsilon-greedy';
}

/** Why the learning-rate controls do nothing for `config` (no group has a policy gradient), or ''. */
export function noLearningRate(config: ExperimentConfig): string {
  const policies = policiesOf(config);
  return policies.has('softmax') || policies.has('gaussian') ? '' : 'every group is epsilon-greedy, a value-based agent: there is no learning rate (try Epsilon)';
}

/**
 * Why the baseline comparison cannot be switched on for `config`, or ''. Switched on, both of
 * its groups take the experiment's own policy (config-edit.ts), and an epsilon-greedy agent has
 * no baseline: the two groups would be the same.
 */
export function noBaselineComparison(config: ExperimentConfig, comparing: boolean): string {
  return comparing || config.params.policy !== 'epsilon-greedy' ? '' : 'epsilon-greedy agents have no baseline, so there is nothing to compare (the comparison is for softmax policies)';
}

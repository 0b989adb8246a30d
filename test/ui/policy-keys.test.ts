import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/core/config.ts';
import { getPreset } from '../../src/core/presets.ts';
import { kParamSpecs, kPolicies } from '../../src/core/schema.ts';
import { hasPolicyGradient, kPolicyOnlyKeys, keyApplies, noBaselineComparison, noLearningRate, policiesOf } from '../../src/ui/policy-keys.ts';

describe('which keys belong to which policy', () => {
  it('names schema keys that groups may set, each once per policy, shared only by the two policy gradients, and never the policy itself', () => {
    const owned = kPolicies.flatMap((p) => kPolicyOnlyKeys[p]);
    for (const policy of kPolicies) expect(new Set(kPolicyOnlyKeys[policy]).size, policy).toBe(kPolicyOnlyKeys[policy].length);
    for (const key of owned) expect(kParamSpecs.find((s) => s.key === key)?.scope, key).toBe('group');
    expect(owned).not.toContain('policy');
    // Softmax and gaussian groups share the REINFORCE step's keys; epsilon-greedy shares none.
    const shared = kPolicyOnlyKeys.gaussian.filter((key) => kPolicyOnlyKeys.softmax.includes(key));
    expect([...shared].sort()).toEqual(['baseline', 'baselineInit', 'baselineRate', 'baselineStart', 'criticLr', 'lr']);
    for (const key of kPolicyOnlyKeys['epsilon-greedy']) expect(kPolicyOnlyKeys.softmax.includes(key) || kPolicyOnlyKeys.gaussian.includes(key), key).toBe(false);
    // The schema's help marks the epsilon-greedy keys as such: the table agrees with it.
    const marked = kParamSpecs.filter((s) => s.help.startsWith('epsilon-greedy:')).map((s) => s.key);
    expect([...kPolicyOnlyKeys['epsilon-greedy']].sort()).toEqual(marked.sort());
    // The gaussian policy's own key is its initial spread ('gaussian:' also starts the gaussian env's help).
    expect(kPolicyOnlyKeys.gaussian.filter((key) => !shared.includes(key))).toEqual(['initialStd']);
  });

  it('shows a key where some edited group has its policy', () => {
    const softmax = new Set(['softmax'] as const);
    const greedy = new Set(['epsilon-greedy'] as const);
    const both = new Set(kPolicies);
    expect([keyApplies('lr', softmax), keyApplies('lr', greedy), keyApplies('lr', both)]).toEqual([true, false, true]);
    expect([keyApplies('epsilon', softmax), keyApplies('epsilon', greedy), keyApplies('epsilon', both)]).toEqual([false, true, true]);
    for (const key of ['policy', 'arms', 'offset', 'agents'] as const) expect(keyApplies(key, greedy) && keyApplies(key, softmax), key).toBe(true);
  });

  it('reads the policies of the groups from a config', () => {
    const mixed = getPreset('value-vs-policy');
    expect([...policiesOf(mixed)].sort()).toEqual(['epsilon-greedy', 'softmax']);
    expect([...policiesOf(mixed, [0])]).toEqual(['epsilon-greedy']);
    expect([hasPolicyGradient(mixed, 0), hasPolicyGradient(mixed, 1)]).toEqual([false, true]);
    expect(noLearningRate(mixed)).toBe('');
    expect(noLearningRate(getPreset('epsilon-greedy'))).toContain('no learning rate');
    expect(noLearningRate(configFromObject({}))).toBe('');
  });

  it('refuses the baseline comparison only where it would compare two epsilon-greedy groups', () => {
    expect(noBaselineComparison(getPreset('epsilon-greedy'), false)).toContain('no baseline');
    expect(noBaselineComparison(getPreset('epsilon-greedy'), true)).toBe('');
    expect(noBaselineComparison(getPreset('value-vs-policy'), false)).toBe('');
    expect(noBaselineComparison(configFromObject({}), false)).toBe('');
  });
});

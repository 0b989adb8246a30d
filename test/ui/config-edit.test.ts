import { describe, expect, it } from 'vitest';
import { applySweeps, decodeConfigQuery, encodeConfigQuery, kMaxGroups, resolveGroups } from '../../src/core/config.ts';
import { getPreset } from '../../src/core/presets.ts';
import { ConfigError } from '../../src/core/schema.ts';
import {
  addGroup,
  diffConfig,
  groupLabels,
  groupValuesText,
  isBaselineComparison,
  removeGroup,
  sweepList,
  sweepRange,
  sweepableSpecs,
  withBaselineComparison,
  withGroupParam,
  withParam,
  withSweep,
} from '../../src/ui/config-edit.ts';

const base = () => decodeConfigQuery('agents=500').config;

describe('config edits from the controls', () => {
  it('the baseline toggle adds a group identical but for the baseline, and removes it', () => {
    const on = withBaselineComparison(base(), true);
    expect(isBaselineComparison(on)).toBe(true);
    expect(resolveGroups(on).map((g) => g.baseline)).toEqual(['average', 'none']);
    expect(groupLabels(on)).toEqual(['baseline average', 'baseline none']);
    expect(diffConfig(base(), on).restartKeys).toEqual(['groups']);
    const off = withBaselineComparison(on, false);
    expect(encodeConfigQuery(off)).toBe(encodeConfigQuery(base()));
    expect(isBaselineComparison(getPreset('mistake-no-baseline'))).toBe(true);
    expect(isBaselineComparison(getPreset('testbed-baseline'))).toBe(false);
  });

  it('live keys become patches for every group; the others restart', () => {
    const on = withBaselineComparison(base(), true);
    const faster = withParam(on, 'lr', 0.3);
    expect(diffConfig(on, faster)).toEqual({ restartKeys: [], patches: [{ lr: 0.3 }, { lr: 0.3 }], budgetChanged: false });
    expect(diffConfig(on, withParam(on, 'arms', 4)).restartKeys).toEqual(['arms']);
    expect(diffConfig(on, withParam(on, 'steps', 50))).toMatchObject({ restartKeys: [], budgetChanged: true });
    // Under the comparison the baseline select changes the group that has one.
    const ema = withParam(on, 'baseline', 'ema');
    expect(resolveGroups(ema).map((g) => g.baseline)).toEqual(['ema', 'none']);
    expect(diffConfig(on, ema).patches).toEqual([{ baseline: 'ema' }, {}]);
    expect(withParam(on, 'baseline', 'none').groups).toEqual([{}]);
  });

  it('a control sets every group, and says when groups differ', () => {
    const sweep = getPreset('testbed-baseline');
    expect(groupValuesText(sweep, 'lr')).toBe('0.1 | 0.1 | 0.4 | 0.4');
    const one = withParam(sweep, 'lr', 0.2);
    expect(resolveGroups(one).map((g) => g.lr)).toEqual([0.2, 0.2, 0.2, 0.2]);
    expect(groupValuesText(one, 'lr')).toBeNull();
  });
});


/** The fields a refused edit names (and the edit threw, so nothing was applied). */
function refusedFields(edit: () => unknown): string[] {
  try {
    edit();
  } catch (error) {
    if (error instanceof ConfigError) return error.errors.map((e) => e.field);
    throw error;
  }
  throw new Error('the edit was accepted');
}

describe('groups: add, remove, edit one', () => {
  it('adds a copy of the edited group and removes any but the last', () => {
    const two = withBaselineComparison(base(), true);
    const three = addGroup(two, 1);
    expect(three.groups).toEqual([{ baseline: 'average' }, { baseline: 'none' }, { baseline: 'none' }]);
    expect(two.groups.length).toBe(2); // the input is not changed
    expect(removeGroup(three, 0).groups).toEqual([{ baseline: 'none' }, { baseline: 'none' }]);
    expect(refusedFields(() => removeGroup(base(), 0))).toEqual(['groups']);
    let full = base();
    for (let g = 1; g < kMaxGroups; g++) full = addGroup(full, 0);
    expect(full.groups.length).toBe(kMaxGroups);
    expect(refusedFields(() => addGroup(full, 0))).toEqual(['groups']);
  });

  it('sets a group key for one group only, keeping the others, and a shared key for all', () => {
    const two = addGroup(base(), 0);
    const one = withGroupParam(two, 1, 'lr', 0.5);
    expect(resolveGroups(one).map((g) => g.lr)).toEqual([0.1, 0.5]);
    expect(groupLabels(one)).toEqual(['lr 0.1', 'lr 0.5']);
    // Live: only group 1 gets a patch, nothing restarts.
    expect(diffConfig(two, one)).toEqual({ restartKeys: [], patches: [{}, { lr: 0.5 }], budgetChanged: false });
    const arms = withGroupParam(one, 1, 'arms', 4);
    expect(arms.params.arms).toBe(4);
    expect(resolveGroups(arms).map((g) => g.lr)).toEqual([0.1, 0.5]);
    // "All groups" again: the value for every group ends the difference.
    expect(resolveGroups(withParam(one, 'lr', 0.2)).map((g) => g.lr)).toEqual([0.2, 0.2]);
  });
});

describe('sweeps', () => {
  it('linear and log ranges include both ends exactly', () => {
    expect(sweepRange('lr', 0.001, 1, 4, 'log')).toEqual([0.001, 0.01, 0.1, 1]);
    expect(sweepRange('lr', 0.1, 0.5, 5, 'linear')).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(sweepRange('offset', 10, -10, 3, 'linear')).toEqual([10, 0, -10]);
    // An integer key rounds and keeps each value once.
    expect(sweepRange('batch', 1, 16, 5, 'log')).toEqual([1, 2, 4, 8, 16]);
    expect(sweepRange('batch', 1, 3, 5, 'linear')).toEqual([1, 2, 3]);
  });

  it('a range with a bad count, end or parameter names the field', () => {
    expect(refusedFields(() => sweepRange('lr', 0.1, 1, 1, 'linear'))).toEqual(['count']);
    expect(refusedFields(() => sweepRange('lr', 0.1, 1, kMaxGroups + 1, 'linear'))).toEqual(['count']);
    expect(refusedFields(() => sweepRange('lr', 0.1, 1, 2.5, 'linear'))).toEqual(['count']);
    expect(refusedFields(() => sweepRange('offset', 0, 10, 3, 'log'))).toEqual(['from']);
    expect(refusedFields(() => sweepRange('lr', Number.NaN, 1, 3, 'linear'))).toEqual(['from']);
    expect(refusedFields(() => sweepRange('baseline', 0, 1, 3, 'linear'))).toEqual(['sweep parameter']);
  });

  it('a list is parsed by the schema, each bad value named', () => {
    expect(sweepList('lr', '0.01, 0.1 1')).toEqual([0.01, 0.1, 1]);
    expect(sweepList('baseline', 'none, average')).toEqual(['none', 'average']);
    expect(refusedFields(() => sweepList('lr', '0.1, abc, 500'))).toEqual(['values: value 2', 'values: value 3']);
    expect(refusedFields(() => sweepList('lr', ' , '))).toEqual(['values']);
    expect(refusedFields(() => sweepList('baseline', 'average, sometimes'))).toEqual(['values: value 2']);
  });

  it('replaces the groups with one per value, as sim --sweep does, or multiplies them', () => {
    const single = base();
    const swept = withSweep(single, 'lr', [0.01, 0.1, 1], 'replace');
    expect(swept).toEqual(applySweeps(single, [{ key: 'lr', values: [0.01, 0.1, 1] }]));
    expect(swept.groups).toEqual([{ lr: 0.01 }, { lr: 0.1 }, { lr: 1 }]);
    expect(groupLabels(swept)).toEqual(['lr 0.01', 'lr 0.1', 'lr 1']);
    const two = withBaselineComparison(single, true);
    // replace copies the chosen group (here group 1, no baseline) once per value.
    expect(withSweep(two, 'lr', [0.1, 1], 'replace', 1).groups).toEqual([{ baseline: 'none', lr: 0.1 }, { baseline: 'none', lr: 1 }]);
    expect(withSweep(two, 'lr', [0.1, 1], 'multiply').groups).toEqual([
      { baseline: 'average', lr: 0.1 }, { baseline: 'average', lr: 1 }, { baseline: 'none', lr: 0.1 }, { baseline: 'none', lr: 1 },
    ]);
  });

  it('refuses too many groups, repeats, bad values and shared keys, naming the field', () => {
    const many = Array.from({ length: 9 }, (_, i) => 0.1 * (i + 1));
    const two = withBaselineComparison(base(), true);
    expect(refusedFields(() => withSweep(two, 'lr', many, 'multiply'))).toEqual(['values']);
    expect(withSweep(two, 'lr', many, 'replace').groups.length).toBe(9);
    expect(refusedFields(() => withSweep(base(), 'lr', [0.1, 0.1], 'replace'))).toEqual(['values']);
    expect(refusedFields(() => withSweep(base(), 'lr', [0.1, 1000], 'replace'))).toEqual(['values: value 2']);
    expect(refusedFields(() => withSweep(base(), 'arms', [2, 3], 'replace'))).toEqual(['sweep parameter']);
    expect(sweepableSpecs().map((s) => s.key)).not.toContain('means');
    expect(sweepableSpecs().every((s) => s.scope === 'group')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeConfigQuery, encodeConfigQuery, resolveGroups } from '../../src/core/config.ts';
import { getPreset } from '../../src/core/presets.ts';
import {
  diffConfig,
  groupLabels,
  groupValuesText,
  isBaselineComparison,
  withBaselineComparison,
  withParam,
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

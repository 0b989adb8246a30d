/**
 * The charts' colours and words, as pure functions: a group's colour follows from its
 * parameters (no baseline is orange wherever it stands), sweeps read as ramps, labels stay short,
 * change markers say what changed, and line labels are moved apart without leaving the plot.
 */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, defaultConfig } from '../../src/core/config.ts';
import { getPreset, presetNames } from '../../src/core/presets.ts';
import { changeMarkers, shortGroupLabels, spreadLabels } from '../../src/ui/charts/annotations.ts';
import { groupColours } from '../../src/ui/palette.ts';
import { withBaselineComparison } from '../../src/ui/config-edit.ts';

function lightness(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return (Math.max(r, g, b) + Math.min(r, g, b)) / 2 / 255;
}

function hueOf(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

function colourOf(config: ExperimentConfig, baseline: 'none' | 'with'): string[] {
  const colours = groupColours(config);
  const groups = config.groups.map((g) => g.baseline ?? config.params.baseline);
  return colours.filter((_, i) => (groups[i] === 'none') === (baseline === 'none')).map((c) => c.line);
}

describe('group colours', () => {
  it('no baseline is the same orange, and a baseline the same blue, in every comparison and with the toggle', () => {
    const landing = getPreset('baseline-on-off');
    const none = colourOf(landing, 'none')[0];
    const withBaseline = colourOf(landing, 'with')[0];
    expect(hueOf(none)).toBeGreaterThan(15);
    expect(hueOf(none)).toBeLessThan(40);
    expect(hueOf(withBaseline)).toBeGreaterThan(200);
    expect(hueOf(withBaseline)).toBeLessThan(225);
    const noneFirst = { ...landing, groups: [{ baseline: 'none' as const }, { baseline: 'average' as const }] };
    for (const config of [getPreset('mistake-no-baseline'), noneFirst, withBaselineComparison(getPreset('testbed'), true), withBaselineComparison(defaultConfig(), true)]) {
      expect(colourOf(config, 'none')).toEqual([none]);
      expect(colourOf(config, 'with')).toEqual([withBaseline]);
    }
    // Alone, a run keeps its family's colour too.
    expect(groupColours(defaultConfig()).map((c) => c.line)).toEqual([withBaseline]);
    expect(groupColours({ ...defaultConfig(), params: { ...defaultConfig().params, baseline: 'none' } }).map((c) => c.line)).toEqual([none]);
  });

  it('a sweep is a ramp in its family, lighter for smaller values; another difference takes the next hue', () => {
    const sweep = { ...defaultConfig(), groups: [{ lr: 1 }, { lr: 0.1 }, { lr: 10 }] };
    const [mid, light, dark] = groupColours(sweep).map((c) => lightness(c.line));
    expect(light).toBeGreaterThan(mid);
    expect(mid).toBeGreaterThan(dark);
    const hues = groupColours(sweep).map((c) => hueOf(c.line));
    for (const h of hues) expect(Math.abs(h - hues[0])).toBeLessThan(3);

    const extra = { ...defaultConfig(), groups: [{ lr: 0.1 }, { lr: 1 }, { lr: 10 }, { lr: 1, entropy: 0.1 }] };
    const colours = groupColours(extra);
    expect(new Set(colours.map((c) => c.line)).size).toBe(4);
    expect(Math.abs(hueOf(colours[3].line) - hueOf(colours[1].line))).toBeGreaterThan(20);
    // lr 1 with and without the bonus: the same place in the ramp.
    expect(lightness(colours[3].line)).toBeGreaterThan(lightness(colours[2].line));
  });

  it('every preset gets one distinct, readable colour per group', () => {
    for (const name of presetNames()) {
      const colours = groupColours(getPreset(name));
      expect(new Set(colours.map((c) => c.line)).size, name).toBe(colours.length);
      for (const c of colours) {
        expect(lightness(c.line), name).toBeLessThan(0.7);
        expect(lightness(c.text), name).toBeLessThanOrEqual(lightness(c.line) + 1e-9);
      }
    }
  });
});

describe('labels and markers', () => {
  it('line labels are short and say what tells the groups apart', () => {
    expect(shortGroupLabels(getPreset('baseline-on-off'))).toEqual(['baseline', 'no baseline']);
    expect(shortGroupLabels(defaultConfig())).toEqual(['']);
    expect(shortGroupLabels(getPreset('testbed-baseline'))).toEqual(['lr 0.1 · baseline', 'lr 0.1 · no baseline', 'lr 0.4 · baseline', 'lr 0.4 · no baseline']);
    expect(shortGroupLabels({ ...defaultConfig(), groups: [{ lr: 0.1 }, { lr: 1, entropy: 0.1 }] })).toEqual(['lr 0.1', 'lr 1 · entropy 0.1']);
    expect(shortGroupLabels({ ...defaultConfig(), groups: [{ baseline: 'ema' }, { baseline: 'average' }, { baseline: 'none' }] })).toEqual(['ema', 'average', 'no baseline']);
    for (const name of presetNames()) for (const label of shortGroupLabels(getPreset(name))) expect(label.length, `${name}: ${label}`).toBeLessThanOrEqual(26);
  });

  it('a marker per step says what changed from what to what, and for whom when not all', () => {
    const config = { ...defaultConfig(), groups: [{ lr: 0.1 }, { lr: 1 }] };
    expect(changeMarkers(config, [
      { afterStep: 40, group: 0, patch: { lr: 5 } },
      { afterStep: 40, group: 1, patch: { lr: 5 } },
      { afterStep: 90, group: 1, patch: { noise: 0 } },
      { afterStep: 120, group: 0, patch: { lr: 5 } }, // no change: no marker
      { afterStep: 150, group: 0, patch: { lr: 2 } },
      { afterStep: 150, group: 1, patch: { lr: 2, temperature: 0.5 } },
    ], ['lr 0.1', 'lr 1'])).toEqual([
      { step: 40, text: 'lr →5' },
      { step: 90, text: 'noise 1→0 (lr 1)' },
      { step: 150, text: 'lr 5→2, temperature 1→0.5' },
    ]);
    expect(changeMarkers(defaultConfig(), [{ afterStep: 200, group: 0, patch: { lr: 5 } }], [''])).toEqual([{ step: 200, text: 'lr 0.1→5' }]);
  });

  it('labels move apart as little as they can, in order, within the plot', () => {
    expect(spreadLabels([50, 10, 90], 10, 0, 100)).toEqual([50, 10, 90]);
    expect(spreadLabels([50, 52, 51], 10, 0, 100)).toEqual([50, 70, 60]);
    const crowded = spreadLabels([95, 96, 97, 98], 10, 0, 100);
    expect(crowded).toEqual([65, 75, 85, 95]);
    const top = spreadLabels([0, 1], 10, 0, 100);
    expect(top).toEqual([5, 15]);
  });
});

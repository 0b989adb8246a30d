import { describe, expect, it } from 'vitest';
import { resolveGroups, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { getPreset, kPresets, presetNames } from '../../src/core/presets.ts';
import { ConfigError } from '../../src/core/schema.ts';

describe('presets', () => {
  it('have unique names and one-line descriptions', () => {
    expect(new Set(presetNames()).size).toBe(kPresets.length);
    expect(presetNames()).toEqual(['lesson-two-arm', 'lesson-all-positive', 'testbed', 'testbed-baseline']);
    for (const preset of kPresets) {
      expect(preset.name).toMatch(/^[a-z0-9-]+$/);
      expect(preset.description.length).toBeGreaterThan(10);
      expect(preset.description).not.toContain('\n');
    }
  });

  it('all validate and run a few steps', async () => {
    for (const name of presetNames()) {
      const config = getPreset(name);
      expect(() => validateConfig(config)).not.toThrow();
      config.params.agents = 8;
      for (const group of config.groups) delete group.agents;
      const engine = new CpuEngine(config);
      const rows: number[] = [];
      await engine.advance(3, { record: (group, step, values) => {
        rows.push(step);
        expect(values.every((v) => Number.isFinite(v)), `${name} group ${group} step ${step}`).toBe(true);
      } });
      expect(rows.length).toBe(3 * config.groups.length);
    }
  });

  it('getPreset hands out a fresh copy every time', () => {
    const first = getPreset('testbed-baseline');
    first.params.lr = 5;
    first.groups[0].lr = 5;
    const second = getPreset('testbed-baseline');
    expect(second.params.lr).toBe(0.1);
    expect(second.groups[0].lr).toBe(0.1);
    expect(Object.isFrozen(kPresets[0].config.params)).toBe(true);
  });

  it('rejects an unknown name with a ConfigError naming the known ones', () => {
    expect(() => getPreset('nope')).toThrow(ConfigError);
    expect(() => getPreset('nope')).toThrow(/unknown preset "nope" \(known: lesson-two-arm, lesson-all-positive/);
  });

  it('match what the lesson and the testbed describe', () => {
    expect(getPreset('lesson-two-arm').params).toMatchObject({
      arms: 2, env: 'fixed', means: [0, 1], noise: 0, lr: 0.1, baseline: 'average', baselineInit: 0,
      steps: 300, agents: 10_000,
    });
    const allPositive = getPreset('lesson-all-positive');
    expect(resolveGroups(allPositive).map((g) => g.baseline)).toEqual(['none', 'average']);
    expect(allPositive.params.means.every((m) => m > 0)).toBe(true);
    expect(getPreset('testbed').params).toMatchObject({
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1, lr: 0.1, baseline: 'average-inclusive',
      steps: 1000, agents: 2000,
    });
    const figure = getPreset('testbed-baseline');
    expect(figure.params.offset).toBe(4);
    expect(resolveGroups(figure).map((g) => [g.lr, g.baseline])).toEqual([
      [0.1, 'average-inclusive'], [0.1, 'none'], [0.4, 'average-inclusive'], [0.4, 'none'],
    ]);
  });

  it('lesson-all-positive: without a baseline many agents lock onto a worse arm, with one they learn', async () => {
    const config = getPreset('lesson-all-positive');
    config.params.agents = 1000;
    const engine = new CpuEngine(config);
    const last: Float64Array[] = [];
    await engine.advance(config.params.steps, { record: (group, _step, values) => (last[group] = values.slice()) });
    const probOptimal = engine.layout.index('mean_prob_optimal');
    const p25 = engine.layout.index('prob_optimal_p25');
    // Sanity bounds, far from the values seen (no baseline ~0.6 with a quarter of agents below
    // 0.02; with the baseline ~0.99); the statistical tests live in test/core.
    expect(last[0][probOptimal]).toBeLessThan(0.8);
    expect(last[0][p25]).toBeLessThan(0.1);
    expect(last[1][probOptimal]).toBeGreaterThan(0.95);
  });
});

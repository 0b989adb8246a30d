import { describe, expect, it } from 'vitest';
import { resolveGroups, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { getPreset, kLandingPreset, kPresetAliases, kPresets, presetNames } from '../../src/core/presets.ts';
import { ConfigError } from '../../src/core/schema.ts';
import { readCsv, simInProcess } from './helpers.ts';

/** Runs a preset on the CPU engine with `agents` per group; the last row of each group, by column name. */
async function finalRows(name: string, agents: number, steps?: number): Promise<Array<(column: string) => number>> {
  const config = getPreset(name);
  config.params.agents = agents;
  for (const group of config.groups) delete group.agents;
  if (steps !== undefined) config.params.steps = steps;
  const engine = new CpuEngine(config);
  const last: Float64Array[] = [];
  await engine.advance(config.params.steps, { record: (group, _step, values) => (last[group] = values.slice()) });
  return last.map((values) => (column: string) => values[engine.layout.index(column)]);
}

/** Standard error of a mean of per-agent values in [0, 1]: at most 0.5 / sqrt(n). */
const worstSe = (agents: number) => 0.5 / Math.sqrt(agents);

describe('presets', () => {
  it('have unique names, a one-line description and two or three sentences of what to watch', () => {
    expect(new Set(presetNames()).size).toBe(kPresets.length);
    expect(presetNames()).toEqual([
      'baseline-on-off', 'lesson-mini-challenge', 'mistake-high-variance', 'mistake-no-baseline',
      'mistake-lr-too-high', 'mistake-reward-scale', 'ppo-clip', 'testbed', 'testbed-baseline',
      'value-vs-policy', 'epsilon-greedy', 'optimistic-values', 'actor-critic',
      'gaussian-policy',
    ]);
    expect(presetNames()).toContain(kLandingPreset);
    for (const preset of kPresets) {
      expect(preset.name).toMatch(/^[a-z0-9-]+$/);
      expect(preset.description.length).toBeGreaterThan(10);
      expect(preset.description).not.toContain('\n');
      const sentences = preset.watch.split(/(?<=[.!?])\s+/).filter((t) => t.length > 0);
      expect(sentences.length, preset.name).toBeGreaterThanOrEqual(2);
      expect(sentences.length, preset.name).toBeLessThanOrEqual(3);
    }
  });

  it('old names still open the preset that replaced them', () => {
    expect(getPreset('lesson-two-arm')).toEqual(getPreset('lesson-mini-challenge'));
    expect(getPreset('lesson-all-positive')).toEqual(getPreset('mistake-no-baseline'));
    for (const target of Object.values(kPresetAliases)) expect(presetNames()).toContain(target);
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
    expect(() => getPreset('nope')).toThrow(/unknown preset "nope" \(known: baseline-on-off, lesson-mini-challenge/);
  });

  it('match what the lesson and the testbed describe', () => {
    expect(getPreset('lesson-mini-challenge').params).toMatchObject({
      arms: 2, env: 'fixed', means: [0, 1], noise: 0, lr: 0.1, baseline: 'average', baselineStart: 'first-reward',
      steps: 300, armNames: ['Left', 'Right'],
    });
    const noBaseline = getPreset('mistake-no-baseline');
    expect(noBaseline.params).toMatchObject({ means: [50, 51], lr: 0.1, steps: 300, armNames: ['Left', 'Right'] });
    expect(resolveGroups(noBaseline).map((g) => g.baseline)).toEqual(['average', 'none']);
    expect(resolveGroups(getPreset('mistake-reward-scale')).map((g) => g.scale)).toEqual([1, 1000, 0.0001, 1000, 0.0001]);
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
});

// Each preset's claim, on the CPU engine with a fixed seed (the preset's). Mean pi values are
// means over agents of numbers in [0, 1], so their standard error is at most 0.5 / sqrt(agents);
// each bound below is at least 4 such SEs away from the value the run gives (in the comment).
describe('what each preset shows', () => {
  it('sim, the lesson\'s 50 vs 51 at lr 0.1: P(Right) at step 300 >= 0.9 with the running-average baseline, about 0.5 without', async () => {
    const agents = 2000;
    const result = await simInProcess([
      '--engine', 'cpu', '--quiet', '--set', 'arms=2', '--set', 'env=fixed', '--set', 'means=50,51', '--set', 'noise=0',
      '--set', 'lr=0.1', '--set', 'steps=300', '--set', `agents=${agents}`, '--sweep', 'baseline=average,none',
    ]);
    expect(result.code).toBe(0);
    const csv = readCsv(result.stdout);
    const last = csv.rows.filter((row) => row[csv.header.indexOf('step')] === '300');
    const pRight = (baseline: string) => Number(last.find((row) => row[csv.header.indexOf('baseline')] === baseline)![csv.header.indexOf('mean_prob_1')]);
    expect(pRight('average')).toBeGreaterThan(0.9 + 4 * worstSe(agents)); // ~0.98
    expect(Math.abs(pRight('none') - 0.5)).toBeLessThan(4 * worstSe(agents)); // ~0.50
  });

  it('mistake-no-baseline (the lesson, 50 vs 51, lr 0.1): P(Right) at step 300 >= 0.9 with the baseline, about 0.5 without', async () => {
    const agents = 2000;
    const [baseline, none] = await finalRows('mistake-no-baseline', agents);
    expect(baseline('mean_prob_1')).toBeGreaterThan(0.9 + 4 * worstSe(agents)); // ~0.98
    expect(Math.abs(none('mean_prob_1') - 0.5)).toBeLessThan(4 * worstSe(agents)); // ~0.50: half the agents on each arm
    expect(none('prob_optimal_p10')).toBeLessThan(0.01); // collapsed onto Left: ~0.003
  });

  it('baseline-on-off: the group without a baseline has over 10x the gradient variance and learns far less', async () => {
    const agents = 2000;
    const [baseline, none] = await finalRows('baseline-on-off', agents, 200);
    // Exact variances are population means of per-agent exact values; the ratio is ~22 at step 200.
    expect(none('exact_grad_var')).toBeGreaterThan(10 * baseline('exact_grad_var'));
    expect(baseline('mean_prob_optimal') - none('mean_prob_optimal')).toBeGreaterThan(0.3 + 8 * worstSe(agents)); // 0.97 vs 0.51
  });

  it('lesson-mini-challenge: P(Right) passes 0.9 by step 300', async () => {
    const agents = 2000;
    const [only] = await finalRows('lesson-mini-challenge', agents);
    expect(only('mean_prob_1')).toBeGreaterThan(0.9 + 4 * worstSe(agents)); // ~0.98
  });

  it('mistake-high-variance: noise 5 makes the gradient variance 100x that of noise 0 and spreads the agents; a batch of 16 undoes it', async () => {
    const agents = 2000;
    const [clean, noisy, batched] = await finalRows('mistake-high-variance', agents, 100);
    // A batch of 16 divides the exact variance by 16 at the same policy; policies differ a little.
    expect(noisy('exact_grad_var') / batched('exact_grad_var')).toBeGreaterThan(8); // ~14
    expect(batched('prob_optimal_p10')).toBeGreaterThan(0.8); // ~0.89: nobody wanders
    expect(batched('mean_prob_optimal') - noisy('mean_prob_optimal')).toBeGreaterThan(8 * worstSe(agents)); // 0.93 vs 0.75
    expect(noisy('exact_grad_var')).toBeGreaterThan(10 * clean('exact_grad_var')); // ~40x at step 100
    // The spread across agents: the 10%-90% range of P(Right) is ~0.04 clean, ~0.95 noisy.
    expect(noisy('prob_optimal_p90') - noisy('prob_optimal_p10')).toBeGreaterThan(0.5);
    expect(clean('prob_optimal_p90') - clean('prob_optimal_p10')).toBeLessThan(0.1);
    expect(clean('mean_prob_optimal') - noisy('mean_prob_optimal')).toBeGreaterThan(8 * worstSe(agents)); // 0.93 vs 0.76
  });

  it('mistake-lr-too-high: lr 10 collapses (entropy ~0) with many agents on a worse arm; lr 0.1 ends on the best', async () => {
    const agents = 2000;
    const [slow, medium, fast, withEntropy] = await finalRows('mistake-lr-too-high', agents);
    expect(medium('prob_optimal_p10')).toBeLessThan(0.3); // ~0.06: a tenth stuck at lr 1 ...
    expect(withEntropy('prob_optimal_p10')).toBeGreaterThan(0.8); // ~0.91: ... and none with the bonus
    expect(fast('mean_entropy')).toBeLessThan(0.05); // ~0.004: every agent is sure of one arm
    expect(fast('mean_prob_optimal')).toBeLessThan(0.7 - 4 * worstSe(agents)); // ~0.48
    expect(fast('prob_optimal_p10')).toBeLessThan(0.01); // a tenth of the agents or more gave the best arm up
    expect(slow('mean_prob_optimal')).toBeGreaterThan(0.85 + 4 * worstSe(agents)); // ~0.94
    expect(slow('prob_optimal_p10')).toBeGreaterThan(0.8); // ~0.92: nobody stuck
  });

  it('ppo-clip: unclipped passes collapse agents onto worse arms, clipped ones learn fastest', async () => {
    const agents = 1000;
    const [reinforce, unclipped, clipped] = await finalRows('ppo-clip', agents);
    expect(unclipped('prob_optimal_p10')).toBeLessThan(0.05); // ~0.006: a tenth or more sure of a worse arm
    expect(clipped('prob_optimal_p10')).toBeGreaterThan(0.9); // ~0.99
    expect(reinforce('prob_optimal_p10')).toBeGreaterThan(0.9); // ~0.98
    const [early, , earlyClipped] = await finalRows('ppo-clip', agents, 20);
    expect(earlyClipped('mean_prob_optimal') - early('mean_prob_optimal')).toBeGreaterThan(8 * worstSe(agents)); // 0.84 vs 0.70 at step 20
  });

  it('value-vs-policy: epsilon-greedy leads at step 50, the policy gradient at step 1000; greedy P(best) stays under 0.91', async () => {
    const agents = 4000;
    const [greedyEarly, softmaxEarly] = await finalRows('value-vs-policy', agents, 50);
    const se = Math.SQRT2 * worstSe(agents);
    expect(greedyEarly('mean_prob_optimal') - softmaxEarly('mean_prob_optimal')).toBeGreaterThan(4 * se); // ~0.4 vs ~0.2
    const [greedy, softmax] = await finalRows('value-vs-policy', agents);
    expect(softmax('mean_prob_optimal') - greedy('mean_prob_optimal')).toBeGreaterThan(4 * se); // ~0.86 vs ~0.79
    // Exact: with epsilon 0.1 over 10 arms no arm can have more than 0.9 + 0.01.
    expect(greedy('mean_prob_optimal')).toBeLessThanOrEqual(0.91 + 1e-6);
    expect(greedy('mean_entropy')).toBeGreaterThan(softmax('mean_entropy'));
  });

  it('optimistic-values: the optimistic greedy agent passes epsilon-greedy by step 1000', async () => {
    const agents = 2000;
    const [optimistic, realistic] = await finalRows('optimistic-values', agents);
    expect(optimistic('mean_prob_optimal') - realistic('mean_prob_optimal')).toBeGreaterThan(4 * Math.SQRT2 * worstSe(agents)); // ~0.86 vs ~0.76
  });

  it('mistake-reward-scale: x1 learns, x1000 collapses, x0.0001 does not move; both normalisations learn like x1', async () => {
    const agents = 2000;
    const [x1, x1000, tiny, normalised, running] = await finalRows('mistake-reward-scale', agents);
    expect(normalised('mean_prob_optimal')).toBeGreaterThan(0.9 + 4 * worstSe(agents)); // ~0.99: normalised x1000 learns
    // x0.0001 divided by the running RMS of its advantages learns like x1 (the same draws, rescaled).
    expect(Math.abs(running('mean_prob_optimal') - x1('mean_prob_optimal'))).toBeLessThan(4 * worstSe(agents));
    expect(normalised('mean_entropy')).toBeGreaterThan(0.01); // ~0.07: and did not collapse
    expect(x1('mean_prob_optimal')).toBeGreaterThan(0.9 + 4 * worstSe(agents)); // ~0.98
    expect(x1000('mean_entropy')).toBeLessThan(0.01); // ~1e-4: collapsed
    expect(x1000('prob_optimal_p10')).toBeLessThan(0.01); // some collapsed onto Left
    // x0.0001: the expected drift over 300 steps is ~1e-4 in P(Right); allow 4 SE of the spread seen (sd ~0.01).
    expect(Math.abs(tiny('mean_prob_optimal') - 0.5)).toBeLessThan(0.002);
    expect(tiny('mean_entropy')).toBeGreaterThan(0.69); // ln 2 = 0.6931
  });
});

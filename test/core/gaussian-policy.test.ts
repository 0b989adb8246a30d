/**
 * The gaussian policy (`policy` gaussian, `initialStd`): continuous actions x ~ N(mu, sigma^2) on a
 * reward bump around each agent's optimum. One agent's steps by hand, the exact variance against
 * Monte Carlo, and the claim that the mean converges to the optimum.
 */
import { describe, expect, it } from 'vitest';
import { gaussianGradientVariance } from '../../src/core/agent.ts';
import { type ExperimentConfig, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { getPreset } from '../../src/core/presets.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { ConfigError, type Params, defaultParams } from '../../src/core/schema.ts';
import { RecordingSink, f32Bits, testRng } from './helpers.ts';

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultParams(), ...params }, groups });
}

describe('one gaussian agent, step by step', () => {
  // Optimum x* = 1.5 for every agent (fixed: the first of means), noise-free rewards.
  const cfg = config({
    policy: 'gaussian', arms: 2, env: 'fixed', means: [1.5, 0], noise: 0, offset: 0.5, scale: 2, lr: 0.05,
    baseline: 'average', initialStd: 0.8, agents: 3,
  });

  it('draws x = mu + sigma z, pays offset + scale exp(-(x - x*)^2 / 2), and moves mu and log sigma by REINFORCE', () => {
    const t = replayAgent(cfg, [], 0, 2, 200);
    const logSigma0 = Math.fround(Math.log(Math.fround(0.8)));
    expect(Array.from(t.initialPrefs)).toEqual([0, logSigma0]);
    let mean = 0;
    let logSigma = logSigma0;
    for (let s = 0; s < 200; s++) {
      const x = t.continuousActions[s];
      const sigma = Math.exp(logSigma);
      expect(t.rewards[s]).toBeCloseTo(0.5 + 2 * Math.exp(-((x - 1.5) ** 2) / 2), 5);
      const advantage = t.advantages[s];
      expect(advantage).toBeCloseTo(t.rewards[s] - t.baselines[s], 5);
      const z = (x - mean) / sigma;
      // d log pi / d mu = (x - mu) / sigma^2, d log pi / d log sigma = (x - mu)^2 / sigma^2 - 1.
      const wantMean = mean + 0.05 * advantage * (z / sigma);
      const wantLogSigma = logSigma + 0.05 * advantage * (z * z - 1);
      expect(t.prefs[s * 2], `mu after step ${s + 1}`).toBeCloseTo(wantMean, 4);
      expect(t.prefs[s * 2 + 1], `log sigma after step ${s + 1}`).toBeCloseTo(wantLogSigma, 4);
      expect(t.gradients[s * 2]).toBeCloseTo(advantage * z / sigma, 3);
      expect(t.gradients[s * 2 + 1]).toBeCloseTo(advantage * (z * z - 1), 3);
      mean = t.prefs[s * 2];
      logSigma = t.prefs[s * 2 + 1];
    }
    // It climbs towards x* = 1.5 from 0.
    expect(mean).toBeGreaterThan(1);
  });

  it('the engine holds what the replay ends with, bit for bit', async () => {
    const engine = new CpuEngine(cfg);
    await engine.advance(90, new RecordingSink());
    const states = await engine.readAgents(0);
    for (let agent = 0; agent < 3; agent++) {
      const t = replayAgent(cfg, [], 0, agent, 90);
      expect(f32Bits(states.prefs.subarray(agent * 2, agent * 2 + 2))).toEqual(f32Bits(t.prefs.subarray(89 * 2)));
    }
  });

  it('refuses what its step does not do, naming the field', () => {
    expect(() => config({ policy: 'gaussian', env: 'bernoulli' })).toThrow(/env: must be gaussian or fixed with policy gaussian/);
    expect(() => config({ policy: 'gaussian', batch: 2 })).toThrow(ConfigError);
    expect(() => config({ policy: 'gaussian', initialStd: 0 })).toThrow(/initialStd/);
  });
});

describe('the exact variance of the gaussian estimate', () => {
  it('matches the Monte Carlo variance of (A z / sigma, A (z^2 - 1)) within its standard error', () => {
    const rng = testRng(7);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const cases = [
      { d: 0.3, sigma: 0.7, base: -0.4, scale: 1, sd: 0.5, factor: 1 },
      { d: -1.2, sigma: 1.5, base: 0.2, scale: 3, sd: 0, factor: 1 },
      { d: 0.05, sigma: 0.2, base: -0.9, scale: 1, sd: 1, factor: 0.75 },
    ];
    for (const { d, sigma, base, scale, sd, factor } of cases) {
      const n = 200_000;
      let s1 = 0;
      let s2 = 0;
      let q1 = 0;
      let q2 = 0;
      let fourth = 0;
      for (let i = 0; i < n; i++) {
        const z = normal();
        const advantage = factor * (base + scale * Math.exp(-((d + sigma * z) ** 2) / 2) + sd * normal());
        const g1 = (advantage * z) / sigma;
        const g2 = advantage * (z * z - 1);
        s1 += g1;
        s2 += g2;
        q1 += g1 * g1;
        q2 += g2 * g2;
        fourth += (g1 * g1 + g2 * g2) ** 2;
      }
      const sampled = q1 / n - (s1 / n) ** 2 + q2 / n - (s2 / n) ** 2;
      const exact = gaussianGradientVariance(d, sigma, base, scale, sd, factor);
      // SE of a mean of n squared norms: sqrt(E[|g|^4] / n) bounds it (the means' part is smaller).
      const se = Math.sqrt(fourth / n / n);
      expect(Math.abs(sampled - exact), `d ${d} sigma ${sigma}: ${sampled} vs ${exact}`).toBeLessThan(4 * se);
    }
  });
});

describe('the claim (statistical, fixed seed)', () => {
  it('the policy mean converges to the optimum and the spread shrinks (x* = 1.5, 2000 agents, 1000 steps)', async () => {
    const agents = 2000;
    const cfg = config({ policy: 'gaussian', arms: 2, env: 'fixed', means: [1.5, 0], noise: 0.5, lr: 0.01, baseline: 'average', agents, steps: 1000, seed: 5 });
    const engine = new CpuEngine(cfg);
    await engine.advance(1000, new RecordingSink());
    const states = await engine.readAgents(0);
    const means = Array.from({ length: agents }, (_, i) => states.prefs[i * 2]).sort((a, b) => a - b);
    const sigmas = Array.from({ length: agents }, (_, i) => Math.exp(states.prefs[i * 2 + 1]));
    // The median agent's mean sits on the optimum: the median of 2000 draws from a spread of
    // about 0.15 (their middle 80%) has an SE near 1.25 * 0.1 / sqrt(2000) = 0.003; 0.03 is
    // ten of them and far below the 1.5 it started from.
    const median = means[agents / 2];
    expect(Math.abs(median - 1.5), `median mu ${median}`).toBeLessThan(0.03);
    // Most agents are close (a few are flung away by a large step at small sigma).
    const close = means.filter((m) => Math.abs(m - 1.5) < 0.3).length;
    expect(close / agents).toBeGreaterThan(0.9);
    // Every sigma started at 1; they shrink towards 0 as the bump is climbed.
    expect(sigmas.reduce((a, b) => a + b, 0) / agents).toBeLessThan(0.4);
  });

  it('gaussian-policy preset: the baseline cuts the gradient variance and the distance to the optimum', async () => {
    const cfg = getPreset('gaussian-policy');
    const engine = new CpuEngine(cfg);
    const sink = new RecordingSink();
    await engine.advance(cfg.params.steps, sink);
    const last = (g: number, name: string) => {
      const rows = sink.ofGroup(g);
      return rows[rows.length - 1].values[engine.layout.index(name)];
    };
    const [withBaseline, without] = [0, 1];
    // Exact variances are means of per-agent exact values: deterministic for the run (~4 against ~17).
    expect(last(without, 'exact_grad_var')).toBeGreaterThan(2 * last(withBaseline, 'exact_grad_var'));
    // Mean |mu - x*| over 2000 agents (~0.13 against ~0.24); its SE is below sd / sqrt(2000) with
    // sd < 0.5 here: 0.011; the gap is over 4 of them.
    expect(last(without, 'mean_action_error') - last(withBaseline, 'mean_action_error')).toBeGreaterThan(4 * Math.SQRT2 * 0.011);
    expect(last(withBaseline, 'mean_action_std')).toBeLessThan(0.4);
  });
});

import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { getPreset } from '../../src/core/presets.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { ConfigError, type Params, defaultParams } from '../../src/core/schema.ts';
import { RecordingSink, f32Bits } from './helpers.ts';

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultParams(), ...params }, groups });
}

describe('epsilon-greedy: sample-average action values', () => {
  const cfg = config({ policy: 'epsilon-greedy', epsilon: 0.2, arms: 4, env: 'fixed', means: [0.1, 0.9, 0.4, 0.6], noise: 1, agents: 5 });

  it('Q(a) is the mean of the rewards arm a gave, n(a) its pulls; pi is epsilon / k plus 1 - epsilon on the greedy arm', () => {
    const steps = 300;
    const t = replayAgent(cfg, [], 0, 3, steps);
    const k = 4;
    const sums = new Float64Array(k);
    const pulls = new Float64Array(k);
    for (let s = 0; s < steps; s++) {
      const a = t.actions[s];
      sums[a] += t.rewards[s];
      pulls[a] += 1;
      // The policy the action was drawn from: the values before this step.
      const before = s === 0 ? t.initialPrefs : t.prefs.subarray((s - 1) * k, s * k);
      const greedy = before.indexOf(Math.max(...before));
      const ties = before.filter((v) => v === before[greedy]).length;
      for (let j = 0; j < k; j++) {
        const want = 0.2 / k + (before[j] === before[greedy] ? 0.8 / ties : 0);
        expect(t.probs[s * k + j]).toBeCloseTo(want, 6);
      }
      // Only the pulled arm's value and count move.
      for (let j = 0; j < k; j++) {
        if (j === a) continue;
        expect(t.prefs[s * k + j]).toBe(before[j]);
      }
      expect(t.gradients.subarray(s * k, (s + 1) * k).every((g) => g === 0)).toBe(true);
    }
    const last = t.prefs.subarray((steps - 1) * k);
    const counts = t.extras.subarray((steps - 1) * k);
    expect(Array.from(counts)).toEqual(Array.from(pulls));
    for (let j = 0; j < k; j++) {
      if (pulls[j] === 0) continue;
      // An f32 running mean against the f64 mean of the same rewards: rounding only (|R| < 5).
      expect(Math.abs(last[j] - sums[j] / pulls[j])).toBeLessThan(1e-4);
    }
  });

  it('the engine holds what the replay ends with, bit for bit (values and counts)', async () => {
    const engine = new CpuEngine(cfg);
    await engine.advance(120, new RecordingSink());
    const states = await engine.readAgents(0);
    for (let agent = 0; agent < 5; agent++) {
      const t = replayAgent(cfg, [], 0, agent, 120);
      expect(f32Bits(states.prefs.subarray(agent * 4, agent * 4 + 4))).toEqual(f32Bits(t.prefs.subarray(119 * 4)));
      expect(Array.from(states.extra.subarray(agent * 4, agent * 4 + 4))).toEqual(Array.from(t.extras.subarray(119 * 4)));
      const one = await engine.readAgent(0, agent);
      expect(Array.from(one.extra)).toEqual(Array.from(t.extras.subarray(119 * 4)));
    }
  });

  it('optimistic initial values make a greedy agent try every arm first (noise-free rewards in [0, 1], Q0 = 2)', () => {
    const optimistic = config({ policy: 'epsilon-greedy', epsilon: 0, initialValue: 2, arms: 5, env: 'fixed', noise: 0, agents: 3 });
    for (let agent = 0; agent < 3; agent++) {
      const t = replayAgent(optimistic, [], 0, agent, 5);
      expect(new Set(t.actions).size).toBe(5);
      expect(Array.from(t.extras.subarray(4 * 5))).toEqual([1, 1, 1, 1, 1]);
      expect(t.initialPrefs.every((v) => v === 2)).toBe(true);
    }
    // Realistic (Q0 = 0): the first arm's value 0 ties the untried ones, and ties split evenly,
    // so agents differ in what they try; but the greedy agent never explores beyond ties.
    const realistic = replayAgent(config({ policy: 'epsilon-greedy', epsilon: 0, arms: 5, env: 'fixed', noise: 0, agents: 1 }), [], 0, 0, 50);
    expect(new Set(realistic.actions).size).toBeLessThan(5);
  });

  it('explores with probability epsilon: from a known greedy arm, the share of each arm over 40,000 agents', async () => {
    const agents = 40_000;
    const eps = 0.3;
    const engine = new CpuEngine(config({ policy: 'epsilon-greedy', epsilon: eps, arms: 4, env: 'fixed', means: [0, 0, 0, 0], agents }));
    const values = new Float32Array(agents * 4);
    for (let i = 0; i < agents; i++) values[i * 4 + 2] = 1;
    engine.writeAgents(0, { prefs: values, rewardMean: new Float32Array(agents), ema: new Float32Array(agents), extra: new Float32Array(agents * 4).fill(1) });
    await engine.advance(1, new RecordingSink());
    const after = await engine.readAgents(0);
    const pulls = [0, 0, 0, 0];
    for (let i = 0; i < agents; i++) for (let j = 0; j < 4; j++) if (after.extra[i * 4 + j] === 2) pulls[j]++;
    for (let j = 0; j < 4; j++) {
      const p = eps / 4 + (j === 2 ? 1 - eps : 0);
      const se = Math.sqrt((p * (1 - p)) / agents);
      // Binomial share: within 4 standard errors.
      expect(Math.abs(pulls[j] / agents - p), `arm ${j}`).toBeLessThan(4 * se);
    }
  });

  it('refuses batches and PPO passes, naming the field', () => {
    expect(() => config({ policy: 'epsilon-greedy', batch: 4 })).toThrow(ConfigError);
    expect(() => config({}, [{ policy: 'epsilon-greedy', epochs: 2 }])).toThrow(/epochs.*epsilon-greedy/);
    try {
      config({ policy: 'epsilon-greedy', batch: 4 });
    } catch (error) {
      expect((error as ConfigError).errors[0].field).toMatch(/batch$/);
    }
  });
});

describe('Sutton & Barto figure 2.2 on the 10-armed testbed', () => {
  it('at step 1000, epsilon 0.1 beats 0.01, which beats greedy, in the fraction choosing the best arm', async () => {
    const agents = 2000;
    // The preset that shows it, with rows averaging 100 steps.
    const cfg = getPreset('epsilon-greedy');
    cfg.params.window = 100;
    expect(cfg.params).toMatchObject({ arms: 10, env: 'gaussian', spread: 1, noise: 1, offset: 0, agents, steps: 1000 });
    expect(cfg.groups.map((g) => g.epsilon)).toEqual([0.1, 0.01, 0]);
    const engine = new CpuEngine(cfg);
    const sink = new RecordingSink();
    await engine.advance(1000, sink);
    const fraction = [0, 1, 2].map((g) => {
      const rows = sink.ofGroup(g);
      expect(rows[rows.length - 1].step).toBe(1000);
      return rows[rows.length - 1].values[engine.layout.index('frac_optimal')];
    });
    // Each value is a mean over 2000 agents of their share of steps 901-1000 on the best arm, a
    // number in [0, 1] (variance <= 1/4): SE <= 0.5 / sqrt(2000) = 0.011, 0.016 for a difference.
    const seDifference = Math.SQRT2 * 0.5 / Math.sqrt(agents);
    expect(fraction[0] - fraction[1]).toBeGreaterThan(4 * seDifference);
    expect(fraction[1] - fraction[2]).toBeGreaterThan(4 * seDifference);
    // The book's curves at step 1000 (2000 runs): about 0.8, 0.5 to 0.55 and 0.35 to 0.4.
    expect(Math.abs(fraction[0] - 0.8)).toBeLessThan(0.05);
    expect(fraction[2]).toBeGreaterThan(0.3);
    expect(fraction[2]).toBeLessThan(0.45);
  });
});

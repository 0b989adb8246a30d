/**
 * Actor-critic on a contextual bandit (`contexts`, `contextSpread`, `baseline` critic, `criticLr`):
 * one agent's steps by hand, and the critic's claim as a statistical test.
 */
import { describe, expect, it } from 'vitest';
import { armNormal, extraLayout } from '../../src/core/agent.ts';
import { type ExperimentConfig, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { getPreset } from '../../src/core/presets.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { ConfigError, type Params, defaultParams } from '../../src/core/schema.ts';
import { RecordingSink, f32Bits, softmaxF64 } from './helpers.ts';

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultParams(), ...params }, groups });
}

describe('a contextual agent, step by step', () => {
  // Noise-free rewards: each reward is its arm's value in the context seen, exactly.
  const means = [0, 0.5, 1, 0.25];
  const cfg = config({
    arms: 4, env: 'fixed', means, noise: 0, offset: 1, scale: 2, contexts: 3, contextSpread: 2, lr: 0.2,
    baseline: 'critic', criticLr: 0.3, baselineInit: 0.5, agents: 3,
  });

  it('sees contexts uniformly, gets the turned arms plus the context level, and the critic V(context) is its baseline', () => {
    const steps = 300;
    const t = replayAgent(cfg, [], 0, 1, steps);
    const levels = [-2, 0, 2];
    const value = [0.5, 0.5, 0.5];
    const seen = [0, 0, 0];
    for (let s = 0; s < steps; s++) {
      const c = t.contexts[s];
      seen[c]++;
      const a = t.actions[s];
      expect(t.rewards[s]).toBeCloseTo(1 + 2 * (means[(a + c) % 4] + levels[c]), 5);
      // The baseline is V(c) before the reward, and V(c) alone learns from it.
      expect(t.baselines[s]).toBeCloseTo(value[c], 5);
      value[c] += 0.3 * (t.rewards[s] - value[c]);
      for (let other = 0; other < 3; other++) expect(t.extras[s * extraLayout(resolvedParams()).words + other]).toBeCloseTo(value[other], 5);
    }
    // 300 draws over 3 contexts: each about 100 (binomial SD 8.2); within 4 SD.
    for (const n of seen) expect(Math.abs(n - 100)).toBeLessThan(4 * 8.2);
  });

  it('updates only the preferences of the context seen, by the plain REINFORCE step with A = R - V(context)', () => {
    const t = replayAgent(cfg, [], 0, 2, 60);
    const layout = extraLayout(resolvedParams());
    const words = layout.words;
    const prefsOf = (s: number, c: number): Float32Array => {
      if (s < 0) return c === 0 ? t.initialPrefs : t.initialExtra.subarray(layout.contextPrefs + (c - 1) * 4, layout.contextPrefs + c * 4);
      return c === 0 ? t.prefs.subarray(s * 4, s * 4 + 4) : t.extras.subarray(s * words + layout.contextPrefs + (c - 1) * 4, s * words + layout.contextPrefs + c * 4);
    };
    for (let s = 0; s < 60; s++) {
      const c = t.contexts[s];
      const before = prefsOf(s - 1, c);
      const probs = softmaxF64(Array.from(before));
      for (let j = 0; j < 4; j++) expect(t.probs[s * 4 + j]).toBeCloseTo(probs[j], 6);
      const after = prefsOf(s, c);
      for (let j = 0; j < 4; j++) {
        const want = before[j] + 0.2 * t.advantages[s] * ((j === t.actions[s] ? 1 : 0) - probs[j]);
        expect(after[j]).toBeCloseTo(want, 5);
      }
      for (let other = 0; other < 3; other++) {
        if (other !== c) expect(f32Bits(prefsOf(s, other))).toEqual(f32Bits(prefsOf(s - 1, other)));
      }
    }
  });

  it('the engine holds what the replay ends with, bit for bit (every context\'s preferences and V)', async () => {
    const engine = new CpuEngine(cfg);
    await engine.advance(80, new RecordingSink());
    const states = await engine.readAgents(0);
    const words = extraLayout(resolvedParams()).words;
    for (let agent = 0; agent < 3; agent++) {
      const t = replayAgent(cfg, [], 0, agent, 80);
      expect(f32Bits(states.prefs.subarray(agent * 4, agent * 4 + 4))).toEqual(f32Bits(t.prefs.subarray(79 * 4)));
      expect(f32Bits(states.extra.subarray(agent * words, (agent + 1) * words))).toEqual(f32Bits(t.extras.subarray(79 * words)));
    }
  });

  it('refuses what the contextual step does not do, naming the field', () => {
    expect(() => config({ contexts: 2, batch: 4 })).toThrow(/batch: must be 1 with contexts > 1/);
    expect(() => config({ contexts: 2, policy: 'epsilon-greedy' })).toThrow(ConfigError);
    expect(() => config({ env: 'bernoulli', contextSpread: 1 })).toThrow(/contextSpread/);
  });

  function resolvedParams(): Params {
    return { ...cfg.params, ...cfg.groups[0] };
  }
});

describe('switching to the critic while the run goes', () => {
  it('uses the V every agent has kept all along, and the replay of the live change matches the engine bit for bit', async () => {
    const cfg = config({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 0.5, offset: 4, baseline: 'average', criticLr: 0.2, agents: 40 });
    const engine = new CpuEngine(cfg);
    await engine.advance(30, new RecordingSink());
    const before = await engine.readAgents(0);
    engine.setGroupParams(0, { baseline: 'critic', criticLr: 0.05 });
    const sink = new RecordingSink();
    await engine.advance(1, sink);
    // Step 31's baseline is each agent's V after 30 steps (learned at rate 0.2 under 'average').
    const meanV = before.extra.reduce((sum, v) => sum + v, 0) / 40;
    expect(sink.rows[0].values[engine.layout.index('mean_baseline')]).toBeCloseTo(meanV, 5);
    // V had followed the rewards (about offset + 0.5 here) from Initial baseline 0.
    expect(meanV).toBeGreaterThan(3.5);
    await engine.advance(29, new RecordingSink());
    const states = await engine.readAgents(0);
    for (const agent of [0, 17, 39]) {
      const t = await engine.trajectory(0, agent);
      expect(t.phases.map((p) => [p.fromStep, p.params.baseline, p.params.criticLr])).toEqual([[1, 'average', 0.2], [31, 'critic', 0.05]]);
      expect(f32Bits(states.prefs.subarray(agent * 3, agent * 3 + 3))).toEqual(f32Bits(t.prefs.subarray(59 * 3)));
      expect(states.extra[agent]).toBe(t.extras[59]);
      // From step 31 on, each baseline is V before the step, which then moves at rate 0.05.
      for (let s = 31; s < 60; s++) {
        expect(t.baselines[s]).toBe(t.extras[s - 1]);
        expect(t.extras[s]).toBeCloseTo(t.extras[s - 1] + 0.05 * (t.rewards[s] - t.extras[s - 1]), 5);
      }
    }
  });
});

describe("the critic's claim (statistical, fixed seed)", () => {
  it("V(context) converges to the context's mean reward under the agent's policy", async () => {
    const agents = 2000;
    const k = 5;
    const cfg = config({
      arms: k, env: 'gaussian', spread: 1, noise: 1, contexts: 3, contextSpread: 2, lr: 0.05,
      baseline: 'critic', criticLr: 0.1, agents, steps: 600, seed: 3,
    });
    const engine = new CpuEngine(cfg);
    await engine.advance(600, new RecordingSink());
    const states = await engine.readAgents(0);
    const layout = extraLayout({ ...cfg.params });
    const words = new Uint32Array(4);
    const levels = [-2, 0, 2];
    for (let c = 0; c < 3; c++) {
      const gaps: number[] = [];
      for (let i = 0; i < agents; i++) {
        const base = Array.from({ length: k }, (_, j) => armNormal(cfg.params.seed, i, j, words));
        const prefs = c === 0
          ? Array.from(states.prefs.subarray(i * k, (i + 1) * k))
          : Array.from(states.extra.subarray(i * layout.words + layout.contextPrefs + (c - 1) * k, i * layout.words + layout.contextPrefs + c * k));
        const probs = softmaxF64(prefs);
        let expected = 0;
        for (let j = 0; j < k; j++) expected += probs[j] * (base[(j + c) % k] + levels[c]);
        gaps.push(states.extra[i * layout.words + c] - expected);
      }
      const mean = gaps.reduce((a, b) => a + b, 0) / agents;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / (agents - 1));
      // V is an average of noisy rewards (rate 0.1: its SD about sqrt(0.1 / 1.9) = 0.23 of the
      // reward's), so a single agent's V misses by ~0.3; over 2000 agents the mean gap is 0
      // within 4 SE, and far below the 2 between neighbouring contexts' levels.
      expect(Math.abs(mean), `context ${c}: mean gap ${mean}, SE ${sd / Math.sqrt(agents)}`).toBeLessThan(4 * sd / Math.sqrt(agents) + 0.01);
      expect(sd, `context ${c}`).toBeLessThan(0.5);
    }
  });

  it('actor-critic preset: the critic halves the gradient variance and learns faster than one average baseline', async () => {
    const cfg = getPreset('actor-critic');
    const agents = 2000;
    expect(cfg.params.agents).toBe(agents);
    const engine = new CpuEngine(cfg);
    const sink = new RecordingSink();
    await engine.advance(cfg.params.steps, sink);
    const last = (g: number, name: string) => {
      const rows = sink.ofGroup(g);
      return rows[rows.length - 1].values[engine.layout.index(name)];
    };
    const [critic, average] = [0, 1];
    // Means of pi(best) over 2000 agents: SE <= 0.5 / sqrt(2000) = 0.011 each (~0.71 against ~0.54).
    expect(last(critic, 'mean_prob_optimal') - last(average, 'mean_prob_optimal')).toBeGreaterThan(4 * Math.SQRT2 * 0.011);
    // The exact variance is a mean of per-agent exact values: a deterministic function of the run.
    expect(last(critic, 'exact_grad_var')).toBeLessThan(0.5 * last(average, 'exact_grad_var'));
  });
});

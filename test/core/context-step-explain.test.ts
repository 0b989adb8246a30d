/**
 * The inspector's explanation of a contextual (actor-critic) agent's step: the context seen, its
 * preferences and arms, and the critic's V(context) update, all as the replay holds them.
 */
import { describe, expect, it } from 'vitest';
import { extraLayout } from '../../src/core/agent.ts';
import { type ExperimentConfig, resolveGroups, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { compareAgentState, explainAgentStep, explainStep, prefsAfter, prefsBefore } from '../../src/core/step-explain.ts';
import { RecordingSink, f32Bits } from './helpers.ts';

const f32 = Math.fround;

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultParams(), ...params }, groups });
}

// Noise-free: arm j pays means[(j + c) % 3] + level(c), levels -1, 0, 1.
const means = [0, 0.5, 1];
const levels = [-1, 0, 1];
const cfg = config({
  arms: 3, env: 'fixed', means, noise: 0, offset: 0, scale: 1, contexts: 3, contextSpread: 1, lr: 0.4,
  baseline: 'critic', criticLr: 0.25, baselineInit: 0.5, agents: 4, seed: 11,
});
const k = 3;

describe('explainStep on a contextual agent (3 arms, 3 contexts, baseline critic)', () => {
  const steps = 80;
  const trajectory = replayAgent(cfg, [], 0, 1, steps);
  const layout = extraLayout(resolveGroups(cfg)[0]);

  it('explains each step in the context it saw: that context\'s preferences, arms and best arm', () => {
    const seen = new Set<number>();
    for (let step = 1; step <= steps; step++) {
      const t = step - 1;
      const e = explainStep(trajectory, step);
      const c = trajectory.contexts[t];
      seen.add(c);
      expect(e.context).toBe(c);
      expect(e.contexts).toBe(3);
      expect(e.contextLevel).toBe(levels[c]);
      expect(e.consistent, `step ${step}`).toEqual({ probs: true, action: true, prefs: true, critic: true });
      // The arms of context c: turned by c, plus the level; the best arm is where means[.] is 1.
      const want = [0, 1, 2].map((j) => f32(means[(j + c) % 3] + levels[c]));
      expect(e.armMeans).toEqual(want);
      expect(e.bestArm).toBe((2 - c + 3) % 3);
      expect(e.expectedReward).toBe(want[e.action]);
      expect(e.reward).toBe(want[e.action]);
      // Preferences before: context 0's in prefs, the others' in the extra words from contextPrefs.
      const before = c === 0
        ? (t === 0 ? trajectory.initialPrefs : trajectory.prefs.subarray((t - 1) * k, t * k))
        : (t === 0 ? trajectory.initialExtra : trajectory.extras.subarray((t - 1) * layout.words, t * layout.words))
          .subarray(layout.contextPrefs + (c - 1) * k, layout.contextPrefs + c * k);
      expect(e.arms.map((a) => a.pref)).toEqual(Array.from(before));
      expect(Array.from(prefsBefore(trajectory, step))).toEqual(Array.from(before));
      // After = before + each arm's update, in f32, bit for bit the replay's.
      const after = Float32Array.from(e.arms, (a, j) => f32(before[j] + a.delta));
      expect(Array.from(f32Bits(after))).toEqual(Array.from(f32Bits(prefsAfter(trajectory, step))));
      expect(e.arms.map((a) => a.prefAfter)).toEqual(Array.from(after));
      // Only the context seen moved.
      for (let other = 0; other < 3; other++) {
        if (other === c) continue;
        expect(Array.from(prefsAfter(trajectory, step, other)), `step ${step} context ${other}`).toEqual(Array.from(prefsBefore(trajectory, step, other)));
      }
    }
    expect(seen.size).toBe(3);
  });

  it('writes out the critic\'s update: b = V(c) before, V(c) + criticLr (R - V(c)) after, as the replay holds V', () => {
    const value = [0.5, 0.5, 0.5].map(f32);
    for (let step = 1; step <= steps; step++) {
      const t = step - 1;
      const e = explainStep(trajectory, step);
      const c = e.context;
      const critic = e.critic!;
      expect(critic.before).toBe(value[c]);
      expect(e.baseline).toBe(value[c]);
      expect(e.baselineSource).toBe('critic');
      expect(critic.error).toBe(f32(e.reward - value[c]));
      expect(critic.change).toBe(f32(f32(0.25) * critic.error));
      expect(critic.after).toBe(f32(value[c] + critic.change));
      value[c] = critic.after;
      // The replay's V words after the step: V(c) moved, the others not.
      expect(Array.from(trajectory.extras.subarray(t * layout.words, t * layout.words + 3))).toEqual(value);
      expect(e.advantage).toBe(f32(e.reward - critic.before));
    }
  });

  it('a step in context 1 or 2 flags a wrong explanation: the checks can fail', () => {
    const step = Array.from(trajectory.contexts).findIndex((c) => c !== 0) + 1;
    const broken = structuredClone(trajectory);
    // Context 0's preferences moved at a step that did not see it.
    broken.prefs[(step - 1) * k] += 1;
    expect(explainStep(broken, step).consistent.prefs).toBe(false);
    const badCritic = structuredClone(trajectory);
    badCritic.extras[(step - 1) * layout.words + trajectory.contexts[step - 1]] += 1;
    expect(explainStep(badCritic, step).consistent.critic).toBe(false);
  });

  it('compareAgentState: the engine\'s every context and V match the replay\'s last step exactly', async () => {
    const engine = new CpuEngine(cfg);
    await engine.advance(steps, new RecordingSink());
    const state = await engine.readAgent(0, 1);
    const comparison = compareAgentState(trajectory, state, 'cpu');
    expect(comparison.exact).toBe(true);
    state.extra[layout.contextPrefs + 1] += 0.5;
    expect(compareAgentState(trajectory, state, 'cpu').within).toBe(false);
  });
});

describe('explainStep for one-context agents is as before', () => {
  it('context 0 of 1, level 0, the phase\'s arms; an average baseline still shows the critic it keeps', () => {
    const one = config({ arms: 3, env: 'fixed', means, noise: 0, baseline: 'average', agents: 2, seed: 3, criticLr: 0.1 });
    const trajectory = replayAgent(one, [], 0, 0, 20);
    for (let step = 1; step <= 20; step++) {
      const e = explainAgentStep(trajectory, step);
      if (e.kind !== 'softmax') throw new Error('softmax agent');
      expect([e.context, e.contexts, e.contextLevel]).toEqual([0, 1, 0]);
      expect(e.armMeans).toEqual(Array.from(trajectory.phases[0].armMeans));
      expect(e.bestArm).toBe(trajectory.phases[0].bestArm);
      expect(e.consistent).toEqual({ probs: true, action: true, prefs: true, critic: true });
      expect(e.critic!.after).toBe(trajectory.extras[step - 1]);
    }
  });

  it('a batch updates V once per sample: no single critic update to write out', () => {
    const batched = config({ arms: 3, batch: 4, agents: 2, baseline: 'critic' });
    const e = explainStep(replayAgent(batched, [], 0, 0, 5), 5);
    expect(e.critic).toBeNull();
    expect(e.consistent.critic).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import type { Trajectory } from '../../src/core/engine.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { compareAgentState, countsBefore, explainAgentStep, explainStep, explainValueStep, prefsBefore } from '../../src/core/step-explain.ts';
import { RecordingSink } from './helpers.ts';

const f32 = Math.fround;

/** Two arms, Left pays 0 and Right pays 1 (no noise), epsilon 0.5, values start at 0, sample averages. */
const twoArms = configFromObject({
  arms: 2, armNames: ['Left', 'Right'], env: 'fixed', means: [0, 1], noise: 0,
  policy: 'epsilon-greedy', epsilon: 0.5, initialValue: 0, valueStep: 0, agents: 40, steps: 10, seed: 3,
});

function trajectories(steps: number): Trajectory[] {
  return Array.from({ length: 40 }, (_, agent) => replayAgent(twoArms, [], 0, agent, steps));
}

describe('one epsilon-greedy step by hand (Left pays 0, Right pays 1, epsilon 0.5)', () => {
  const all = trajectories(2);

  it('step 1: Q = 0, 0 ties both arms, so each gets 0.5 / 2 + 0.5 / 2 = 0.5, and u picks the half it falls in', () => {
    for (const trajectory of all) {
      const e = explainValueStep(trajectory, 1, ['Left', 'Right']);
      expect(e.kind).toBe('value');
      expect(e.arms.map((a) => [a.value, a.count])).toEqual([[0, 0], [0, 0]]);
      expect(e.greedyArms).toEqual([0, 1]);
      expect(e.epsilonShare).toBe(0.25);
      expect(e.greedyMass).toBe(0.5);
      expect(e.greedyShare).toBe(0.25);
      expect(e.arms.map((a) => a.weight)).toEqual([0.5, 0.5]);
      expect(e.arms.map((a) => a.prob)).toEqual([0.5, 0.5]);
      expect(e.arms.map((a) => [a.cumulativeFrom, a.cumulativeTo])).toEqual([[0, 0.5], [0.5, 1]]);
      expect(e.actionLabel).toBe(e.uniform < 0.5 ? 'Left' : 'Right');
      expect(e.consistent).toEqual({ probs: true, action: true, values: true, counts: true, error: true });
    }
  });

  it('Right (R = 1): n = 0 + 1 = 1, Q = 0 + (1 - 0) / 1 = 1; Left is untouched', () => {
    const right = all.filter((t) => t.actions[0] === 1);
    expect(right.length).toBeGreaterThan(5);
    for (const trajectory of right) {
      const e = explainValueStep(trajectory, 1, ['Left', 'Right']);
      expect([e.reward, e.valueBefore, e.countBefore, e.countAfter, e.error, e.change, e.valueAfter]).toEqual([1, 0, 0, 1, 1, 1, 1]);
      expect(e.arms.map((a) => [a.valueAfter, a.countAfter])).toEqual([[0, 0], [1, 1]]);
      // Right is now the only greedy arm: 0.25 + 0.5 = 0.75, Left keeps epsilon / k = 0.25.
      expect(e.arms.map((a) => a.probAfter)).toEqual([0.25, 0.75]);
    }
  });

  it('step 2 after Right: pi = 0.25 / 0.75, and Right again keeps Q = 1 + (1 - 1) / 2 = 1 with n = 2', () => {
    const twice = all.filter((t) => t.actions[0] === 1 && t.actions[1] === 1);
    expect(twice.length).toBeGreaterThan(0);
    for (const trajectory of twice) {
      const e = explainValueStep(trajectory, 2, ['Left', 'Right']);
      expect(e.greedyArms).toEqual([1]);
      expect(e.arms.map((a) => a.greedy)).toEqual([false, true]);
      expect(e.arms.map((a) => a.prob)).toEqual([0.25, 0.75]);
      expect(e.uniform).toBeGreaterThanOrEqual(0.25);
      expect([e.countBefore, e.countAfter, e.error, e.valueAfter]).toEqual([1, 2, 0, 1]);
    }
  });
});

describe('explainValueStep against the replay', () => {
  it('Q after = Q before + (R - Q) / n exactly as f32 at every step, sample averages and a constant step, optimistic or not', () => {
    for (const extra of [{ valueStep: 0, initialValue: 0 }, { valueStep: 0.1, initialValue: 5 }, { valueStep: 0, initialValue: 2.5 }]) {
      const config = configFromObject({
        arms: 5, agents: 6, steps: 150, seed: 11, env: 'gaussian', noise: 0.8, offset: 0.3,
        policy: 'epsilon-greedy', epsilon: 0.15, ...extra,
      });
      for (const agent of [0, 5]) {
        const trajectory = replayAgent(config, [], 0, agent, 150);
        for (let step = 1; step <= 150; step++) {
          const e = explainAgentStep(trajectory, step);
          if (e.kind !== 'value') throw new Error('expected a value step');
          const what = `${JSON.stringify(extra)} agent ${agent} step ${step}`;
          expect(e.consistent, what).toEqual({ probs: true, action: true, values: true, counts: true, error: true });
          const t = step - 1;
          const a = e.action;
          expect(e.valueBefore).toBe(prefsBefore(trajectory, step)[a]);
          expect(e.countBefore).toBe(countsBefore(trajectory, step)[a]);
          expect(e.countAfter).toBe(e.countBefore + 1);
          expect(e.error).toBe(f32(e.reward - e.valueBefore));
          const change = extra.valueStep > 0 ? f32(f32(extra.valueStep) * e.error) : f32(e.error / e.countAfter);
          expect(e.change).toBe(change);
          expect(e.valueAfter).toBe(f32(e.valueBefore + change));
          expect(e.valueAfter).toBe(trajectory.prefs[t * 5 + a]);
          expect(e.countAfter).toBe(trajectory.extras[t * 5 + a]);
          // pi_j = epsilon / k + (1 - epsilon) / |G| on the greedy arms, epsilon / k elsewhere.
          for (const arm of e.arms) {
            expect(arm.greedy).toBe(e.greedyArms.includes(arm.arm));
            expect(arm.prob).toBeCloseTo(0.15 / 5 + (arm.greedy ? 0.85 / e.greedyArms.length : 0), 6);
          }
          const chosen = e.arms[a];
          expect(e.uniform).toBeGreaterThanOrEqual(chosen.cumulativeFrom - 1e-6);
          expect(e.uniform).toBeLessThan(chosen.cumulativeTo + 1e-6);
        }
      }
    }
  });

  it('an optimistic start: step 1 every Q is 5, all arms tie, and the first pull pulls its arm down by 0.1 (R - 5)', () => {
    const config = configFromObject({ arms: 3, agents: 2, steps: 5, env: 'fixed', means: [0, 0.5, 1], noise: 0, policy: 'epsilon-greedy', epsilon: 0, initialValue: 5, valueStep: 0.1 });
    const e = explainValueStep(replayAgent(config, [], 0, 1, 1), 1);
    expect(e.arms.map((a) => a.value)).toEqual([5, 5, 5]);
    expect(e.greedyArms).toEqual([0, 1, 2]);
    expect(e.epsilonShare).toBe(0);
    expect(e.greedyShare).toBe(f32(1 / 3));
    expect(e.error).toBe(f32(e.reward - 5));
    expect(e.valueAfter).toBe(f32(5 + f32(f32(0.1) * e.error)));
    expect(e.valueAfter).toBeLessThan(5);
  });

  it('each explainer refuses the other policy\'s agent; explainAgentStep picks the right one', () => {
    const value = replayAgent(twoArms, [], 0, 0, 3);
    expect(() => explainStep(value, 1)).toThrow(RangeError);
    const softmax = replayAgent(configFromObject({ arms: 2, agents: 1, steps: 3 }), [], 0, 0, 3);
    expect(() => explainValueStep(softmax, 1)).toThrow(RangeError);
    expect(explainAgentStep(softmax, 2).kind).toBe('softmax');
    expect(explainAgentStep(value, 2).kind).toBe('value');
    expect(() => explainValueStep(value, 4)).toThrow(RangeError);
  });
});

describe('compareAgentState for an epsilon-greedy agent: values and pull counts', () => {
  const engine = new CpuEngine(twoArms);
  engine.advanceSync(10, new RecordingSink());

  it('the CPU engine holds exactly the replay, counts included', async () => {
    for (const agent of [0, 7, 39]) {
      const trajectory = await engine.trajectory(0, agent);
      const state = await engine.readAgent(0, agent);
      expect(state.extra.length).toBe(2);
      expect(compareAgentState(trajectory, state, 'cpu')).toEqual({ maxDiff: 0, exact: true, within: true, tolerance: 0 });
    }
  });

  it('a count off by one pull is never within rounding, even on a GPU', async () => {
    const trajectory = await engine.trajectory(0, 7);
    const state = await engine.readAgent(0, 7);
    const extra = Float32Array.from(state.extra);
    extra[0] += 1;
    extra[1] -= 1;
    expect(compareAgentState(trajectory, { ...state, extra }, 'gpu')).toMatchObject({ exact: false, within: false, maxDiff: 1 });
    const values = Float32Array.from(state.prefs, (v) => v * (1 + 1e-6) + 1e-6);
    expect(compareAgentState(trajectory, { ...state, prefs: values }, 'gpu')).toMatchObject({ exact: false, within: true });
  });
});

import { describe, expect, it } from 'vitest';
import { configFromObject, configToObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import type { Trajectory } from '../../src/core/engine.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { kBaselineModes } from '../../src/core/schema.ts';
import { compareAgentState, explainStep, prefsBefore } from '../../src/core/step-explain.ts';
import { RecordingSink, f32Bits } from './helpers.ts';

const f32 = Math.fround;

/** The lesson's exercise: two arms, Left pays 0 and Right pays 1, prefs start at 0, lr 0.5, no baseline. */
const lesson = configFromObject({
  arms: 2, armNames: ['Left', 'Right'], env: 'fixed', means: [0, 1], noise: 0,
  lr: 0.5, temperature: 1, baseline: 'none', agents: 40, steps: 10, seed: 1,
});

function lessonTrajectories(steps: number): Trajectory[] {
  return Array.from({ length: 40 }, (_, agent) => replayAgent(lesson, [], 0, agent, steps));
}

describe('one REINFORCE update by hand (the lesson: Left pays 0, Right pays 1, lr 0.5)', () => {
  const trajectories = lessonTrajectories(2);

  it('step 1: equal preferences give pi = 0.5 / 0.5, and u picks the arm whose half it falls in', () => {
    for (const trajectory of trajectories) {
      const e = explainStep(trajectory, 1, ['Left', 'Right']);
      expect(e.arms.map((a) => a.pref)).toEqual([0, 0]);
      // exp(0 / 1) = 1 for both arms: the sum is 2 and each arm gets 1 / 2.
      expect(e.arms.map((a) => a.weight)).toEqual([1, 1]);
      expect(e.weightSum).toBe(2);
      expect(e.arms.map((a) => a.prob)).toEqual([0.5, 0.5]);
      expect(e.arms.map((a) => [a.cumulativeFrom, a.cumulativeTo])).toEqual([[0, 0.5], [0.5, 1]]);
      expect(e.actionLabel).toBe(e.uniform < 0.5 ? 'Left' : 'Right');
      expect(e.consistent).toEqual({ probs: true, action: true, prefs: true, critic: true });
    }
  });

  it('Right (R = 1): theta_Right = 0 + 0.5 * 1 * (1 - 0.5) = 0.25, theta_Left = 0 + 0.5 * 1 * (0 - 0.5) = -0.25', () => {
    const right = trajectories.filter((t) => t.actions[0] === 1);
    expect(right.length).toBeGreaterThan(5);
    for (const trajectory of right) {
      const e = explainStep(trajectory, 1, ['Left', 'Right']);
      expect(e.action).toBe(1);
      expect(e.reward).toBe(1);
      expect(e.baseline).toBe(0);
      expect(e.advantage).toBe(1);
      expect(e.arms.map((a) => a.indicator)).toEqual([0, 1]);
      expect(e.arms.map((a) => a.grad)).toEqual([-0.5, 0.5]);
      expect(e.arms.map((a) => a.delta)).toEqual([-0.25, 0.25]);
      expect(e.arms.map((a) => a.prefAfter)).toEqual([-0.25, 0.25]);
      // pi(Right) after = e^0.25 / (e^-0.25 + e^0.25) = 1 / (1 + e^-0.5).
      expect(e.arms[1].probAfter).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
    }
  });

  it('Left (R = 0): R - b = 0, so nothing moves', () => {
    const left = trajectories.filter((t) => t.actions[0] === 0);
    expect(left.length).toBeGreaterThan(5);
    for (const trajectory of left) {
      const e = explainStep(trajectory, 1, ['Left', 'Right']);
      expect(e.reward).toBe(0);
      expect(e.advantage).toBe(0);
      expect(e.arms.map((a) => Math.abs(a.delta))).toEqual([0, 0]);
      expect(e.arms.map((a) => a.prefAfter)).toEqual([0, 0]);
    }
  });

  it('step 2 after Right: pi(Right) = 0.6225, and Right again adds 0.5 * (1 - 0.6225) = 0.1888', () => {
    const twice = trajectories.filter((t) => t.actions[0] === 1 && t.actions[1] === 1);
    expect(twice.length).toBeGreaterThan(0);
    for (const trajectory of twice) {
      const e = explainStep(trajectory, 2, ['Left', 'Right']);
      expect(e.arms.map((a) => a.pref)).toEqual([-0.25, 0.25]);
      expect(e.maxPref).toBe(0.25);
      // exp((theta_j - max) / T): exp(-0.5) for Left, exp(0) = 1 for Right.
      expect(e.arms[0].exponent).toBe(-0.5);
      expect(e.arms[0].weight).toBeCloseTo(Math.exp(-0.5), 7);
      expect(e.arms[1].weight).toBe(1);
      const piRight = 1 / (1 + Math.exp(-0.5));
      expect(e.arms[1].prob).toBeCloseTo(piRight, 7);
      expect(e.uniform).toBeGreaterThanOrEqual(1 - piRight - 1e-7);
      expect(e.arms[1].delta).toBeCloseTo(0.5 * (1 - piRight), 7);
      expect(e.arms[0].delta).toBeCloseTo(-0.5 * (1 - piRight), 7);
      expect(e.arms[1].prefAfter).toBeCloseTo(0.25 + 0.5 * (1 - piRight), 6);
    }
  });
});

describe('explainStep against the replay', () => {
  it('prefs before + each arm\'s update = the trajectory\'s prefs after, bit for bit, at every step (all baselines, T != 1, live changes)', () => {
    for (const baseline of kBaselineModes) {
      const config = configFromObject({
        arms: 5, agents: 8, steps: 200, seed: 77, env: 'gaussian', noise: 0.8, offset: 3,
        lr: 0.3, temperature: 0.7, baseline,
      });
      const engine = new CpuEngine(config);
      const sink = new RecordingSink();
      engine.advanceSync(60, sink);
      engine.setGroupParams(0, { lr: 1.5, temperature: 2 });
      engine.advanceSync(60, sink);
      for (const agent of [0, 3, 7]) {
        const trajectory = replayAgent(config, engine.paramChanges, 0, agent, engine.stepsDone);
        for (let step = 1; step <= trajectory.steps; step++) {
          const e = explainStep(trajectory, step);
          expect(e.consistent, `${baseline} agent ${agent} step ${step}`).toEqual({ probs: true, action: true, prefs: true, critic: true });
          const before = prefsBefore(trajectory, step);
          const after = Float32Array.from(e.arms, (a, j) => f32(before[j] + a.delta));
          const stored = trajectory.prefs.subarray((step - 1) * 5, step * 5);
          expect(Array.from(f32Bits(after))).toEqual(Array.from(f32Bits(stored)));
          // u falls in the sampled arm's slice of the cumulative probabilities.
          const chosen = e.arms[e.action];
          expect(e.uniform).toBeGreaterThanOrEqual(chosen.cumulativeFrom - 1e-6);
          expect(e.uniform).toBeLessThan(chosen.cumulativeTo + 1e-6);
          expect(e.lr).toBe(step <= 60 ? 0.3 : 1.5);
          expect(e.temperature).toBe(step <= 60 ? 0.7 : 2);
          expect(e.advantage).toBe(f32(e.reward - e.baseline));
        }
      }
    }
  });

  it('says where the baseline came from', () => {
    const source = (baseline: string, baselineStart: string, step: number) => {
      const config = configFromObject({ arms: 2, agents: 1, steps: 5, baseline, baselineStart, env: 'fixed', means: [0, 1], noise: 0 });
      return explainStep(replayAgent(config, [], 0, 0, 3), step).baselineSource;
    };
    expect(source('none', 'init', 1)).toBe('none');
    expect(source('average', 'init', 1)).toBe('init');
    expect(source('average', 'first-reward', 1)).toBe('first-reward');
    expect(source('average', 'first-reward', 2)).toBe('earlier-mean');
    expect(source('ema', 'first-reward', 3)).toBe('ema');
    expect(source('average-inclusive', 'init', 1)).toBe('inclusive-mean');
  });

  it('refuses a step the trajectory does not hold', () => {
    const trajectory = replayAgent(lesson, [], 0, 0, 5, 3);
    expect(() => explainStep(trajectory, 2)).toThrow(RangeError);
    expect(() => explainStep(trajectory, 6)).toThrow(RangeError);
    expect(explainStep(trajectory, 3).step).toBe(3);
  });
});

describe('compareAgentState', () => {
  const engine = new CpuEngine(lesson);
  engine.advanceSync(10, new RecordingSink());

  it('the CPU engine holds exactly the replay', async () => {
    for (const agent of [0, 5, 39]) {
      const trajectory = await engine.trajectory(0, agent);
      const state = await engine.readAgent(0, agent);
      expect(compareAgentState(trajectory, state, 'cpu')).toEqual({ maxDiff: 0, exact: true, within: true, tolerance: 0 });
    }
  });

  it('a GPU engine may differ by f32 rounding, not by a different action', async () => {
    const trajectory = await engine.trajectory(0, 5);
    const state = await engine.readAgent(0, 5);
    const nudged = { ...state, prefs: state.prefs.map((p) => p * (1 + 1e-6)) };
    nudged.prefs[0] += 1e-6;
    const rounding = compareAgentState(trajectory, nudged, 'gpu');
    expect(rounding.exact).toBe(false);
    expect(rounding.within).toBe(true);
    expect(rounding.maxDiff).toBeGreaterThan(0);
    expect(compareAgentState(trajectory, nudged, 'cpu').within).toBe(false);
    const otherAction = { ...state, prefs: state.prefs.map((p, j) => p + (j === 0 ? 0.25 : -0.25)) };
    expect(compareAgentState(trajectory, otherAction, 'gpu')).toMatchObject({ exact: false, within: false, maxDiff: 0.25 });
  });
});

describe('updates with more than one sample in them', () => {
  it('a batch, normalised advantages or an entropy bonus are named, and the new preferences are the replay\'s', () => {
    for (const extra of [{ batch: 3 }, { batch: 4, advantageNorm: 'batch' }, { entropy: 0.3 }]) {
      const config = configFromObject({ ...configToObject(lesson), noise: 0.5, ...extra });
      const trajectory = replayAgent(config, [], 0, 7, 5);
      for (let step = 2; step <= 5; step++) {
        const e = explainStep(trajectory, step, ['Left', 'Right']);
        expect(e.alsoInUpdate.length, JSON.stringify(extra)).toBeGreaterThan(0);
        expect(e.arms.map((a) => a.prefAfter)).toEqual(Array.from(trajectory.prefs.subarray((step - 1) * 2, step * 2)));
        expect(e.consistent).toEqual({ probs: true, action: true, prefs: true, critic: true });
      }
    }
    expect(explainStep(replayAgent(lesson, [], 0, 7, 2), 2).alsoInUpdate).toEqual([]);
  });
});

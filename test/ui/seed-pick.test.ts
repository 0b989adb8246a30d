import { describe, expect, it } from 'vitest';
import { configFromObject, resolveGroups } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import type { Trajectory } from '../../src/core/engine.ts';
import { groupParamsNow } from '../../src/core/export.ts';
import { kHistogramBins } from '../../src/core/stats.ts';
import { defaultParams } from '../../src/core/schema.ts';
import { fractionBelow } from '../../src/ui/distribution.ts';

/** Fraction of `values` (NaN left out) below `threshold`: the per-agent count the histogram must match. */
function fractionOfValuesBelow(values: ArrayLike<number>, threshold: number): number {
  let finite = 0;
  let below = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    finite++;
    if (values[i] < threshold) below++;
  }
  return below / finite;
}
import { lockedOntoWrongArm, probBestAfterSteps, quantileAgents, summariseAgents, worstAgent } from '../../src/ui/seed-pick.ts';

const f32 = Math.fround;

describe('summariseAgents', () => {
  it('gives each agent its softmax, favourite arm, best arm and expected reward, by hand', () => {
    // Two arms paying 10 + 2 * (0, 1): arm 1 is best for every agent.
    const params = { ...defaultParams(), arms: 2, env: 'fixed' as const, means: [0, 1], offset: 10, scale: 2, temperature: 1 };
    const prefs = new Float32Array([0, 0, 0, Math.log(3), Math.log(19), 0]);
    const summary = summariseAgents(params, { prefs, rewardMean: new Float32Array(3), ema: new Float32Array(3), extra: new Float32Array(0) });
    expect(summary.agents).toBe(3);
    expect(Array.from(summary.bestArm)).toEqual([1, 1, 1]);
    // Equal preferences: 1/2 each, the first arm counts as the favourite.
    expect(summary.probBest[0]).toBe(0.5);
    expect(summary.favourite[0]).toBe(0);
    // exp(ln 3) / (1 + 3) = 3/4 (to f32 rounding of ln 3 and exp).
    expect(summary.probBest[1]).toBeCloseTo(0.75, 6);
    expect(summary.favourite[1]).toBe(1);
    // Agent 2 holds arm 0 at 19/20: locked onto a wrong arm.
    expect(summary.probFavourite[2]).toBeCloseTo(0.95, 6);
    expect(summary.probBest[2]).toBeCloseTo(0.05, 6);
    // Expected reward: 10 * pi_0 + 12 * pi_1.
    expect(summary.expectedReward[0]).toBeCloseTo(11, 5);
    expect(summary.expectedReward[1]).toBeCloseTo(10 * 0.25 + 12 * 0.75, 5);
    expect(summary.expectedReward[2]).toBeCloseTo(10 * 0.95 + 12 * 0.05, 5);
    expect(Array.from(summary.bestReward)).toEqual([12, 12, 12]);
    expect(lockedOntoWrongArm(summary)).toEqual([2]);
    expect(lockedOntoWrongArm(summary, 0.96)).toEqual([]);
    expect(worstAgent(summary.probBest)).toBe(2);
  });
});

describe('quantileAgents and worstAgent', () => {
  it('pick the agents of rank round(q (n - 1)), leaving out diverged agents', () => {
    // Sorted: agent 3 (0.1), 0 (0.2), 4 (0.4), 1 (0.6), 2 (0.9); agent 5 diverged.
    const values = [0.2, 0.6, 0.9, 0.1, 0.4, Number.NaN];
    expect(quantileAgents(values, [0, 0.1, 0.5, 0.9, 1])).toEqual([3, 3, 4, 2, 2]);
    expect(quantileAgents(values, [0.25, 0.75])).toEqual([0, 1]);
    expect(quantileAgents([Number.NaN], [0.5])).toEqual([]);
    // Ties go by agent number.
    expect(quantileAgents([0.5, 0.5, 0.5], [0, 0.5, 1])).toEqual([0, 1, 2]);
    expect(worstAgent(values)).toBe(3);
    expect(worstAgent([0.3, 0.1, 0.1])).toBe(1);
    expect(worstAgent([Number.NaN])).toBe(-1);
  });
});

describe('probBestAfterSteps', () => {
  it('reads the policy each next step drew from, with the best arm of that step, and the last softmax', () => {
    const params = { ...defaultParams(), arms: 2, temperature: 2 };
    // Three steps; from step 3 on the arms swapped, so arm 0 is best.
    const trajectory = {
      arms: 2, firstStep: 1, steps: 3,
      probs: new Float32Array([0.5, 0.5, 0.4, 0.6, 0.3, 0.7]),
      prefs: new Float32Array([0, 0, 0, 0, 1, -1]),
      phases: [
        { fromStep: 1, params, armMeans: new Float32Array([0, 1]), bestArm: 1 },
        { fromStep: 3, params, armMeans: new Float32Array([1, 0]), bestArm: 0 },
      ],
    } as unknown as Trajectory;
    const values = probBestAfterSteps(trajectory);
    // After 0 and 1 steps: pi_1 of steps 1 and 2; after 2 steps: pi_0 of step 3 (the new best).
    expect(Array.from(values.subarray(0, 3))).toEqual([f32(0.5), f32(0.6), f32(0.3)]);
    // After step 3: softmax((1, -1) / 2)_0 = 1 / (1 + e^-1).
    expect(values[3]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
  });

  it('ends at the pi(best) the engine state gives, through a live change that moves the best arm', async () => {
    const config = configFromObject({ arms: 3, env: 'fixed', means: [-1, 0, 1], offset: 10, noise: 1, lr: 0.1, agents: 200, seed: 5, groups: [{ baseline: 'none' }] });
    const engine = new CpuEngine(config);
    let last: Uint32Array = new Uint32Array(kHistogramBins);
    const sink = { record: (_g: number, _s: number, _v: Float64Array, histogram: Uint32Array) => { last = histogram.slice(); } };
    engine.advanceSync(30, sink);
    engine.setGroupParams(0, { means: [1, 0, -1] });
    engine.advanceSync(20, sink);
    const params = groupParamsNow(engine.config, engine.paramChanges)[0];
    const summary = summariseAgents(params, await engine.readAgents(0));
    expect(Array.from(summary.bestArm.subarray(0, 3))).toEqual([0, 0, 0]);
    for (const agent of [0, 17, 199]) {
      const trajectory = await engine.trajectory(0, agent);
      const values = probBestAfterSteps(trajectory);
      expect(values.length).toBe(51);
      expect(values[50]).toBe(summary.probBest[agent]);
      // Before the change arm 2 was best, after it arm 0.
      expect(values[29]).toBe(trajectory.probs[29 * 3 + 2]);
      expect(values[30]).toBe(trajectory.probs[30 * 3 + 0]);
    }
    // The recorded histogram after step 50 bins the same pi(best): its fraction below 0.5 is exact.
    expect(fractionBelow(last, 0, kHistogramBins, kHistogramBins / 2)).toBe(fractionOfValuesBelow(summary.probBest, 0.5));
    expect(resolveGroups(config)[0].agents).toBe(summary.agents);
  });
});

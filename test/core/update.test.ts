import { describe, it, expect } from 'vitest';
import { AgentStepper, armNormal, stepConstants } from '../../src/core/agent.ts';
import { kPurpose } from '../../src/core/shared-constants.ts';
import { normalFromU32Pair, philox4x32, uniformFromU32 } from '../../src/core/philox.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';

const f32 = Math.fround;

function params(overrides: Partial<Params>): Params {
  return { ...defaultParams(), ...overrides };
}

/** One agent with its own state, stepped through AgentStepper exactly as the engine does it. */
class OneAgent {
  readonly stepper: AgentStepper;
  readonly prefs: Float32Array;
  readonly rewardMean = new Float32Array(1);
  readonly ema: Float32Array;
  step = 0;
  constructor(readonly p: Params, readonly agent: number, prefs?: number[], normals?: Float32Array) {
    this.stepper = new AgentStepper(p.arms, p.seed);
    this.prefs = prefs ? Float32Array.from(prefs) : new Float32Array(p.arms);
    this.ema = new Float32Array(1).fill(f32(p.baselineInit));
    this.stepper.loadArms(stepConstants(p), normals ?? null, 0);
  }
  act(): AgentStepper {
    const c = stepConstants(this.p);
    this.stepper.policy(this.prefs, 0, c);
    this.step++;
    this.stepper.takeStep(this.prefs, 0, this.rewardMean, this.ema, new Float32Array(0), 0, this.agent, this.step, c);
    return this.stepper;
  }
}

function stepWords(seed: number, agent: number, step: number): Uint32Array {
  const words = new Uint32Array(4);
  philox4x32(step, kPurpose.step, 0, 0, seed, agent, words);
  return words;
}

describe('one REINFORCE step by hand', () => {
  for (const means of [[0, 1], [0.25, 1]]) {
    it(`two arms from [0, 0], lr 0.5, means [${means}], no noise, no baseline: the closed form exactly`, () => {
      const p = params({ arms: 2, env: 'fixed', means, noise: 0, baseline: 'none', lr: 0.5, temperature: 1 });
      const seen = new Set<number>();
      for (let agent = 0; agent < 40; agent++) {
        const one = new OneAgent(p, agent);
        const k = one.act();
        const a = k.action;
        seen.add(a);
        const R = means[a];
        expect(k.reward).toBe(R);
        expect(Array.from(k.probs)).toEqual([0.5, 0.5]);
        // theta_j += lr R (1[j = a] - pi_j) / T with pi = 1/2: every product is exact in f32.
        // (For R = 0 both stay +0: 0 + (-0) is +0.)
        const chosen = 0.5 * R * (1 - 0.5);
        const other = R === 0 ? 0 : -0.5 * R * 0.5;
        expect(one.prefs[a]).toBe(chosen);
        expect(one.prefs[1 - a]).toBe(other);
      }
      expect(seen).toEqual(new Set([0, 1])); // both branches were exercised
    });
  }

  it('three arms, temperature, offset, scale and noise: bit for bit a Math.fround computation', () => {
    const seed = 77;
    const lr = 0.3, T = 0.7, offset = 0.4, scale = 1.5, noise = 0.8;
    const means = [0.2, -0.5, 1.3];
    const theta = [0.1, -0.3, 0.7];
    const p = params({ arms: 3, seed, env: 'fixed', means, noise, offset, scale, baseline: 'none', lr, temperature: T });
    const actions = new Set<number>();
    for (let agent = 0; agent < 60; agent++) {
      const one = new OneAgent(p, agent, theta);
      one.act();

      // By hand, in the order and precision of the WGSL kernel.
      const th = theta.map(f32);
      const invT = f32(1 / T);
      const lrOverT = f32(f32(lr) * invT);
      const max = th[2];
      const w = th.map((t) => f32(Math.exp(f32(f32(t - max) * invT))));
      const sum = f32(f32(f32(0 + w[0]) + w[1]) + w[2]);
      const pi = w.map((x) => f32(x / sum));
      const words = stepWords(seed, agent, 1);
      const target = f32(uniformFromU32(words[0]) * sum);
      const a = target < w[0] ? 0 : target < f32(w[0] + w[1]) ? 1 : 2;
      const armMean = f32(f32(offset) + f32(f32(scale) * f32(means[a])));
      const sd = f32(f32(scale) * f32(noise));
      const R = f32(armMean + f32(sd * normalFromU32Pair(words[1], words[2])));
      const coefficient = f32(lrOverT * f32(R - 0));
      const expected = th.map((t, j) => f32(t + f32(coefficient * f32((j === a ? 1 : 0) - pi[j]))));

      expect(one.stepper.action).toBe(a);
      expect(one.stepper.reward).toBe(R);
      for (let j = 0; j < 3; j++) expect(one.prefs[j]).toBe(expected[j]);
      // And close to the f64 formula (a sanity check on the hand computation itself).
      for (let j = 0; j < 3; j++) {
        const exact = theta[j] + (lr / T) * R * ((j === a ? 1 : 0) - pi[j]);
        expect(Math.abs(one.prefs[j] - exact)).toBeLessThan(1e-6);
      }
      actions.add(a);
    }
    expect(actions.size).toBe(3);
  });

  it('bernoulli rewards are offset + scale when u(word 1) < p, else offset', () => {
    const probs = [0.2, 0.5, 0.9];
    const p = params({ arms: 3, seed: 5, env: 'bernoulli', means: probs, offset: -2, scale: 3, baseline: 'none' });
    let ones = 0;
    for (let agent = 0; agent < 200; agent++) {
      const k = new OneAgent(p, agent).act();
      const words = stepWords(5, agent, 1);
      const hit = uniformFromU32(words[1]) < f32(probs[k.action]);
      expect(k.reward).toBe(hit ? 1 : -2);
      if (hit) ones++;
    }
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(200);
  });

  it('gaussian arm values are offset + scale * spread * z, z from purpose 1 of step 0, two arms a call', () => {
    const p = params({ arms: 4, seed: 9, env: 'gaussian', offset: 1, scale: 2, spread: 0.5 });
    const words = new Uint32Array(4);
    const normals = new Float32Array(4);
    for (let j = 0; j < 4; j++) normals[j] = armNormal(9, 3, j, words);
    const stepper = new AgentStepper(4, 9);
    stepper.loadArms(stepConstants(p), normals, 0);
    for (let j = 0; j < 4; j++) {
      // Arms 2i and 2i + 1: the cosine and sine normals of call i.
      philox4x32(0, kPurpose.armValue, j >> 1, 0, 9, 3, words);
      const z = normalFromU32Pair(words[0], words[1], j % 2 === 0 ? 'cos' : 'sin');
      expect(normals[j]).toBe(z);
      expect(stepper.armMean[j]).toBe(f32(f32(1) + f32(f32(2) * f32(f32(0.5) * z))));
      expect(stepper.armVariance[j]).toBe(f32(f32(2) * f32(1)) ** 2); // (scale * noise)^2
    }
    expect(stepper.bestMean).toBe(Math.max(...stepper.armMean));
    expect(stepper.armMean[stepper.optimalArm]).toBe(stepper.bestMean);
  });

  it('flags non-finite preferences as unhealthy', () => {
    const p = params({ arms: 2, env: 'fixed', means: [0, 1], noise: 0, baseline: 'none' });
    const one = new OneAgent(p, 0, [Number.NaN, 0]);
    expect(one.act().healthy).toBe(false);
    const fine = new OneAgent(p, 0, [1, 0]);
    expect(fine.act().healthy).toBe(true);
  });
});

describe('baseline modes', () => {
  const base = {
    arms: 2, seed: 3, env: 'fixed', means: [0.2, 0.9], noise: 0.5, lr: 0.1,
    baselineStart: 'init', baselineInit: 0.7, baselineRate: 0.25,
  } as const satisfies Partial<Params>;
  const kSteps = 40;

  it('none: b = 0 and the advantage is the reward', () => {
    const one = new OneAgent(params({ ...base, baseline: 'none' }), 1);
    const rewards: number[] = [];
    for (let t = 1; t <= kSteps; t++) {
      const k = one.act();
      rewards.push(k.reward);
      expect(k.baseline).toBe(0);
      expect(k.advantage).toBe(k.reward);
    }
    // The running mean is kept in every mode (so a live switch to 'average' has it).
    const mean = rewards.reduce((a, b) => a + b, 0) / kSteps;
    expect(Math.abs(one.rewardMean[0] - mean)).toBeLessThan(1e-5);
  });

  it('average: step 1 uses baselineInit, later the mean of the earlier rewards', () => {
    const one = new OneAgent(params({ ...base, baseline: 'average' }), 1);
    const rewards: number[] = [];
    let running = 0; // the f32 recurrence m_t = m + (R - m) / t
    for (let t = 1; t <= kSteps; t++) {
      const k = one.act();
      if (t === 1) expect(k.baseline).toBe(f32(0.7));
      else {
        expect(k.baseline).toBe(running);
        // ... which is the mean of the earlier rewards up to f32 rounding (|R| < 3 here).
        const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
        expect(Math.abs(k.baseline - mean)).toBeLessThan(1e-5);
      }
      expect(k.advantage).toBe(f32(k.reward - k.baseline));
      expect(k.referenceBaseline).toBe(k.baseline);
      expect(k.advantageFactor).toBe(1);
      rewards.push(k.reward);
      running = f32(running + f32(f32(k.reward - running) / t));
    }
  });

  it('average-inclusive: advantage 0 at step 1, then R minus the mean including R', () => {
    const one = new OneAgent(params({ ...base, baseline: 'average-inclusive' }), 1);
    const rewards: number[] = [];
    for (let t = 1; t <= kSteps; t++) {
      const previousMean = one.rewardMean[0];
      const k = one.act();
      rewards.push(k.reward);
      if (t === 1) {
        expect(k.advantage).toBe(0);
        expect(k.baseline).toBe(k.reward);
      }
      const mean = rewards.reduce((a, b) => a + b, 0) / t;
      expect(Math.abs(k.baseline - mean)).toBeLessThan(1e-5);
      // R - mean(R_1..R_t) = ((t - 1) / t) (R - mean(R_1..R_{t-1})): what the exact variance uses.
      expect(k.referenceBaseline).toBe(previousMean);
      expect(k.advantageFactor).toBe((t - 1) / t);
      expect(Math.abs(k.advantage - k.advantageFactor * (k.reward - previousMean))).toBeLessThan(1e-6);
    }
  });

  for (const baseline of ['average', 'ema'] as const) {
    it(`${baseline}, baselineStart first-reward: step 1's baseline is its own reward (advantage 0, no update), then as with init`, () => {
      const fromReward = new OneAgent(params({ ...base, baseline, baselineStart: 'first-reward' }), 1);
      const fromInit = new OneAgent(params({ ...base, baseline, baselineStart: 'init', baselineInit: 0 }), 1);
      const first = { ...fromReward.act() }; // act() hands back the one stepper: keep step 1's outputs
      expect(first.baseline).toBe(first.reward);
      expect(first.advantage).toBe(0);
      expect(first.advantageFactor).toBe(0); // the estimator is 0 whatever the draw: exact variance 0
      expect([...fromReward.prefs]).toEqual([0, 0]);
      // From step 2 on the running state is the first reward in both modes ...
      expect(fromReward.rewardMean[0]).toBe(first.reward);
      expect(fromReward.ema[0]).toBe(first.reward);
      const second = fromReward.act();
      expect(second.baseline).toBe(first.reward);
      expect(second.advantage).toBe(f32(second.reward - second.baseline));
      // ... while starting from init 0 updates at step 1 by lr * R * score.
      const raw = fromInit.act();
      expect(raw.advantage).toBe(raw.reward);
      expect(fromInit.prefs[raw.action]).not.toBe(0);
    });
  }

  it('ema: b starts at baselineInit and moves by beta (R - b)', () => {
    const one = new OneAgent(params({ ...base, baseline: 'ema' }), 1);
    let b = f32(0.7);
    let b64 = 0.7;
    for (let t = 1; t <= kSteps; t++) {
      const k = one.act();
      expect(k.baseline).toBe(b);
      expect(Math.abs(k.baseline - b64)).toBeLessThan(1e-5);
      expect(k.advantage).toBe(f32(k.reward - b));
      b = f32(b + f32(f32(0.25) * f32(k.reward - b)));
      b64 += 0.25 * (k.reward - b64);
      expect(one.ema[0]).toBe(b);
    }
  });
});

import { describe, it, expect } from 'vitest';
import { AgentStepper, stepConstants } from '../../src/core/agent.ts';
import { configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { analyticGradient, exactGradientVariance } from '../../src/core/policy.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { RecordingSink } from './helpers.ts';

const f32 = Math.fround;
const kDraws = 200_000;
const kArms = 4;
const kPrefs = [0.5, -0.2, 0.1, 0.8];
const kMeans = [0.1, 0.6, -0.4, 0.3];

interface Estimate {
  mean: number[];
  /** Per-arm sample variance. */
  variance: number[];
  /** Trace of the sample covariance, and its standard error from the fourth moment. */
  trace: number;
  traceSe: number;
  probs: Float32Array;
  armMean: Float32Array;
  armVariance: Float64Array;
  invTemperature: number;
  baseline: number;
}

/**
 * `draws` independent gradient estimates at a FIXED policy: the stepper acts on a fresh copy of
 * the preferences each time, as agent i at step 1 (the counter-based RNG makes every
 * (agent, step) an independent draw). The gradient g_j = (R - b)(1[j = a] - pi_j) / T is formed
 * here from the stepper's action, reward and baseline; the stepper's own update is discarded.
 * Baseline modes act as at step 1: none subtracts 0, average and ema subtract baselineInit
 * (baselineStart init).
 */
function estimate(p: Params, prefsAtStart: number[], draws: number): Estimate {
  const k = p.arms;
  const c = stepConstants(p);
  const stepper = new AgentStepper(k, p.seed);
  stepper.loadArms(c, null, 0);
  const start = Float32Array.from(prefsAtStart);
  stepper.policy(start, 0, c);
  const probs = stepper.probs.slice();
  const prefs = new Float32Array(k);
  const rewardMean = new Float32Array(1);
  const ema = new Float32Array(1);
  const g = new Float64Array(draws * k);
  for (let i = 0; i < draws; i++) {
    prefs.set(start);
    rewardMean[0] = 0;
    ema[0] = f32(p.baselineInit);
    stepper.policy(prefs, 0, c);
    stepper.takeStep(prefs, 0, rewardMean, ema, new Float32Array(0), 0, i, 1, c);
    const scaled = (stepper.reward - stepper.baseline) * c.invTemperature;
    for (let j = 0; j < k; j++) g[i * k + j] = scaled * ((j === stepper.action ? 1 : 0) - probs[j]);
  }
  const mean = new Array<number>(k).fill(0);
  for (let i = 0; i < draws; i++) for (let j = 0; j < k; j++) mean[j] += g[i * k + j] / draws;
  const variance = new Array<number>(k).fill(0);
  let s = 0, s2 = 0;
  for (let i = 0; i < draws; i++) {
    let squaredDistance = 0;
    for (let j = 0; j < k; j++) {
      const d = g[i * k + j] - mean[j];
      variance[j] += (d * d) / draws;
      squaredDistance += d * d;
    }
    s += squaredDistance;
    s2 += squaredDistance * squaredDistance;
  }
  // trace = mean of |g - gbar|^2; its SE is sd(|g - gbar|^2) / sqrt(n), i.e.
  // sqrt((E|g - mu|^4 - trace^2) / n): the fourth moment enters through s2.
  const trace = s / draws;
  const traceSe = Math.sqrt(Math.max(0, s2 / draws - trace * trace) / draws);
  return {
    mean, variance, trace, traceSe, probs,
    armMean: stepper.armMean.slice(), armVariance: stepper.armVariance.slice(),
    invTemperature: c.invTemperature, baseline: p.baseline === 'none' ? 0 : f32(p.baselineInit),
  };
}

/** The fixed-policy problem: k = 4, T = 0.8, fixed means with unit noise; b (if any) via ema. */
function fixedPolicy(offset: number, baseline: number | null): Estimate {
  const p: Params = {
    ...defaultParams(), arms: kArms, seed: 17, env: 'fixed', means: kMeans, noise: 1, temperature: 0.8, offset,
    baseline: baseline === null ? 'none' : 'ema', baselineStart: 'init', baselineInit: baseline ?? 0,
  };
  return estimate(p, kPrefs, kDraws);
}

function expectedReward(e: Estimate): number {
  return Array.from(e.probs).reduce((acc, p, a) => acc + p * e.armMean[a], 0);
}

describe('the REINFORCE estimator at a fixed policy (2e5 draws, k = 4, T = 0.8)', () => {
  for (const offset of [0, 50]) {
    for (const withBaseline of [false, true]) {
      it(`is unbiased: offset ${offset}, ${withBaseline ? 'baseline 0.3' : 'no baseline'}`, () => {
        const e = fixedPolicy(offset, withBaseline ? 0.3 : null);
        const analytic = analyticGradient(e.probs, e.armMean, kArms, e.invTemperature);
        for (let j = 0; j < kArms; j++) {
          // The sample mean of n iid draws has SE sqrt(var_j / n); allow 4 SE per arm.
          const se = Math.sqrt(e.variance[j] / kDraws);
          expect(Math.abs(e.mean[j] - analytic[j]), `arm ${j}`).toBeLessThan(4 * se);
        }
        // The analytic gradient is not ~0 (the test could not fail on a zero estimator otherwise):
        // its largest component is many SEs from 0 when the variance is small.
        if (offset === 0) {
          const largest = Math.max(...analytic.map(Math.abs));
          expect(largest).toBeGreaterThan(10 * Math.sqrt(Math.max(...e.variance) / kDraws));
        }
        // The measured variance (trace of the covariance) is the exact one within 4 of its SEs.
        const exact = exactGradientVariance(e.probs, e.armMean, e.armVariance, kArms, e.baseline, 1, e.invTemperature);
        expect(Math.abs(e.trace - exact)).toBeLessThan(4 * e.traceSe);
      });
    }
  }

  it('with rewards offset by +50, a baseline at the expected reward cuts the variance over 100-fold', () => {
    const none = fixedPolicy(50, null);
    const b = expectedReward(none); // ~50.2, the value of the fixed policy
    const centred = fixedPolicy(50, b);
    // Var = E[(R - b)^2 |e_a - pi|^2] / T^2 - |grad|^2. Without a baseline (R - b)^2 ~ 50^2 = 2500;
    // with b = E[R] it is Var(R | a) + (mu_a - b)^2 ~ 1 + 0.1. The ratio is ~2000; require > 100.
    expect(none.trace / centred.trace).toBeGreaterThan(100);
    // Both means are still the same gradient: subtracting b does not bias (4 SE of the difference).
    const analytic = analyticGradient(none.probs, none.armMean, kArms, none.invTemperature);
    for (let j = 0; j < kArms; j++) {
      expect(Math.abs(centred.mean[j] - analytic[j])).toBeLessThan(4 * Math.sqrt(centred.variance[j] / kDraws));
    }
    const exactNone = exactGradientVariance(none.probs, none.armMean, none.armVariance, kArms, 0, 1, none.invTemperature);
    const exactCentred = exactGradientVariance(none.probs, none.armMean, none.armVariance, kArms, centred.baseline, 1, none.invTemperature);
    expect(Math.abs(none.trace - exactNone)).toBeLessThan(4 * none.traceSe);
    expect(Math.abs(centred.trace - exactCentred)).toBeLessThan(4 * centred.traceSe);
  });
});

describe('the engine\'s gradient columns at step 1 (1e5 agents, one shared policy)', () => {
  for (const baseline of ['none', 'average'] as const) {
    it(`grad_mean, grad_var and exact_grad_var agree with the draws and the formulas (${baseline})`, () => {
      const agents = 100_000;
      const config = configFromObject({
        arms: kArms, agents, steps: 1, seed: 23, env: 'fixed', means: kMeans, noise: 1, offset: 3,
        temperature: 0.8, baseline, baselineStart: 'init', baselineInit: 3.2,
      });
      const engine = new CpuEngine(config);
      const sink = new RecordingSink();
      engine.advanceSync(1, sink);
      const row = sink.rows[0].values;
      const layout = engine.layout;
      // At step 1 every agent has prefs 0 and the same arm means: agent i's draw is the stepper's
      // draw i at step 1, so the same gradients can be formed outside the engine.
      const e = estimate(config.params, new Array(kArms).fill(0), agents);
      const analytic = analyticGradient(e.probs, e.armMean, kArms, e.invTemperature);
      for (let j = 0; j < kArms; j++) {
        // The engine's columns are the sample moments of those very draws (f64 sums: 1e-9).
        const m = row[layout.gradMeanOffset + j];
        expect(Math.abs(m - e.mean[j])).toBeLessThanOrEqual(1e-9 * Math.sqrt(e.variance[j]));
        expect(Math.abs(row[layout.gradVarOffset + j] - e.variance[j])).toBeLessThanOrEqual(1e-9 * e.variance[j]);
        // And unbiased: within 4 SE, SE = sqrt(grad_var_j / N).
        expect(Math.abs(m - analytic[j])).toBeLessThan(4 * Math.sqrt(e.variance[j] / agents));
      }
      const exact = exactGradientVariance(e.probs, e.armMean, e.armVariance, kArms, e.baseline, 1, e.invTemperature);
      // Every agent has the same exact variance, so the column is that number (up to summation).
      expect(Math.abs(row[layout.index('exact_grad_var')] - exact)).toBeLessThan(1e-9 * exact);
      // The measured trace agrees with it within 4 SE (SE from the fourth moment of the draws).
      expect(Math.abs(row[layout.index('grad_var')] - exact)).toBeLessThan(4 * e.traceSe);
    });
  }
});

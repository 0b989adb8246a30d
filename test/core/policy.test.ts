import { describe, it, expect } from 'vitest';
import { philox4x32, uniformFromU32 } from '../../src/core/philox.ts';
import {
  analyticGradient,
  entropyOf,
  exactGradientVariance,
  sampleArm,
  softmaxInto,
} from '../../src/core/policy.ts';
import { softmaxF64, testRng } from './helpers.ts';

const f32 = Math.fround;

function softmax(prefs: number[], temperature = 1) {
  const k = prefs.length;
  const theta = Float32Array.from(prefs);
  const weights = new Float32Array(k);
  const probs = new Float32Array(k);
  const invTemperature = f32(1 / temperature);
  const sum = softmaxInto(theta, 0, k, invTemperature, weights, probs);
  return { theta, weights, probs, sum, invTemperature };
}

/**
 * |p - ref| within f32 rounding. The logit x_j = ln(ref_j / ref_max) is rounded to f32 before
 * exp, an absolute error of |x_j| 2^-24 that becomes a relative error of the weight; exp, the sum
 * and the division add a few more roundings of 2^-24 each. So allow ref_j (|x_j| + 8) 2^-24.
 */
function expectProbsClose(probs: Float32Array, reference: number[]) {
  expect(probs.length).toBe(reference.length);
  const max = Math.max(...reference);
  for (let j = 0; j < reference.length; j++) {
    expect(Number.isFinite(probs[j])).toBe(true);
    const logit = reference[j] > 0 ? Math.abs(Math.log(reference[j] / max)) : 0;
    expect(Math.abs(probs[j] - reference[j])).toBeLessThanOrEqual(reference[j] * (logit + 8) * 2 ** -24 + 1e-38);
  }
  const total = probs.reduce((a, b) => a + b, 0);
  // Each f32 probability carries at most half an ulp (6e-8 relative) beyond the sum's own rounding.
  expect(Math.abs(total - 1)).toBeLessThan(1e-6);
}

describe('softmaxInto', () => {
  it('stays finite and accurate for preferences near +-1e4', () => {
    const { probs, sum, weights } = softmax([1e4, 1e4 - 1, -1e4]);
    // A naive exp(1e4) is Infinity even in f64; max subtraction keeps every weight in [0, 1].
    expect(Math.exp(1e4)).toBe(Infinity);
    expectProbsClose(probs, [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1)), 0]);
    expect(weights[0]).toBe(1);
    expect(weights[2]).toBe(0); // exp(-2e4) underflows to exactly 0
    expect(sum).toBeGreaterThanOrEqual(1);

    expectProbsClose(softmax([-1e4, -1e4 + 1, -1e4 + 0.5]).probs, softmaxF64([0, 1, 0.5]));
    expectProbsClose(softmax([1e4, 1e4, 1e4]).probs, [1 / 3, 1 / 3, 1 / 3]);
  });

  it('stays finite at the ends of the f32 range', () => {
    // theta_1 - max = -6.8e38 overflows f32 to -Infinity; exp(-Infinity) = 0, not NaN.
    const { probs } = softmax([3.4e38, -3.4e38, 3.4e38]);
    expect(Array.from(probs)).toEqual([0.5, 0, 0.5]);
  });

  it('matches the f64 reference on random preferences', () => {
    const rand = testRng(1);
    for (let trial = 0; trial < 200; trial++) {
      const k = 2 + Math.floor(rand() * 20);
      const prefs = Array.from({ length: k }, () => f32((rand() - 0.5) * 40));
      expectProbsClose(softmax(prefs).probs, softmaxF64(prefs));
    }
  });

  it('divides the preferences by the temperature', () => {
    // T = 2 on [1, 2, 3] is softmax([0.5, 1, 1.5]).
    expectProbsClose(softmax([1, 2, 3], 2).probs, softmaxF64([0.5, 1, 1.5]));
    // Hot: T = 100 is nearly uniform (largest gap (3 - 1) / 100 = 0.02 in logits).
    const hot = softmax([1, 2, 3], 100).probs;
    expectProbsClose(hot, softmaxF64([1, 2, 3], 100));
    for (const p of hot) expect(Math.abs(p - 1 / 3)).toBeLessThan(0.01);
    // Cold: T = 0.01 on [1, 1.05, 0] gives logits [-5, 0, -105] after max subtraction.
    const cold = softmax([1, 1.05, 0], 0.01).probs;
    expectProbsClose(cold, softmaxF64([f32(1), f32(1.05), 0], 0.01));
    expect(cold[1]).toBeGreaterThan(0.99);
  });
});

describe('sampleArm', () => {
  /** Pearson chi-square of counts against probabilities. */
  function chiSquare(counts: number[], probs: number[], n: number): number {
    return counts.reduce((acc, c, j) => acc + (c - n * probs[j]) ** 2 / (n * probs[j]), 0);
  }

  function drawCounts(weights: Float32Array, sum: number, n: number, seed: number): number[] {
    const counts = new Array<number>(weights.length).fill(0);
    const out = new Uint32Array(4);
    for (let i = 0; i < n; i++) {
      philox4x32(i, 0, 0, 0, seed, 0, out);
      counts[sampleArm(weights, weights.length, sum, uniformFromU32(out[0]))]++;
    }
    return counts;
  }

  // Upper 0.1% points of the chi-square distribution (tables; e.g. scipy.stats.chi2.ppf(0.999, df)).
  const kChi2Critical999: Record<number, number> = { 4: 18.467, 9: 27.877 };

  for (const prefs of [
    [0.3, -1, 2, 0.5, -0.2],
    [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, -3],
  ]) {
    it(`draws ${prefs.length} arms with the softmax probabilities (chi-square, 1e5 draws)`, () => {
      const n = 100_000;
      const { weights, sum } = softmax(prefs);
      const probs = Array.from(weights, (w) => w / sum);
      const counts = drawCounts(weights, sum, n, 42);
      // Under H0 the statistic is chi-square with k - 1 degrees of freedom; with a fixed seed it
      // is one fixed number, and it must lie below the 0.999 quantile (a 0.1% test).
      const critical = kChi2Critical999[prefs.length - 1];
      expect(chiSquare(counts, probs, n)).toBeLessThan(critical);
      // The test has power: the same counts against uniform probabilities are rejected.
      expect(chiSquare(counts, probs.map(() => 1 / prefs.length), n)).toBeGreaterThan(critical);
    });
  }

  it('with a consistent f32 sum, the largest uniform times the sum stays below the sum', () => {
    // u = 1 - 2^-24 takes sum 2^-24 off the sum: for sum in [2^e, 2^(e+1)) that is at least half
    // an ulp (2^(e-24)), and only exactly half at sum = 2^e, where the result is representable.
    // So f32(u * sum) < sum: the fallback below is for sums that disagree with the running total
    // (a different summation order or fused multiply-add on a GPU), not for this case.
    const rand = testRng(5);
    const u = 1 - 2 ** -24;
    for (let i = 0; i < 10_000; i++) {
      const sum = f32(1 + rand() * 63);
      expect(f32(u * sum)).toBeLessThan(sum);
    }
  });

  it('never takes an arm of weight 0, even when uniform * sum rounds to the running total', () => {
    const weights = Float32Array.from([1, 2, 0]);
    // A caller's sum one ulp above the running total 3 (2^-22 is the ulp in [2, 4)).
    const sum = 3 + 2 ** -22;
    const u = 1 - 2 ** -24; // the largest uniform
    // Precondition: u * sum = 3 + 2^-22 - 1.8e-7 is within half an ulp of 3, so f32 gives 3,
    // which is not below the cumulative weight 3 of any arm.
    expect(f32(u * sum)).toBe(3);
    expect(sampleArm(weights, 3, sum, u)).toBe(1);
    // u = 1 (never produced by uniformFromU32) gives target = sum exactly: same fallback.
    expect(sampleArm(weights, 3, 3, 1)).toBe(1);
    expect(sampleArm(Float32Array.from([0, 3, 0, 0]), 4, 3, 1)).toBe(1);
    expect(sampleArm(Float32Array.from([2, 0, 1, 0, 0]), 5, 3, 1)).toBe(2);
    expect(sampleArm(Float32Array.from([0, 1, 0]), 3, 1, 0)).toBe(1); // u = 0 skips a leading zero
  });

  it('over all 2^24 uniforms: zero-weight arms never drawn, the others exactly in proportion', () => {
    // prefs [0, -200, 1.5, -300]: exp(-200) and exp(-300) underflow f32 to 0.
    const { weights, sum } = softmax([0, -200, 1.5, -300]);
    expect(weights[1]).toBe(0);
    expect(weights[3]).toBe(0);
    const counts = [0, 0, 0, 0];
    for (let word = 0; word < 2 ** 24; word++) counts[sampleArm(weights, 4, sum, word * 2 ** -24)]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    // Inverse CDF on a grid of 2^24 points: each arm's share is its probability to within
    // a couple of grid steps (rounding of the target and of the running sum).
    expect(Math.abs(counts[0] - 2 ** 24 * (weights[0] / sum))).toBeLessThanOrEqual(4);
    expect(Math.abs(counts[2] - 2 ** 24 * (weights[2] / sum))).toBeLessThanOrEqual(4);
  });
});

describe('entropyOf', () => {
  it('equals -sum p log p', () => {
    const rand = testRng(2);
    for (let trial = 0; trial < 200; trial++) {
      const k = 2 + Math.floor(rand() * 12);
      const temperature = 0.1 + rand() * 3;
      const prefs = Array.from({ length: k }, () => f32((rand() - 0.5) * 10));
      const { theta, probs, sum, invTemperature } = softmax(prefs, temperature);
      let reference = 0;
      for (const p of probs) if (p > 0) reference -= p * Math.log(p);
      // The two formulas differ only by f32 rounding of the probabilities (relative ~1e-7 each).
      expect(Math.abs(entropyOf(theta, 0, k, invTemperature, probs, sum) - reference)).toBeLessThan(1e-5);
    }
  });

  it('is log k for a uniform policy and 0 for a deterministic one', () => {
    const uniform = softmax(new Array(10).fill(3));
    expect(entropyOf(uniform.theta, 0, 10, 1, uniform.probs, uniform.sum)).toBeCloseTo(Math.log(10), 6);
    const deterministic = softmax([0, -1e4, -1e4]);
    expect(entropyOf(deterministic.theta, 0, 3, 1, deterministic.probs, deterministic.sum)).toBe(0);
  });
});

describe('exact gradient moments', () => {
  /**
   * Brute force over every outcome: action a with probability pi_a, reward R = mu_a +- s_a with
   * probability 1/2 each (mean mu_a, variance s_a^2). Returns E[g] and trace Cov(g) of
   * g_j = c (R - b) (1[j = a] - pi_j) / T, component by component.
   */
  function bruteForce(pi: number[], mu: number[], s2: number[], b: number, c: number, invT: number) {
    const k = pi.length;
    const mean = new Array<number>(k).fill(0);
    const second = new Array<number>(k).fill(0);
    for (let a = 0; a < k; a++) {
      for (const sign of [-1, 1]) {
        const weight = pi[a] / 2;
        const reward = mu[a] + sign * Math.sqrt(s2[a]);
        for (let j = 0; j < k; j++) {
          const g = c * (reward - b) * ((j === a ? 1 : 0) - pi[j]) * invT;
          mean[j] += weight * g;
          second[j] += weight * g * g;
        }
      }
    }
    const variance = second.reduce((acc, m2, j) => acc + m2 - mean[j] ** 2, 0);
    return { mean, variance };
  }

  it('exactGradientVariance equals enumeration over actions and rewards', () => {
    const rand = testRng(3);
    for (let trial = 0; trial < 300; trial++) {
      const k = 2 + Math.floor(rand() * 5);
      const raw = Array.from({ length: k }, () => rand() + 0.01);
      const total = raw.reduce((a, b) => a + b, 0);
      const pi = raw.map((r) => r / total);
      const mu = Array.from({ length: k }, () => (rand() - 0.5) * 10);
      const s2 = Array.from({ length: k }, () => (rand() < 0.3 ? 0 : rand() * 4));
      const b = (rand() - 0.5) * 20;
      const c = rand() < 0.5 ? 1 : rand();
      const invT = 0.2 + rand() * 5;
      const expected = bruteForce(pi, mu, s2, b, c, invT).variance;
      const got = exactGradientVariance(pi, mu, s2, k, b, c, invT);
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-10 * Math.max(1, expected));
    }
  });

  it('the mean gradient is the analytic gradient, whatever the baseline', () => {
    const rand = testRng(4);
    for (let trial = 0; trial < 100; trial++) {
      const k = 2 + Math.floor(rand() * 5);
      const prefs = Array.from({ length: k }, () => (rand() - 0.5) * 4);
      const temperature = 0.3 + rand() * 2;
      const pi = softmaxF64(prefs, temperature);
      const mu = Array.from({ length: k }, () => (rand() - 0.5) * 10);
      const s2 = mu.map(() => rand());
      const analytic = analyticGradient(pi, mu, k, 1 / temperature);
      for (const b of [0, 3, -7]) {
        const { mean } = bruteForce(pi, mu, s2, b, 1, 1 / temperature);
        for (let j = 0; j < k; j++) expect(Math.abs(mean[j] - analytic[j])).toBeLessThan(1e-12);
      }
      // And it is dJ/dtheta of J = sum_a pi_a mu_a: central differences, h = 1e-5, error O(h^2).
      const J = (theta: number[]) => softmaxF64(theta, temperature).reduce((acc, p, a) => acc + p * mu[a], 0);
      for (let j = 0; j < k; j++) {
        const up = prefs.slice();
        const down = prefs.slice();
        up[j] += 1e-5;
        down[j] -= 1e-5;
        expect(Math.abs((J(up) - J(down)) / 2e-5 - analytic[j])).toBeLessThan(1e-7);
      }
    }
  });

  it('a baseline at the expected reward removes the variance of a noise-free offset', () => {
    // Two arms, rewards 100 and 101 without noise, pi = (1/2, 1/2): with b = 0 the gradient is
    // +-(R / 2) per arm, trace = E[R^2] / 2 - |E g|^2; with b = 100.5 only (+-0.5)^2 / 2 remains.
    const pi = [0.5, 0.5];
    const mu = [100, 101];
    const none = exactGradientVariance(pi, mu, [0, 0], 2, 0, 1, 1);
    const centred = exactGradientVariance(pi, mu, [0, 0], 2, 100.5, 1, 1);
    expect(none).toBeCloseTo((100 ** 2 + 101 ** 2) / 4 - 2 * 0.25 ** 2, 9);
    expect(centred).toBeCloseTo(0.125 - 2 * 0.25 ** 2, 12);
  });
});

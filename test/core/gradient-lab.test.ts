import { describe, expect, it } from 'vitest';
import { armNormal } from '../../src/core/agent.ts';
import {
  type LabAnalysis,
  type LabDraw,
  type LabEstimate,
  type LabProblem,
  accumulateLabSamplesCpu,
  addLabSums,
  analyzeLab,
  drawLabSample,
  emptyLabSums,
  estimateGradientsCpu,
  finishLabEstimate,
  kLabBaselines,
  kMaxLabSumsSamples,
  labHistogramBin,
  labHistogramMapping,
  labProblemFromParams,
  labProjection,
  optimalBaseline,
  pickHistogramRange,
  samplesForAccuracy,
} from '../../src/core/gradient-lab.ts';
import { analyticGradient, exactGradientVariance } from '../../src/core/policy.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { kHistogramBins } from '../../src/core/shared-constants.ts';

const f32 = Math.fround;

function problem(overrides: Partial<LabProblem> & Pick<LabProblem, 'arms' | 'prefs' | 'armMean'>): LabProblem {
  return {
    temperature: 1, env: 'fixed', armValue: [], offset: 0, scale: 1, rewardSd: 0, seed: 5, constantBaseline: 0,
    ...overrides,
  };
}

const byId = (e: LabAnalysis | LabEstimate, id: string) => (e.baselines as { id: string }[]).findIndex((b) => b.id === id);

/** "Left pays 0, right pays 1", pi = (1/4, 3/4): theta = (0, T ln 3). */
function twoArm(temperature: number, rewardSd: number): LabProblem {
  return problem({ arms: 2, prefs: [0, temperature * Math.log(3)], armMean: [0, 1], temperature, rewardSd });
}

describe('exact results, k = 2 worked by hand', () => {
  // pi = (1/4, 3/4), means (0, 1): J = 3/4, dJ/dtheta = pi_j (mu_j - J) / T = (-3/16, 3/16) / T.
  // s_a = (1 - 2 pi_a + sum pi^2) / T^2 with sum pi^2 = 5/8: s = (9/8, 1/8) / T^2.
  // b* = sum pi mu s / sum pi s = (3/4 * 1/8) / (1/4 * 9/8 + 3/4 * 1/8) = 1/4.
  // tr Cov(b) = sum pi_a (sigma^2 + (mu_a - b)^2) s_a - |grad J|^2 with |grad J|^2 = 9/128 / T^2:
  //   b = 0:    3/4 * 1/8 - 9/128                     = 3/128
  //   b = J:    1/4 * 9/16 * 9/8 + 3/4 * 1/16 * 1/8 - 9/128 = 3/32
  //   b = b*:   1/4 * 1/16 * 9/8 + 3/4 * 9/16 * 1/8 - 9/128 = 0   (k = 2: g is the same for both actions)
  // Reward noise sigma adds sigma^2 sum pi_a s_a = sigma^2 * 3/8 / T^2 to every baseline.
  // With k = 2, g_1 = -g_0, so each arm carries half the total.
  const kF32 = 1e-6; // pi comes from the f32 softmax: relative error ~1e-7
  for (const [temperature, sigma] of [[1, 0], [2, 0], [1, 0.5]] as const) {
    it(`T = ${temperature}, reward sd ${sigma}`, () => {
      const a = analyzeLab(twoArm(temperature, sigma));
      const t2 = temperature * temperature;
      expect(a.probs[0]).toBeCloseTo(0.25, 6);
      expect(a.expectedReward).toBeCloseTo(0.75, 6);
      expect(a.gradient[0]).toBeCloseTo(-3 / 16 / temperature, 6);
      expect(a.gradient[1]).toBeCloseTo(3 / 16 / temperature, 6);
      expect(a.gradNorm).toBeCloseTo(Math.sqrt(9 / 128) / temperature, 6);
      const noise = (sigma * sigma * 3) / 8 / t2;
      const want = { none: 3 / 128 / t2 + noise, average: 3 / 32 / t2 + noise, optimal: noise };
      expect(a.baselines[byId(a, 'optimal')].value).toBeCloseTo(0.25, 6);
      expect(a.baselines[byId(a, 'average')].value).toBeCloseTo(0.75, 6);
      for (const [id, total] of Object.entries(want)) {
        const b = a.baselines[byId(a, id)];
        expect(Math.abs(b.totalVariance - total), id).toBeLessThanOrEqual(kF32 * (1 + total));
        expect(Math.abs(b.variance[0] - total / 2), id).toBeLessThanOrEqual(kF32 * (1 + total));
        expect(Math.abs(b.variance[1] - total / 2), id).toBeLessThanOrEqual(kF32 * (1 + total));
      }
    });
  }

  it('noise-free at b*: every one of the estimates IS the exact gradient (zero spread, one bin)', () => {
    const p = twoArm(1, 0);
    const a = analyzeLab(p);
    const range = { lo: 0, hi: 2 * a.gradNorm };
    const e = estimateGradientsCpu(p, 4096, 1, range);
    const optimal = e.baselines[byId(e, 'optimal')];
    expect(Math.abs(optimal.mean[0] - a.gradient[0])).toBeLessThan(1e-7);
    expect(optimal.totalVariance).toBeLessThan(1e-12);
    expect(Math.max(...optimal.histogram)).toBe(4096);
    // The others do spread: b = 0 gives two values, g = (0, 0) for action 0 and (R/T)(-pi_0, pi_0) for action 1.
    expect(e.baselines[byId(e, 'none')].totalVariance).toBeGreaterThan(0.01);
  });
});

describe('the optimal baseline', () => {
  const p = problem({
    arms: 6, prefs: [0.3, -0.5, 1.1, -1.5, -1.4, 0.6], armMean: [1.2, -0.3, 0.8, 2.5, 0.1, -1.0],
    temperature: 0.7, rewardSd: 0.7, env: 'gaussian',
  });
  const a = analyzeLab(p);
  const variance = (b: number) => exactGradientVariance(a.probs, a.armMean, a.armVariance, a.arms, b, 1, a.invTemperature);
  const bStar = optimalBaseline(a.probs, a.armMean, a.arms);

  it('is the minimiser of the analytic variance found by scanning b (step 1e-4)', () => {
    const step = 1e-4;
    let best = Number.NaN;
    let bestVariance = Infinity;
    for (let b = -2; b <= 3.5; b += step) {
      const v = variance(b);
      if (v < bestVariance) {
        bestVariance = v;
        best = b;
      }
    }
    expect(Math.abs(best - bStar)).toBeLessThanOrEqual(step);
    // And not the average reward J: b* weights each arm's mean by pi_a |grad log pi_a|^2 rather
    // than by pi_a, which moves it well away from J here (0.14 below).
    expect(Math.abs(bStar - a.expectedReward)).toBeGreaterThan(0.1);
  });

  it('has a smaller variance than b* +- delta, growing as delta^2 sum_a pi_a s_a', () => {
    let curvature = 0;
    let sumSquared = 0;
    for (let j = 0; j < a.arms; j++) sumSquared += a.probs[j] * a.probs[j];
    for (let j = 0; j < a.arms; j++) curvature += a.probs[j] * (1 - 2 * a.probs[j] + sumSquared) * a.invTemperature * a.invTemperature;
    for (const delta of [1e-3, 1e-2, 0.3, 2]) {
      for (const sign of [-1, 1]) {
        const b = bStar + sign * delta;
        expect(variance(b)).toBeGreaterThan(variance(bStar));
        expect(variance(b) - variance(bStar)).toBeCloseTo(delta * delta * curvature, 10);
      }
    }
  });

  it('per-arm exact variances sum to exactGradientVariance, and the gradient is analyticGradient', () => {
    for (const b of a.baselines) {
      const sum = b.variance.reduce((s, v) => s + v, 0);
      expect(Math.abs(sum - b.totalVariance)).toBeLessThanOrEqual(1e-12 * (1 + b.totalVariance));
    }
    // analyticGradient takes J over the f32 probabilities as they are (summing to 1 within f32
    // rounding); the lab normalises them, so the two agree to f32 rounding of pi.
    const reference = analyticGradient(a.probs, a.armMean, a.arms, a.invTemperature);
    for (let j = 0; j < a.arms; j++) expect(Math.abs(a.gradient[j] - reference[j])).toBeLessThan(1e-6 * a.gradNorm);
    expect(Math.abs(a.gradient.reduce((s, g) => s + g, 0))).toBeLessThan(1e-15);
  });
});

const kSamples = 2 ** 17;

function gaussianParams(): Params {
  return { ...defaultParams(), arms: 5, env: 'gaussian', offset: 4, scale: 1.5, spread: 1, noise: 1, temperature: 1.5, seed: 11 };
}

const kProblems: [string, LabProblem][] = [
  ['fixed, noise-free, k = 4', problem({
    arms: 4, prefs: [0.5, -0.2, 0.1, 0.8], armMean: [2.1, 2.6, 1.6, 2.3], temperature: 0.8, offset: 2, constantBaseline: 1,
  })],
  ['gaussian arms and noise (agent 3 of a testbed group), k = 5', labProblemFromParams(gaussianParams(), 3, [0.4, -0.3, 0.9, 0, -1], 3.5)],
  ['bernoulli, k = 3', problem({
    arms: 3, prefs: [0.2, -0.4, 0.1], env: 'bernoulli', armValue: [0.2, 0.5, 0.9].map(f32), armMean: [0.2, 0.5, 0.9].map(f32),
    offset: 0, scale: 1, constantBaseline: 0.5, seed: 99,
  })],
];

describe(`Monte Carlo estimates (${kSamples} samples, fixed seeds)`, () => {
  for (const [name, p] of kProblems) {
    it(`${name}: unbiased for every baseline, variance as the formula`, () => {
      const a = analyzeLab(p);
      const range = pickHistogramRange(a);
      const e = estimateGradientsCpu(p, kSamples, 7, range);
      expect(e.baselines.map((b) => b.id)).toEqual(kLabBaselines.map((b) => b.id));
      for (const [m, b] of e.baselines.entries()) {
        const exact = a.baselines[m];
        for (let j = 0; j < a.arms; j++) {
          // Each mean component within 4 of its standard errors (sqrt(var_j / N)) of the exact gradient.
          expect(Math.abs(b.mean[j] - a.gradient[j]), `${b.id} arm ${j}`).toBeLessThanOrEqual(4 * b.meanSe[j] + 1e-12);
        }
        // The trace of the sample covariance within 4 of its standard errors (from the fourth moment) of tr Cov.
        expect(Math.abs(b.totalVariance - exact.totalVariance), `${b.id} total variance`).toBeLessThanOrEqual(4 * b.totalVarianceSe + 1e-12);
        expect(b.totalVarianceSe).toBeLessThan(0.05 * exact.totalVariance); // the check has teeth
        expect(b.histogram.reduce((s, c) => s + c, 0)).toBe(kSamples);
      }
      // The gradient is well resolved: the test could not pass with a zero estimator.
      const average = e.baselines[byId(e, 'average')];
      expect(a.gradNorm).toBeGreaterThan(10 * Math.hypot(...average.meanSe));
    });
  }

  it('sample moments from the per-arm sums equal those of the individual estimates (brute force, 2^13 draws)', () => {
    for (const [name, p] of kProblems) {
      const samples = 2 ** 13;
      const a = analyzeLab(p);
      const range = pickHistogramRange(a);
      const e = finishLabEstimate(a, accumulateLabSamplesCpu(a, samples, 3, range), 3, range);
      const words = new Uint32Array(4);
      const draw: LabDraw = { action: 0, reward: 0 };
      for (const b of e.baselines) {
        const g: number[][] = [];
        const histogram = new Uint32Array(kHistogramBins);
        const mapping = labHistogramMapping(range);
        for (let i = 0; i < samples; i++) {
          drawLabSample(a, 3, i, words, draw);
          // R - b as the sums hold it: the noise r = R - mu_a in f32 (as the shader has it), plus mu_a - b.
          const advantage = f32(draw.reward - a.armMean[draw.action]) + (a.armMean[draw.action] - b.value);
          g.push(Array.from({ length: a.arms }, (_, j) => advantage * ((j === draw.action ? 1 : 0) - a.probs[j]) * a.invTemperature));
          histogram[labHistogramBin(labProjection(draw.reward, b.value, a.projection[draw.action]), mapping)]++;
        }
        const mean = Array.from({ length: a.arms }, (_, j) => g.reduce((s, x) => s + x[j], 0) / samples);
        const variance = mean.map((mu, j) => g.reduce((s, x) => s + (x[j] - mu) ** 2, 0) / (samples - 1));
        const d2 = g.map((x) => x.reduce((s, v, j) => s + (v - mean[j]) ** 2, 0));
        const m2 = d2.reduce((s, v) => s + v, 0) / samples;
        const m4 = d2.reduce((s, v) => s + v * v, 0) / samples;
        const scale = Math.sqrt(g.reduce((s, x) => s + x.reduce((t, v) => t + v * v, 0), 0) / samples);
        for (let j = 0; j < a.arms; j++) {
          expect(Math.abs(b.mean[j] - mean[j]), `${name} ${b.id} mean ${j}`).toBeLessThanOrEqual(1e-9 * scale);
          expect(Math.abs(b.variance[j] - variance[j]), `${name} ${b.id} var ${j}`).toBeLessThanOrEqual(1e-9 * scale * scale);
        }
        expect(Math.abs(b.totalVarianceSe - Math.sqrt((m4 - m2 * m2) / samples))).toBeLessThanOrEqual(1e-6 * scale * scale);
        expect(Array.from(b.histogram)).toEqual(Array.from(histogram));
      }
    }
  });

  it('the same frame draws the same samples; another frame draws others', () => {
    const p = kProblems[1][1];
    const range = pickHistogramRange(analyzeLab(p));
    const first = estimateGradientsCpu(p, 4096, 1, range);
    expect(estimateGradientsCpu(p, 4096, 1, range).sums).toEqual(first.sums);
    expect(estimateGradientsCpu(p, 4096, 2, range).sums.noise).not.toEqual(first.sums.noise);
  });

  it('addLabSums: calls of other frames add up to one estimate of all their draws (the page\'s running total)', () => {
    const p = kProblems[1][1];
    const a = analyzeLab(p);
    const range = pickHistogramRange(a);
    const calls = [[4, 3000], [5, 1001], [6, 4096]] as const;
    const parts = calls.map(([frame, n]) => accumulateLabSamplesCpu(a, n, frame, range));
    const total = parts.reduce((into, from) => addLabSums(into, from), emptyLabSums(a.arms, 0));
    const n = calls.reduce((s, [, m]) => s + m, 0);
    expect(total.samples).toBe(n);
    // Element by element the plain sums of the parts (addLabSums changed none of them).
    const summed = (key: 'counts' | 'noise' | 'histograms' | 'outside') =>
      Array.from(total[key], (_, i) => parts.reduce((s, part) => s + part[key][i], 0));
    for (const key of ['counts', 'noise', 'histograms', 'outside'] as const) expect(Array.from(total[key])).toEqual(summed(key));
    // The estimate of the total is the estimate of every draw together: its mean the samples-weighted mean of the parts'.
    const e = finishLabEstimate(a, total, 6, range);
    const partEstimates = parts.map((part) => finishLabEstimate(a, part, 0, range));
    for (const [m, b] of e.baselines.entries()) {
      for (let j = 0; j < a.arms; j++) {
        const pooled = partEstimates.reduce((s, part, c) => s + part.baselines[m].mean[j] * calls[c][1], 0) / n;
        expect(Math.abs(b.mean[j] - pooled), `${b.id} arm ${j}`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(pooled)));
      }
      expect(b.histogram.reduce((s, c) => s + c, 0)).toBe(n);
    }
  });

  it('addLabSums refuses other arm counts and totals the u32 counts cannot hold', () => {
    expect(() => addLabSums(emptyLabSums(3, 1), emptyLabSums(4, 1))).toThrow(/sums: cannot add sums for 4 arms/);
    expect(() => addLabSums(emptyLabSums(3, kMaxLabSumsSamples), emptyLabSums(3, 1))).toThrow(/u32/);
    expect(addLabSums(emptyLabSums(3, kMaxLabSumsSamples - 1), emptyLabSums(3, 1)).samples).toBe(kMaxLabSumsSamples);
  });
});

describe('histograms', () => {
  it('count every sample once; out-of-range ones land in the edge bins and are counted as outside', () => {
    const p = kProblems[1][1];
    const a = analyzeLab(p);
    const wide = pickHistogramRange(a);
    const centre = (wide.lo + wide.hi) / 2;
    const narrow = { lo: centre - (wide.hi - wide.lo) / 40, hi: centre + (wide.hi - wide.lo) / 40 };
    const samples = 8192;
    const e = estimateGradientsCpu(p, samples, 4, narrow);
    const mapping = labHistogramMapping(narrow);
    const words = new Uint32Array(4);
    const draw: LabDraw = { action: 0, reward: 0 };
    for (const [m, b] of e.baselines.entries()) {
      expect(b.histogram.reduce((s, c) => s + c, 0)).toBe(samples);
      let below = 0;
      let above = 0;
      for (let i = 0; i < samples; i++) {
        drawLabSample(a, 4, i, words, draw);
        const x = labProjection(draw.reward, a.baselines[m].value, a.projection[draw.action]);
        if (x < mapping.lo) below++;
        if (x > mapping.hi) above++;
      }
      expect(b.outside).toBe(below + above);
      expect(b.outside).toBeGreaterThan(samples / 2);
      expect(b.histogram[0]).toBeGreaterThanOrEqual(below);
      expect(b.histogram[kHistogramBins - 1]).toBeGreaterThanOrEqual(above);
    }
  });

  it('the picked range holds the sensible baselines (mean +- 4 sd) and ignores an absurd one', () => {
    // Rewards around +50 with no baseline: that estimator's spread is ~100x the others'.
    const p = problem({ arms: 3, prefs: [0, 0.5, -0.5], armMean: [50, 51, 49.5], rewardSd: 0.5, env: 'gaussian', offset: 50, constantBaseline: 50.2 });
    const a = analyzeLab(p);
    const range = pickHistogramRange(a);
    const none = a.baselines[byId(a, 'none')];
    const average = a.baselines[byId(a, 'average')];
    expect(none.projectionSd).toBeGreaterThan(50 * average.projectionSd);
    for (const id of ['average', 'constant', 'optimal']) {
      const b = a.baselines[byId(a, id)];
      expect(range.lo).toBeLessThanOrEqual(b.projectionMean - 4 * b.projectionSd);
      expect(range.hi).toBeGreaterThanOrEqual(b.projectionMean + 4 * b.projectionSd);
    }
    expect(range.hi - range.lo).toBeLessThan(none.projectionSd);
    // Chebyshev: at most 1/16 of a baseline's samples lie beyond 4 of its sd (plus sampling noise).
    const e = estimateGradientsCpu(p, 16384, 1, range);
    for (const id of ['average', 'constant', 'optimal']) expect(e.baselines[byId(e, id)].outside).toBeLessThan(16384 / 16 + 200);
    expect(e.baselines[byId(e, 'none')].outside).toBeGreaterThan(16384 / 2);
  });

  it('all means equal: zero gradient, arm 0 as the direction, a usable range', () => {
    const p = problem({ arms: 3, prefs: [0.1, 0.2, 0.3], armMean: [1, 1, 1], rewardSd: 1, env: 'gaussian' });
    const a = analyzeLab(p);
    expect(a.gradNorm).toBe(0);
    expect(Array.from(a.direction)).toEqual([1, 0, 0]);
    const range = pickHistogramRange(a);
    expect(range.hi).toBeGreaterThan(range.lo);
    const e = estimateGradientsCpu(p, 2048, 1, range);
    expect(samplesForAccuracy(e.baselines[0].totalVariance, 0.1, a.gradNorm)).toBe(Infinity);
  });
});

describe('problem set-up and sizes', () => {
  it('labProblemFromParams: the arms agent i meets in the engine (gaussian: armNormal, offset, scale)', () => {
    const params = gaussianParams();
    const p = labProblemFromParams(params, 3, [0, 0, 0, 0, 0]);
    const words = new Uint32Array(4);
    for (let j = 0; j < params.arms; j++) {
      const value = f32(f32(params.spread) * armNormal(params.seed, 3, j, words));
      expect(p.armMean[j]).toBe(f32(f32(params.offset) + f32(f32(params.scale) * value)));
    }
    expect(p.rewardSd).toBe(f32(params.scale * params.noise));
    const bernoulli = labProblemFromParams({ ...defaultParams(), arms: 3, env: 'bernoulli', means: [0.1, 0.5, 0.7], offset: 1, scale: 2 }, 0, [0, 0, 0]);
    expect(bernoulli.armValue).toEqual([0.1, 0.5, 0.7].map(f32));
    expect(bernoulli.armMean).toEqual([1.2, 2, 2.4].map((m) => f32(m)));
  });

  it('samplesForAccuracy: N = tr Cov / (eps |grad J|)^2 makes the mean\'s standard error eps |grad J|', () => {
    const n = samplesForAccuracy(0.5, 0.1, 0.2);
    expect(n).toBeCloseTo(0.5 / (0.02 * 0.02), 9);
    expect(Math.sqrt(0.5 / n)).toBeCloseTo(0.1 * 0.2, 12);
  });

  it('refuses bad input with the field named', () => {
    const good = kProblems[0][1];
    expect(() => analyzeLab({ ...good, arms: 1 })).toThrow(/arms/);
    expect(() => analyzeLab({ ...good, prefs: [0, 1] })).toThrow(/prefs/);
    expect(() => analyzeLab({ ...good, temperature: 0 })).toThrow(/temperature/);
    expect(() => analyzeLab({ ...good, env: 'bernoulli', armValue: [0.5, 2, 0, 0] })).toThrow(/armValue\[1\]/);
    expect(() => estimateGradientsCpu(good, 0, 0, { lo: 0, hi: 1 })).toThrow(/samples/);
    expect(() => estimateGradientsCpu(good, 10, 0, { lo: 1, hi: 1 })).toThrow(/range/);
  });
});

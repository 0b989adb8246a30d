import { afterAll, describe, expect, it } from 'vitest';
// The package's Node entry is CommonJS inside a "type": "module" package; its ES build loads.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import {
  type BaselineEstimate,
  type HistogramRange,
  type LabAnalysis,
  type LabDraw,
  type LabEstimate,
  type LabProblem,
  analyzeLab,
  drawLabSample,
  estimateGradientsCpu,
  kLabBaselines,
  labHistogramMapping,
  labProblemFromParams,
  labProjection,
  pickHistogramRange,
} from '../../src/core/gradient-lab.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { kHistogramBins, kWorkgroupSize } from '../../src/core/shared-constants.ts';
import {
  GpuGradientLab,
  kArmParamsFields,
  kLabUniformsBytes,
  kLabUniformsFields,
  kMaxLabWorkgroups,
  labGrid,
  packLabUniforms,
} from '../../src/gpu/gradient-lab-kernel.ts';
import { armCapacity } from '../../src/gpu/layout.ts';
import { composeShader, kShaderSources } from '../../src/gpu/shaders.ts';
import { testGpu, withErrorScopes } from './harness.ts';

const f32 = Math.fround;

describe('LabUniforms layout', () => {
  const reflect = new WgslReflect(composeShader(kShaderSources.gradientLab, armCapacity(10)));
  const struct = (name: string) => {
    const found = reflect.structs.find((s) => s.name === name);
    if (!found) throw new Error(`struct ${name} not found`);
    return found;
  };

  it('the WGSL struct has the packer\'s fields at the packer\'s offsets', () => {
    const s = struct('LabUniforms');
    expect(s.members.map((m) => m.name)).toEqual([...kLabUniformsFields]);
    s.members.slice(0, 16).forEach((m, i) => expect(m.offset, m.name).toBe(4 * i));
    const baselines = s.members[16];
    // One vec4 holds every baseline of kLabBaselines: the shader's kLabBaselineCount is 4.
    expect([baselines.offset, baselines.size]).toEqual([64, 4 * kLabBaselines.length]);
    expect(s.members[17].offset).toBe(80);
    expect(s.size).toBe(kLabUniformsBytes);
    const arm = struct('ArmParams');
    expect(arm.members.map((m) => [m.name, m.offset])).toEqual(kArmParamsFields.map((name, i) => [name, 4 * i]));
    expect(arm.size).toBe(16);
    expect(kShaderSources.gradientLab).toContain(`const kLabBaselineCount: u32 = ${kLabBaselines.length}u;`);
  });

  it('packLabUniforms writes each value where the struct has it', () => {
    const p = labProblemFromParams({ ...defaultParams(), arms: 3, env: 'bernoulli', means: [0.1, 0.5, 0.7], offset: 1, scale: 2, seed: 77 }, 0, [0.2, 0, -0.3], 1.5);
    const a = analyzeLab(p);
    const view = new DataView(new ArrayBuffer(kLabUniformsBytes));
    packLabUniforms(view, a, { samples: 1000, frame: 9, workgroups: 3, samplesPerInvocation: 6, range: { lo: -1, hi: 2 } });
    const u = (i: number) => view.getUint32(4 * i, true);
    const f = (at: number) => view.getFloat32(at, true);
    expect([u(0), u(1), u(2), u(3), u(4), u(5)]).toEqual([1000, 9, 77, 2, 6, 3]);
    expect([f(32), f(36), f(40), f(44), f(48), f(52), f(56)]).toEqual([a.weightSum, a.offset, a.scale, a.rewardSd, -1, 2, f32(64 / 3)]);
    expect([f(64), f(68), f(72), f(76)]).toEqual(a.baselines.map((b) => b.value));
    expect([f(80 + 16), f(84 + 16), f(88 + 16), f(92 + 16)]).toEqual([a.weights[1], a.armMean[1], a.armValue[1], a.projection[1]]);
    expect(f(80 + 16 * 3)).toBe(0);
  });
});

const kSamples = 2 ** 16 + 37;

function testbed(arms: number): Params {
  return { ...defaultParams(), arms, env: 'gaussian', offset: 1, scale: 1.5, spread: 1, noise: 1, temperature: 0.9, seed: 21 };
}

const kCases: [string, LabProblem][] = [
  ['k = 2, fixed, noise-free', labProblemFromParams({ ...defaultParams(), arms: 2, env: 'fixed', means: [0, 1], noise: 0, seed: 3 }, 0, [0.3, -0.2], 0.8)],
  ['k = 3, bernoulli', labProblemFromParams({ ...defaultParams(), arms: 3, env: 'bernoulli', means: [0.2, 0.5, 0.9], offset: 2, seed: 8 }, 0, [0.1, -0.4, 0.2], 2.3)],
  ['k = 10, gaussian arms and noise', labProblemFromParams(testbed(10), 5, [0.3, -0.5, 1.1, -1.5, -1.4, 0.6, 0, 0.2, -0.1, 0.4], 1)],
];

/**
 * How far the GPU's reward may lie from the CPU's for a sample whose reward words are (w1, w2):
 * the Box-Muller normal within WGSL's accuracy for log, sqrt and cos (the bound rng.test.ts
 * checks), times the reward's sd, plus one f32 rounding of R where the GPU fuses mean + sd * z.
 */
function rewardTolerance(a: LabAnalysis, word1: number, reward: number): number {
  if (a.env === 'bernoulli' || a.rewardSd === 0) return 0;
  const radius = Math.sqrt(-2 * Math.log(((word1 >>> 8) + 1) / 2 ** 24));
  const normal = Math.min(2 ** -10, 2 ** -20 / (2 * radius)) + radius * 2 ** -11 + 1e-6;
  return a.rewardSd * normal + 2 ** -23 * Math.abs(reward);
}

interface CpuBounds {
  /** Samples that lie within their reward tolerance of a bin edge, per baseline (only they may change bins). */
  nearEdge: number[];
  /** Per arm and power p: how far the GPU's sum of r^p may lie from the CPU's through the rewards alone. */
  noise: Float64Array;
  /** Per arm and power: sum of |r|^p (an f32 sum's error is relative to this, not to the sum). */
  magnitude: Float64Array;
}

/** Walks the CPU's draws once more to bound what the GPU may do differently. */
function cpuBounds(a: LabAnalysis, e: LabEstimate): CpuBounds {
  const mapping = labHistogramMapping(e.range);
  const words = new Uint32Array(4);
  const draw: LabDraw = { action: 0, reward: 0 };
  const nearEdge = a.baselines.map(() => 0);
  const noise = new Float64Array(4 * a.arms);
  const magnitude = new Float64Array(4 * a.arms);
  for (let i = 0; i < e.samples; i++) {
    drawLabSample(a, e.frame, i, words, draw);
    const tolerance = rewardTolerance(a, words[1], draw.reward);
    const r = Math.abs(f32(draw.reward - a.armMean[draw.action]));
    for (let p = 1; p <= 4; p++) {
      // d(r^p) = p r^(p-1) dr, to first order; dr is R's tolerance plus the rounding of R - mu.
      noise[4 * draw.action + p - 1] += p * r ** (p - 1) * (tolerance + 2 ** -24 * r);
      magnitude[4 * draw.action + p - 1] += r ** p;
    }
    if (tolerance === 0) continue;
    for (let m = 0; m < a.baselines.length; m++) {
      const x = (labProjection(draw.reward, a.baselines[m].value, a.projection[draw.action]) - mapping.lo) * mapping.binScale;
      // In bin widths, plus a few f32 roundings of x itself.
      const window = (tolerance * Math.abs(a.projection[draw.action]) + 2 ** -22 * Math.abs(x / mapping.binScale)) * mapping.binScale + 1e-6;
      const edge = Math.min(kHistogramBins, Math.max(0, Math.round(x)));
      if (Math.abs(x - edge) <= window) nearEdge[m]++;
    }
  }
  return { nearEdge, noise, magnitude };
}

let lab: GpuGradientLab | null = null;
async function gpuLab(): Promise<GpuGradientLab> {
  lab ??= GpuGradientLab.create(await testGpu());
  return lab;
}
afterAll(() => lab?.dispose());

async function runGpu(p: LabProblem, samples: number, frame: number, range: HistogramRange): Promise<LabEstimate> {
  const { device } = await testGpu();
  return withErrorScopes(device, async () => (await gpuLab()).run(p, samples, frame, range));
}

/**
 * f32 sums on the GPU (each invocation's run of at most 32 samples, then two trees of 64 and the
 * partials): an error up to ~(32 + 12) 2^-24 ~ 3e-6 of the sum of magnitudes; 1e-5 leaves room.
 */
const kF32Sums = 1e-5;

describe('GpuGradientLab against the CPU reference', () => {
  it(`spreads ${kSamples} samples (not a multiple of ${kWorkgroupSize}) over the grid, and millions over at most ${kMaxLabWorkgroups} workgroups`, () => {
    expect(kSamples % kWorkgroupSize).not.toBe(0);
    for (const samples of [1, 63, kSamples, 2 ** 24, 2 ** 31]) {
      const { workgroups, samplesPerInvocation } = labGrid(samples);
      expect(workgroups).toBeLessThanOrEqual(kMaxLabWorkgroups);
      expect(workgroups * kWorkgroupSize * samplesPerInvocation).toBeGreaterThanOrEqual(samples);
      // The last workgroup has work: none is dispatched for nothing.
      expect((workgroups - 1) * kWorkgroupSize * samplesPerInvocation).toBeLessThan(samples);
      // The shader's sample indices stay below 2^32.
      expect(workgroups * kWorkgroupSize * samplesPerInvocation).toBeLessThan(2 ** 32);
    }
    expect(labGrid(2 ** 24)).toEqual({ workgroups: kMaxLabWorkgroups, samplesPerInvocation: 64 });
  });

  for (const [name, p] of kCases) {
    it(`${name}: the same actions, the same samples in the same bins, the same moments`, async () => {
      const a = analyzeLab(p);
      const range = pickHistogramRange(a);
      const frame = 12;
      const cpu = estimateGradientsCpu(p, kSamples, frame, range);
      const gpu = await runGpu(p, kSamples, frame, range);
      // Every sample took the same action: the GPU samples from the CPU's f32 weights in the same f32 steps.
      expect(Array.from(gpu.sums.counts)).toEqual(Array.from(cpu.sums.counts));
      const exactRewards = p.rewardSd === 0 || p.env === 'bernoulli';
      const bounds = cpuBounds(a, cpu);
      for (let at = 0; at < 4 * a.arms; at++) {
        const allowed = bounds.noise[at] + kF32Sums * bounds.magnitude[at];
        expect(Math.abs(gpu.sums.noise[at] - cpu.sums.noise[at]), `arm ${at >> 2} sum of r^${(at & 3) + 1}`).toBeLessThanOrEqual(allowed);
      }
      let moved = 0;
      for (const [m, g] of gpu.baselines.entries()) {
        const c = cpu.baselines[m];
        expect(g.histogram.reduce((s, x) => s + x, 0)).toBe(kSamples);
        if (exactRewards) {
          // Rewards are exact (an arm's mean, or offset / offset + scale), so is every projection's f32.
          expect(Array.from(g.histogram), `${g.id} histogram`).toEqual(Array.from(c.histogram));
          expect(g.outside).toBe(c.outside);
        } else {
          // Gaussian noise: the normal's last bits differ (WGSL's log and cos), so a sample within
          // that error of a bin edge may land next door; no other sample may move.
          let diff = 0;
          for (let bin = 0; bin < kHistogramBins; bin++) diff += Math.abs(g.histogram[bin] - c.histogram[bin]);
          expect(diff / 2, `${g.id}: samples moved`).toBeLessThanOrEqual(bounds.nearEdge[m]);
          expect(Math.abs(g.outside - c.outside)).toBeLessThanOrEqual(bounds.nearEdge[m]);
          expect(bounds.nearEdge[m], 'the bound is tight enough to catch a wrong bin').toBeLessThan(0.02 * kSamples);
          moved += diff / 2;
        }
        // Moments: exact rewards leave only the f32 sums; gaussian rewards add the normals'
        // error, up to ~2^-10 + 2^-11 |z| per normal, i.e. ~1e-3 of r and 2e-3 of r^2 (5e-3 with room).
        const tolerance = exactRewards ? kF32Sums : 5e-3;
        for (let j = 0; j < a.arms; j++) {
          const second = c.variance[j] + c.mean[j] * c.mean[j];
          expect(Math.abs(g.mean[j] - c.mean[j]), `${g.id} mean ${j}`).toBeLessThanOrEqual(tolerance * Math.sqrt(second));
          expect(Math.abs(g.variance[j] - c.variance[j]), `${g.id} variance ${j}`).toBeLessThanOrEqual(tolerance * second);
        }
      }
      if (!exactRewards) console.log(`${name}: ${moved} of ${4 * kSamples} projections in another bin on the GPU (bound: ${bounds.nearEdge.join(', ')})`);
    });
  }

  it('k = 64, and 1 and 63 samples: the same counts and histograms (reusing the grown buffers)', async () => {
    const p = labProblemFromParams({ ...defaultParams(), arms: 64, env: 'fixed', means: [], noise: 0, temperature: 2, seed: 4 }, 0, Array.from({ length: 64 }, (_, j) => Math.sin(j)), 0.3);
    for (const [problem, samples] of [[p, 4099], [kCases[0][1], 1], [kCases[1][1], 63]] as const) {
      const range = pickHistogramRange(analyzeLab(problem));
      const cpu = estimateGradientsCpu(problem, samples, 3, range);
      const gpu = await runGpu(problem, samples, 3, range);
      expect(Array.from(gpu.sums.counts)).toEqual(Array.from(cpu.sums.counts));
      expect(Array.from(gpu.sums.histograms)).toEqual(Array.from(cpu.sums.histograms));
      expect(Array.from(gpu.sums.outside)).toEqual(Array.from(cpu.sums.outside));
    }
  });

  it('the variance at b* is below that of constants b* +- delta on the GPU too', async () => {
    const p = kCases[2][1];
    const a = analyzeLab(p);
    const bStar = a.baselines.find((b) => b.id === 'optimal')?.value as number;
    const range = pickHistogramRange(a);
    for (const delta of [-0.3, 0.3]) {
      // The same samples for both baselines: the sample variance is a parabola in b whose minimum
      // lies within a few standard errors of b* (far closer than 0.3 at 2^16 samples).
      const e = await runGpu({ ...p, constantBaseline: bStar + delta }, kSamples, 30, range);
      const optimal = e.baselines.find((b) => b.id === 'optimal') as BaselineEstimate;
      const constant = e.baselines.find((b) => b.id === 'constant') as BaselineEstimate;
      expect(optimal.totalVariance).toBeLessThan(constant.totalVariance);
      // And both are the exact variances within 4 of their standard errors.
      const exact = analyzeLab({ ...p, constantBaseline: bStar + delta }).baselines;
      for (const b of [optimal, constant]) {
        const want = exact.find((x) => x.id === b.id)?.totalVariance as number;
        expect(Math.abs(b.totalVariance - want), b.id).toBeLessThanOrEqual(4 * b.totalVarianceSe);
      }
    }
  });
});

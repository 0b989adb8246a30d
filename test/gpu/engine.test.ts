import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, defaultConfig, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { recordLength } from '../../src/core/shared-constants.ts';
import type { AgentStates, Engine } from '../../src/core/engine.ts';
import { ConfigError, type Params, kBaselineModes } from '../../src/core/schema.ts';
import { type StatsSink, kHistogramBins } from '../../src/core/stats.ts';
import { openNodeGpu } from '../../src/gpu/node-gpu.ts';
import { GpuEngine } from '../../src/gpu/gpu-engine.ts';
import { testGpu, withErrorScopes } from './harness.ts';
import { f32Bits } from '../core/helpers.ts';

interface Row {
  group: number;
  step: number;
  values: Float64Array;
  histogram: Uint32Array;
}

function collector(rows: Row[], diverged: number[] = []): StatsSink {
  return {
    record: (group, step, values, histogram) => rows.push({ group, step, values: values.slice(), histogram: histogram.slice() }),
    diverged: (group) => diverged.push(group),
  };
}

/**
 * Two rows from the same device and kernel paths: the same numbers up to the order of f32
 * additions (1e-5 relative), and the same histogram.
 */
function expectSameRow(row: Row, want: Row, where: string): void {
  for (let s = 0; s < want.values.length; s++) {
    expect(Math.abs(row.values[s] - want.values[s]), `stat ${s} ${where}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want.values[s])));
  }
  expect(Array.from(row.histogram), `histogram ${where}`).toEqual(Array.from(want.histogram));
}

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  const base = defaultConfig();
  return validateConfig({ params: { ...base.params, ...params }, groups });
}

/** A deterministic pseudo-random state (prefs in [-3, 3], baselines in [-1, 1]). */
function randomStates(agents: number, arms: number, seed: number): AgentStates {
  let x = seed >>> 0;
  const next = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  return {
    prefs: Float32Array.from({ length: agents * arms }, () => 6 * next() - 3),
    rewardMean: Float32Array.from({ length: agents }, () => 2 * next() - 1),
    ema: Float32Array.from({ length: agents }, () => 2 * next() - 1),
    extra: new Float32Array(0),
  };
}

/**
 * Agents whose preferences agree within `tolerance(theta)`. Where both engines took the same
 * actions, preferences differ only through f32 rounding and the accuracy WGSL allows its
 * builtins (exp: 3 + 2|x| ulp; log: 2^-21 absolute near 1; cos: 2^-11 absolute), which reach
 * rewards through the Box-Muller normals: each normal may differ by up to ~3e-3 (see
 * rng.test.ts), each step's preferences by lr * scale * (spread + noise) * 3e-3. Over tens to
 * hundreds of steps these mostly cancel: 1e-2 * (1 + |theta|) is loose for them and still far
 * below the change one different action makes (lr * |R - b|, ~0.1 to 1 here).
 */
function prefsAgreement(
  a: Float32Array,
  b: Float32Array,
  arms: number,
  tolerance: (theta: number) => number = (theta) => 1e-2 * (1 + Math.abs(theta)),
): { agreeing: number; agents: number } {
  const agents = a.length / arms;
  let agreeing = 0;
  for (let i = 0; i < agents; i++) {
    let ok = true;
    for (let j = 0; j < arms; j++) {
      const x = a[i * arms + j];
      const y = b[i * arms + j];
      if (!(Math.abs(x - y) <= tolerance(x))) ok = false;
    }
    if (ok) agreeing++;
  }
  return { agreeing, agents };
}

async function runBoth(cfg: ExperimentConfig, chunks: number[]): Promise<{ cpu: Row[]; gpu: Row[]; cpuEngine: CpuEngine; gpuEngine: GpuEngine }> {
  const context = await testGpu();
  const cpuEngine = new CpuEngine(cfg);
  const gpuEngine = await GpuEngine.create(cfg, context);
  const cpu: Row[] = [];
  const gpu: Row[] = [];
  for (const steps of chunks) {
    await cpuEngine.advance(steps, collector(cpu));
    await gpuEngine.advance(steps, collector(gpu));
  }
  return { cpu, gpu, cpuEngine, gpuEngine };
}

const byKey = (rows: Row[]) => new Map(rows.map((r) => [`${r.group}:${r.step}`, r]));

describe('GPU engine against the CPU reference', () => {
  it('one step from the same state gives the same preferences (f32 tolerance)', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const lr = 0.3;
      const cases: [Partial<Params>, (theta: number) => number][] = [
        // No reward noise: only exp and division differ. exp's WGSL error is 3 + 2|x| ulp with
        // |x| <= 6 here (prefs in [-3, 3]), so pi differs by ~2e-6 relative and theta by
        // lr * |R - b| * 2e-6 < 1e-5 for |R - b| < 4; plus one f32 ulp of theta.
        [{ env: 'fixed', means: [0, 0.5, 1, 1.5, 2, 2.5, 3, 1, 0, 2], noise: 0 }, (t) => 1e-5 * (1 + Math.abs(t))],
        // Gaussian arms and noise: each normal may differ by up to r * 2^-11 + 1e-3 (r <= 5.8),
        // so R by (spread + noise) * 4e-3 and theta by lr times that.
        [{ env: 'gaussian', spread: 1, noise: 1 }, (t) => lr * 2 * 4e-3 + 1e-5 * (1 + Math.abs(t))],
      ];
      for (const [env, tolerance] of cases) {
        for (const baseline of kBaselineModes) {
          const cfg = config({ arms: 10, agents: 1000, lr, baseline, offset: 0.5, ...env });
          const cpu = new CpuEngine(cfg);
          const gpu = await GpuEngine.create(cfg, await testGpu());
          const states = randomStates(1000, 10, 7);
          cpu.writeAgents(0, states);
          gpu.writeAgents(0, states);
          cpu.seekStep(41);
          gpu.seekStep(41);
          await cpu.advance(1, collector([]));
          await gpu.advance(1, collector([]));
          const a = await cpu.readAgents(0);
          const b = await gpu.readAgents(0);
          expect(prefsAgreement(a.prefs, b.prefs, 10, tolerance), `${env.env} ${baseline}`).toEqual({ agreeing: 1000, agents: 1000 });
          for (let i = 0; i < 1000; i++) {
            expect(Math.abs(a.rewardMean[i] - b.rewardMean[i])).toBeLessThanOrEqual(tolerance(a.rewardMean[i]));
            expect(Math.abs(a.ema[i] - b.ema[i])).toBeLessThanOrEqual(tolerance(a.ema[i]));
          }
          gpu.dispose();
        }
      }
    });
  });

  it.each(kBaselineModes)('10-armed testbed, 4096 agents x 300 steps, baseline %s: statistics agree', async (baseline) => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const agents = 4096;
      const cfg = config({ arms: 10, agents, steps: 300, lr: 0.1, baseline, env: 'gaussian', offset: 0, spread: 1, noise: 1 });
      const { cpu, gpu, cpuEngine, gpuEngine } = await runBoth(cfg, [300]);
      expect(gpu.length).toBe(300);
      expect(cpu.length).toBe(300);
      const layout = cpuEngine.layout;
      const gpuRows = byKey(gpu);
      let worst = 0;
      for (const row of cpu) {
        const other = gpuRows.get(`${row.group}:${row.step}`);
        expect(other, `gpu row for step ${row.step}`).toBeDefined();
        // Standard errors of a mean over N agents. Probabilities and indicators lie in [0, 1],
        // so their variance is at most m (1 - m). Rewards: var(R) <= noise^2 + E[max_j q_j^2]
        // < 1 + 4 for 10 standard-normal arms, so SD(R) < 2.3. Both engines use the same random
        // numbers, so their difference is far below these; 4 SE catches a wrong formula.
        const check = (name: string, se: number) => {
          const i = layout.index(name);
          const diff = Math.abs(row.values[i] - (other as Row).values[i]);
          worst = Math.max(worst, diff / (4 * se));
          expect(diff, `${name} at step ${row.step}`).toBeLessThanOrEqual(4 * se);
        };
        const bounded = (name: string) => {
          const m = row.values[layout.index(name)];
          check(name, Math.sqrt(Math.max(m * (1 - m), 1 / agents) / agents));
        };
        bounded('frac_optimal');
        bounded('mean_prob_optimal');
        for (let j = 0; j < 10; j++) bounded(`mean_prob_${j}`);
        check('mean_reward', 2.3 / Math.sqrt(agents));
        check('mean_expected_reward', 2.3 / Math.sqrt(agents));
        // Variances: relative SE of a variance over N samples ~ sqrt(2 / N) for near-normal data;
        // heavier tails (kurtosis up to ~10 here) give sqrt(kurtosis / N) ~ 0.05.
        const varianceScale = row.values[layout.index('grad_var')];
        check('grad_var', 0.05 * varianceScale + 1e-6);
        check('exact_grad_var', 0.05 * row.values[layout.index('exact_grad_var')] + 1e-6);
        let histogramTotal = 0;
        for (let b = 0; b < kHistogramBins; b++) histogramTotal += (other as Row).histogram[b];
        expect(histogramTotal).toBe(agents);
      }
      const agreement = prefsAgreement((await cpuEngine.readAgents(0)).prefs, (await gpuEngine.readAgents(0)).prefs, 10);
      // A path splits when rounding flips one of its 300 actions: each step's probabilities
      // differ by ~1e-5 (the normals above), so a flip has probability ~k * 1e-5 per step and
      // ~3% of paths split over 300 steps (measured 2-4%). A wrong formula splits them all.
      expect(agreement.agreeing / agreement.agents).toBeGreaterThanOrEqual(0.9);
      console.log(`baseline ${baseline}: worst |gpu - cpu| / 4 SE = ${worst.toFixed(4)}, prefs agree for ${agreement.agreeing}/${agreement.agents} agents`);
      gpuEngine.dispose();
    });
  });

  it.each([
    [1, 2],
    [63, 3],
    [65, 10],
    [1000, 64],
  ])('awkward shape: %i agents x %i arms', async (agents, arms) => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const cfg = config({ arms, agents, lr: 0.2, env: 'gaussian', baseline: 'ema' });
      const { cpu, gpu, cpuEngine, gpuEngine } = await runBoth(cfg, [20]);
      expect(gpu.map((r) => r.step)).toEqual(cpu.map((r) => r.step));
      const a = await cpuEngine.readAgents(0);
      const b = await gpuEngine.readAgents(0);
      const agreement = prefsAgreement(a.prefs, b.prefs, arms);
      expect(agreement.agreeing).toBeGreaterThanOrEqual(Math.floor(0.99 * agents));
      const frac = cpuEngine.layout.index('frac_optimal');
      for (let r = 0; r < cpu.length; r++) {
        expect(Math.abs(cpu[r].values[frac] - gpu[r].values[frac])).toBeLessThanOrEqual(0.02 + 1 / agents);
        expect(gpu[r].histogram.reduce((s, v) => s + v, 0)).toBe(agents);
      }
      gpuEngine.dispose();
    });
  });

  it('several groups of unequal size in one dispatch, each with its own parameters', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const sizes = [1, 63, 65, 1000];
      const cfg = config({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 0.5 }, [
        { agents: 1, baseline: 'none' },
        { agents: 63, baseline: 'average', lr: 0.5 },
        { agents: 65, baseline: 'average-inclusive', env: 'bernoulli', means: [0.2, 0.5, 0.8] },
        { agents: 1000, baseline: 'ema', temperature: 2 },
      ]);
      const { cpu, gpu, cpuEngine, gpuEngine } = await runBoth(cfg, [30]);
      expect(gpu.length).toBe(4 * 30);
      for (let g = 0; g < 4; g++) {
        const a = await cpuEngine.readAgents(g);
        const b = await gpuEngine.readAgents(g);
        expect(prefsAgreement(a.prefs, b.prefs, 3).agreeing).toBeGreaterThanOrEqual(Math.floor(0.99 * sizes[g]));
        const last = gpu.filter((r) => r.group === g).at(-1) as Row;
        expect(last.histogram.reduce((s, v) => s + v, 0)).toBe(sizes[g]);
        const cpuLast = cpu.filter((r) => r.group === g).at(-1) as Row;
        const reward = cpuEngine.layout.index('mean_reward');
        expect(Math.abs(last.values[reward] - cpuLast.values[reward])).toBeLessThanOrEqual(0.05);
      }
      gpuEngine.dispose();
    });
  });

  it('batches, normalised advantages (batch and running) and the entropy bonus: per-step preferences and statistics as on the CPU', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      // The last group is plain: in a dispatch with the general step it must still match the CPU's plain step.
      const sizes = [70, 65, 130, 40, 33, 50, 30, 45, 40];
      const cfg = config({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 0.5, lr: 0.3, agents: 70 }, [
        { agents: 70, batch: 4, baseline: 'average' },
        { agents: 65, batch: 5, advantageNorm: 'batch', baseline: 'ema', scale: 50 },
        { agents: 130, entropy: 0.2, baseline: 'average-inclusive', temperature: 0.7 },
        { agents: 40, batch: 3, advantageNorm: 'batch', entropy: 0.05, env: 'bernoulli', means: [0.2, 0.5, 0.8], baseline: 'none' },
        { agents: 33, baseline: 'average' },
        { agents: 50, batch: 4, epochs: 3, clip: 0.2, advantageNorm: 'batch', baseline: 'average', lr: 1 },
        { agents: 30, batch: 3, epochs: 2, baseline: 'ema' },
        { agents: 45, advantageNorm: 'running', baseline: 'average', scale: 100 },
        { agents: 40, advantageNorm: 'running', batch: 4, epochs: 2, clip: 0.2, baseline: 'ema' },
      ]);
      const context = await testGpu();
      const cpuEngine = new CpuEngine(cfg);
      const gpuEngine = await GpuEngine.create(cfg, context);
      const cpu: Row[] = [];
      const gpu: Row[] = [];
      // Step by step for the first steps (preferences after each step), then a longer stretch.
      for (let step = 1; step <= 4; step++) {
        await cpuEngine.advance(1, collector(cpu));
        await gpuEngine.advance(1, collector(gpu));
        for (let g = 0; g < sizes.length; g++) {
          const a = await cpuEngine.readAgents(g);
          const b = await gpuEngine.readAgents(g);
          // Few steps: only f32 rounding and WGSL's exp/log/normals differ. In the PPO group a
          // sample whose ratio lies within that rounding of the clip bound may fall on the other
          // side on the GPU and change the update: a few agents there may differ.
          // Its three passes at lr 1 also carry the rounding further: 1e-3 there.
          const slack = g === 5 ? Math.ceil(0.06 * sizes[g]) : 1;
          const tolerance = g === 5 ? 1e-3 : 1e-4;
          expect(prefsAgreement(a.prefs, b.prefs, 3, (theta) => tolerance * (1 + Math.abs(theta))).agreeing, `group ${g} step ${step}`)
            .toBeGreaterThanOrEqual(sizes[g] - slack);
        }
      }
      await cpuEngine.advance(60, collector(cpu));
      await gpuEngine.advance(60, collector(gpu));
      const cpuRows = byKey(cpu);
      for (const row of gpu) {
        const want = cpuRows.get(`${row.group}:${row.step}`) as Row;
        // Means over agents: where both engines took the same actions they agree to rounding;
        // the rare agent that took another path moves a mean by at most its share of the range.
        for (const name of ['mean_reward', 'mean_prob_optimal', 'mean_entropy', 'frac_optimal', 'clip_fraction']) {
          const s = cpuEngine.layout.index(name);
          expect(Math.abs(row.values[s] - want.values[s]), `${name} group ${row.group} step ${row.step}`)
            .toBeLessThanOrEqual(2e-3 * (1 + Math.abs(want.values[s])) + 60 / sizes[row.group]);
        }
        const exact = cpuEngine.layout.index('exact_grad_var');
        expect(Math.abs(row.values[exact] - want.values[exact]), `exact_grad_var group ${row.group} step ${row.step}`)
          .toBeLessThanOrEqual(0.05 * Math.abs(want.values[exact]) + 1e-6);
      }
      for (let g = 0; g < sizes.length; g++) {
        const a = await cpuEngine.readAgents(g);
        const b = await gpuEngine.readAgents(g);
        expect(prefsAgreement(a.prefs, b.prefs, 3).agreeing, `group ${g} after 64 steps`).toBeGreaterThanOrEqual(Math.floor(0.97 * sizes[g]));
      }
      gpuEngine.dispose();
    });
  });

  it('epsilon-greedy beside softmax groups: per-step action values, pull counts and statistics as on the CPU', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      // Value-based groups share a dispatch with a plain and a batched softmax group, each of which
      // must still match the CPU.
      const sizes = [70, 65, 40, 50, 33, 30];
      const cfg = config({ arms: 4, env: 'gaussian', noise: 1, agents: 70 }, [
        { agents: 70, policy: 'epsilon-greedy', epsilon: 0.1 },
        // advantageNorm does not act on a value-based group (its extra words are pull counts).
        { agents: 65, policy: 'epsilon-greedy', epsilon: 0, initialValue: 3, valueStep: 0.1, advantageNorm: 'running' },
        { agents: 40, policy: 'epsilon-greedy', epsilon: 0.3, env: 'bernoulli', means: [0.2, 0.5, 0.8, 0.4] },
        { agents: 50, policy: 'epsilon-greedy', epsilon: 1, env: 'fixed', means: [0, 1, 2, 3], scale: 10, noise: 0 },
        { agents: 33, baseline: 'average' },
        { agents: 30, batch: 3, baseline: 'ema' },
      ]);
      const context = await testGpu();
      const cpuEngine = new CpuEngine(cfg);
      const gpuEngine = await GpuEngine.create(cfg, context);
      expect(gpuEngine.plan.valueStep).toBe(true);
      expect(gpuEngine.plan.statePlanes).toBe(4 + 2 + 4);
      const cpu: Row[] = [];
      const gpu: Row[] = [];
      const agreeingCounts = (a: Float32Array, b: Float32Array) => {
        let same = 0;
        for (let i = 0; i < a.length / 4; i++) if ([0, 1, 2, 3].every((j) => a[i * 4 + j] === b[i * 4 + j])) same++;
        return same;
      };
      for (let step = 1; step <= 4; step++) {
        await cpuEngine.advance(1, collector(cpu));
        await gpuEngine.advance(1, collector(gpu));
        for (let g = 0; g < sizes.length; g++) {
          const a = await cpuEngine.readAgents(g);
          const b = await gpuEngine.readAgents(g);
          // Few steps: only f32 rounding and WGSL's normals (gaussian rewards) differ. An action
          // value is a mean of rewards themselves (no lr to scale a normal's ~3e-3 error down).
          const tolerance = g < 4 ? 5e-3 : 1e-4;
          expect(prefsAgreement(a.prefs, b.prefs, 4, (theta) => tolerance * (1 + Math.abs(theta))).agreeing, `group ${g} step ${step}`)
            .toBeGreaterThanOrEqual(sizes[g] - 1);
          // Softmax groups keep the critic's V (one word) whatever their baseline.
          expect(b.extra.length, `group ${g} extra words`).toBe(sizes[g] * (g < 4 ? 4 : 1));
          if (g < 4) expect(agreeingCounts(a.extra, b.extra), `group ${g} counts step ${step}`).toBeGreaterThanOrEqual(sizes[g] - 1);
        }
      }
      await cpuEngine.advance(60, collector(cpu));
      await gpuEngine.advance(60, collector(gpu));
      const cpuRows = byKey(cpu);
      for (const row of gpu) {
        const want = cpuRows.get(`${row.group}:${row.step}`) as Row;
        // Means over agents: where both engines took the same actions they agree to rounding; the
        // rare agent that took another path moves a mean by at most its share of the range.
        for (const name of ['mean_reward', 'mean_prob_optimal', 'mean_entropy', 'frac_optimal', 'mean_advantage']) {
          const s = cpuEngine.layout.index(name);
          expect(Math.abs(row.values[s] - want.values[s]), `${name} group ${row.group} step ${row.step}`)
            .toBeLessThanOrEqual(2e-3 * (1 + Math.abs(want.values[s])) + 60 / sizes[row.group]);
        }
        if (row.group < 4) expect(row.values[cpuEngine.layout.index('exact_grad_var')], 'no gradient').toBe(0);
      }
      for (let g = 0; g < sizes.length; g++) {
        const a = await cpuEngine.readAgents(g);
        const b = await gpuEngine.readAgents(g);
        // A greedy choice between two values within rounding of each other (an optimistic start
        // decays every arm alike) may go the other way on the GPU, and that agent's path with it.
        const share = g < 4 ? 0.9 : 0.97;
        expect(prefsAgreement(a.prefs, b.prefs, 4, (theta) => (g < 4 ? 5e-3 : 1e-2) * (1 + Math.abs(theta))).agreeing, `group ${g} after 64 steps`)
          .toBeGreaterThanOrEqual(Math.floor(share * sizes[g]));
        if (g < 4) expect(agreeingCounts(a.extra, b.extra), `group ${g} counts after 64 steps`).toBeGreaterThanOrEqual(Math.floor(share * sizes[g]));
        const one = await gpuEngine.readAgent(g, 7);
        const words = g < 4 ? 4 : 1;
        expect(Array.from(one.extra)).toEqual(Array.from(b.extra.subarray(7 * words, 8 * words)));
      }
      // Written states go back where they came from, extra planes included.
      const states = await cpuEngine.readAgents(1);
      gpuEngine.writeAgents(1, states);
      expect(f32Bits((await gpuEngine.readAgents(1)).extra)).toEqual(f32Bits(states.extra));
      gpuEngine.dispose();
    });
  });

  it('contexts and the critic beside plain and batched groups: per-step preferences, V and statistics as on the CPU', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const sizes = [70, 65, 40, 50, 33];
      const cfg = config({ arms: 4, env: 'fixed', means: [0, 0.5, 1, 0.2], noise: 0.5, lr: 0.3, agents: 70, baselineInit: 0.25 }, [
        { agents: 70, contexts: 3, contextSpread: 2, baseline: 'critic', criticLr: 0.2, env: 'gaussian' },
        { agents: 65, contexts: 8, contextSpread: 1, baseline: 'average' },
        { agents: 40, baseline: 'critic', criticLr: 0.05 },
        { agents: 50, batch: 4, epochs: 2, clip: 0.2, baseline: 'critic', advantageNorm: 'running' },
        { agents: 33, contexts: 2, baseline: 'critic', env: 'bernoulli', means: [0.1, 0.9, 0.5, 0.3] },
      ]);
      const context = await testGpu();
      const cpuEngine = new CpuEngine(cfg);
      const gpuEngine = await GpuEngine.create(cfg, context);
      expect(gpuEngine.plan.contextStep).toBe(true);
      const cpu: Row[] = [];
      const gpu: Row[] = [];
      const agree = (a: Float32Array, b: Float32Array, width: number, tolerance: number) => prefsAgreement(a, b, width, (x) => tolerance * (1 + Math.abs(x))).agreeing;
      for (let step = 1; step <= 4; step++) {
        await cpuEngine.advance(1, collector(cpu));
        await gpuEngine.advance(1, collector(gpu));
        for (let g = 0; g < sizes.length; g++) {
          const a = await cpuEngine.readAgents(g);
          const b = await gpuEngine.readAgents(g);
          const words = a.extra.length / sizes[g];
          expect(b.extra.length, `group ${g} extra words`).toBe(a.extra.length);
          // Few steps: f32 rounding and WGSL's normals (gaussian rewards; each V moves by the
          // reward itself, times criticLr) differ.
          expect(agree(a.prefs, b.prefs, 4, 1e-3), `group ${g} step ${step}`).toBeGreaterThanOrEqual(sizes[g] - 1);
          expect(agree(a.extra, b.extra, words, 2e-3), `group ${g} extra step ${step}`).toBeGreaterThanOrEqual(sizes[g] - 1);
        }
      }
      await cpuEngine.advance(60, collector(cpu));
      await gpuEngine.advance(60, collector(gpu));
      const cpuRows = byKey(cpu);
      for (const row of gpu) {
        const want = cpuRows.get(`${row.group}:${row.step}`) as Row;
        for (const name of ['mean_reward', 'mean_prob_optimal', 'mean_entropy', 'frac_optimal', 'mean_baseline']) {
          const s = cpuEngine.layout.index(name);
          expect(Math.abs(row.values[s] - want.values[s]), `${name} group ${row.group} step ${row.step}`)
            .toBeLessThanOrEqual(2e-3 * (1 + Math.abs(want.values[s])) + 60 / sizes[row.group]);
        }
        const exact = cpuEngine.layout.index('exact_grad_var');
        expect(Math.abs(row.values[exact] - want.values[exact]), `exact_grad_var group ${row.group} step ${row.step}`)
          .toBeLessThanOrEqual(0.05 * Math.abs(want.values[exact]) + 1e-6);
      }
      for (let g = 0; g < sizes.length; g++) {
        const a = await cpuEngine.readAgents(g);
        const b = await gpuEngine.readAgents(g);
        const words = a.extra.length / sizes[g];
        expect(agree(a.prefs, b.prefs, 4, 1e-2), `group ${g} after 64 steps`).toBeGreaterThanOrEqual(Math.floor(0.95 * sizes[g]));
        expect(agree(a.extra, b.extra, words, 1e-2), `group ${g} extra after 64 steps`).toBeGreaterThanOrEqual(Math.floor(0.95 * sizes[g]));
      }
      gpuEngine.dispose();
    });
  });

  it('gaussian policies beside a softmax group: per-step mu and log sigma, and statistics, as on the CPU', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const sizes = [70, 65, 40, 33];
      const cfg = config({ arms: 3, env: 'gaussian', noise: 0.5, lr: 0.02, agents: 70, policy: 'gaussian' }, [
        { agents: 70, baseline: 'average' },
        { agents: 65, env: 'fixed', means: [1.5, 0, 0], baseline: 'critic', criticLr: 0.2, offset: 1, scale: 2 },
        { agents: 40, baseline: 'none', initialStd: 2, noise: 0 },
        { agents: 33, policy: 'softmax', baseline: 'ema', lr: 0.3 },
      ]);
      const context = await testGpu();
      const cpuEngine = new CpuEngine(cfg);
      const gpuEngine = await GpuEngine.create(cfg, context);
      expect(gpuEngine.plan.gaussianStep).toBe(true);
      const cpu: Row[] = [];
      const gpu: Row[] = [];
      for (let step = 1; step <= 4; step++) {
        await cpuEngine.advance(1, collector(cpu));
        await gpuEngine.advance(1, collector(gpu));
        for (let g = 0; g < sizes.length; g++) {
          const a = await cpuEngine.readAgents(g);
          const b = await gpuEngine.readAgents(g);
          // Few steps: f32 rounding and WGSL's exp, log and normals differ (the action's normal by
          // up to ~3e-3, which moves x by sigma times that).
          expect(prefsAgreement(a.prefs, b.prefs, 3, (theta) => 1e-3 * (1 + Math.abs(theta))).agreeing, `group ${g} step ${step}`)
            .toBeGreaterThanOrEqual(sizes[g] - 1);
        }
      }
      await cpuEngine.advance(60, collector(cpu));
      await gpuEngine.advance(60, collector(gpu));
      const cpuRows = byKey(cpu);
      for (const row of gpu) {
        const want = cpuRows.get(`${row.group}:${row.step}`) as Row;
        for (const name of ['mean_reward', 'mean_expected_reward', 'mean_regret', 'mean_entropy', 'mean_action_error', 'mean_action_std', 'mean_baseline']) {
          const s = cpuEngine.layout.index(name);
          expect(Math.abs(row.values[s] - want.values[s]), `${name} group ${row.group} step ${row.step}`)
            .toBeLessThanOrEqual(2e-3 * (1 + Math.abs(want.values[s])));
        }
        for (const name of ['exact_grad_var', 'grad_var']) {
          const s = cpuEngine.layout.index(name);
          expect(Math.abs(row.values[s] - want.values[s]), `${name} group ${row.group} step ${row.step}`)
            .toBeLessThanOrEqual(0.02 * Math.abs(want.values[s]) + 1e-6);
        }
        // An agent whose mu - x* sits at a bin edge may fall in the neighbouring bin: each such
        // agent moves one cumulative count by one.
        let cpuBelow = 0;
        let gpuBelow = 0;
        let moved = 0;
        for (let bin = 0; bin < want.histogram.length; bin++) {
          cpuBelow += want.histogram[bin];
          gpuBelow += row.histogram[bin];
          moved += Math.abs(cpuBelow - gpuBelow);
        }
        expect(gpuBelow, `histogram total group ${row.group} step ${row.step}`).toBe(cpuBelow);
        expect(moved, `histogram group ${row.group} step ${row.step}`).toBeLessThanOrEqual(2);
      }
      for (let g = 0; g < sizes.length; g++) {
        const a = await cpuEngine.readAgents(g);
        const b = await gpuEngine.readAgents(g);
        expect(prefsAgreement(a.prefs, b.prefs, 3).agreeing, `group ${g} after 64 steps`).toBeGreaterThanOrEqual(Math.floor(0.97 * sizes[g]));
      }
      gpuEngine.dispose();
    });
  });

  it('stats windows over uneven advance calls give the same rows as one call, and the CPU engine\'s', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const cfg = config({ arms: 4, agents: 500, window: 7, baseline: 'average-inclusive' });
      const { cpu, gpu } = await runBoth(cfg, [5, 13, 1, 23, 7]);
      expect(gpu.map((r) => r.step)).toEqual([7, 14, 21, 28, 35, 42, 49]);
      expect(cpu.map((r) => r.step)).toEqual(gpu.map((r) => r.step));
      const single: Row[] = [];
      const once = await GpuEngine.create(cfg, await testGpu());
      await once.advance(49, collector(single));
      once.dispose();
      for (let r = 0; r < cpu.length; r++) {
        // Same device, same paths: only the grouping of f32 sums differs between the two runs.
        expectSameRow(gpu[r], single[r], `row ${r}`);
        // Against the CPU: rare split paths (see above) move a row's means by about
        // (split agents / N) * the spread of the values: 1e-2 * (1 + |x|) holds that.
        for (let s = 0; s < cpu[r].values.length; s++) {
          const x = cpu[r].values[s];
          expect(Math.abs(x - gpu[r].values[s]), `stat ${s} row ${r}`).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(x)));
        }
        let moved = 0;
        for (let b = 0; b < kHistogramBins; b++) moved += Math.abs(gpu[r].histogram[b] - cpu[r].histogram[b]);
        expect(moved).toBeLessThanOrEqual(0.02 * 500);
      }
    });
  });

  it('live parameter changes apply from the next step, and the inspector replays them', async () => {
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const cfg = config({ arms: 5, agents: 300 });
      const context = await testGpu();
      const cpu = new CpuEngine(cfg);
      const gpu = await GpuEngine.create(cfg, context);
      for (const engine of [cpu, gpu] as Engine[]) {
        await engine.advance(10, collector([]));
        engine.setGroupParams(0, { lr: 0.8, baseline: 'ema', baselineRate: 0.3, offset: 3 });
        await engine.advance(10, collector([]));
      }
      const a = await cpu.readAgents(0);
      const b = await gpu.readAgents(0);
      expect(prefsAgreement(a.prefs, b.prefs, 5).agreeing).toBeGreaterThanOrEqual(297);
      const trajectory = await gpu.trajectory(0, 17);
      expect(trajectory.steps).toBe(20);
      const replayed = trajectory.prefs.subarray(19 * 5, 20 * 5);
      expect(prefsAgreement(replayed, b.prefs.subarray(17 * 5, 18 * 5), 5).agreeing).toBe(1);
      gpu.dispose();
    });
  });

  it('reports a diverged group with its step instead of recording NaN', async () => {
    // No valid config overflows f32 within 1e7 steps (|step| <= lr * |R| / T <= 1e11), so the
    // test corrupts one agent's state to exercise the detection path.
    const { device } = await testGpu();
    await withErrorScopes(device, async () => {
      const cfg = config({ arms: 3, agents: 100 }, [{}, { lr: 0.5 }]);
      const gpu = await GpuEngine.create(cfg, await testGpu());
      const rows: Row[] = [];
      const diverged: number[] = [];
      await gpu.advance(10, collector(rows, diverged));
      const states = await gpu.readAgents(1);
      states.prefs[42 * 3 + 1] = Number.NaN;
      gpu.writeAgents(1, states);
      await gpu.advance(10, collector(rows, diverged));
      expect(diverged).toEqual([1]);
      expect(gpu.divergedAt(1)).toBe(11);
      expect(gpu.divergedAt(0)).toBe(0);
      expect(rows.filter((r) => r.group === 0).length).toBe(20);
      expect(rows.filter((r) => r.group === 1).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const row of rows) for (const v of row.values) expect(Number.isFinite(v)).toBe(true);
      await gpu.advance(5, collector(rows, diverged));
      expect(diverged).toEqual([1]);
      gpu.dispose();
    });
  });

  it('refuses a population too large for the device, saying how many fit', async () => {
    const context = await testGpu();
    const cfg = config({ arms: 64, agents: 16_777_216 });
    const attempt = GpuEngine.create(cfg, context);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/agents: .*at most \d+ agents/);
  });

  it('a destroyed device gives a clear error, not zeros; a new engine then runs', async () => {
    const context = await openNodeGpu({ allowSoftware: true });
    const cfg = config({ arms: 3, agents: 100 });
    const engine = await GpuEngine.create(cfg, context);
    await engine.advance(5, collector([]));
    context.device.destroy();
    await expect(engine.advance(5, collector([]))).rejects.toThrow(/lost|destroyed/i);

    const fresh = await openNodeGpu({ allowSoftware: true });
    const next = await GpuEngine.create(cfg, fresh);
    const rows: Row[] = [];
    await next.advance(5, collector(rows));
    expect(rows.length).toBe(5);
    expect(rows[4].values[next.layout.index('mean_prob_0')]).toBeGreaterThan(0);
    next.dispose();
  });
});

describe('statistics reduction: subgroups and the workgroup fallback', () => {
  // The kernel reduces with subgroup operations where the device has them, else through
  // workgroup memory. Same device, same random numbers: the agents follow the same paths, and
  // the rows differ only in the order of f32 additions (1e-5 relative, as for uneven calls).
  it.each([
    ['10 arms, window 1', { arms: 10, agents: 300, window: 1 }, [12]],
    ['64 arms (no unrolling), window 3', { arms: 64, agents: 130, window: 3 }, [4, 5]],
    ['3 arms, two groups, window 7 over uneven calls', { arms: 3, agents: 200, window: 7, baseline: 'ema' as const }, [5, 13, 3]],
  ])('%s: the same rows', async (_name, params, chunks) => {
    const context = await testGpu();
    // This suite's machines (SwiftShader, and GPUs with Vulkan 1.1) have subgroups: without them
    // the comparison below would compare the fallback with itself.
    expect(context.subgroups, 'the test device offers the subgroups feature').toBe(true);
    await withErrorScopes(context.device, async () => {
      const cfg = config(params, [{}, { agents: 70, lr: 0.3 }]);
      const viaSubgroups = await GpuEngine.create(cfg, context, { subgroups: true });
      const viaWorkgroup = await GpuEngine.create(cfg, context, { subgroups: false });
      expect(viaSubgroups.reduction).toBe('subgroups');
      expect(viaWorkgroup.reduction).toBe('workgroup');
      const a: Row[] = [];
      const b: Row[] = [];
      for (const steps of chunks) {
        await viaSubgroups.advance(steps, collector(a));
        await viaWorkgroup.advance(steps, collector(b));
      }
      expect(a.length).toBeGreaterThan(0);
      expect(a.map((r) => `${r.group}:${r.step}`)).toEqual(b.map((r) => `${r.group}:${r.step}`));
      for (let r = 0; r < a.length; r++) expectSameRow(a[r], b[r], `row ${r}`);
      viaSubgroups.dispose();
      viaWorkgroup.dispose();
    });
  });
});

describe('finalize: serial and parallel passes', () => {
  it('combine the partial records into the same rows', async () => {
    const context = await testGpu();
    await withErrorScopes(context.device, async () => {
      // 2 groups, 1,100 + 70 agents: 18 + 2 workgroups, up to 16 records each (SwiftShader): the
      // first group's 288 records cross the serial pass's block of 256, and the parallel pass's
      // first-pass blocks: 9 whole blocks of 32, or 14 of 20 and a partial one.
      const cfg = config({ arms: 5, agents: 1100, window: 3, baseline: 'average-inclusive' }, [{}, { agents: 70, lr: 0.4 }]);
      const serial = await GpuEngine.create(cfg, context, { finalize: 'serial' });
      const parallels = await Promise.all([32, 20].map((finalizeBlockRecords) => GpuEngine.create(cfg, context, { finalize: 'parallel', finalizeBlockRecords })));
      expect([serial.finalize, ...parallels.map((e) => e.finalize)]).toEqual(['serial', 'parallel', 'parallel']);
      const a: Row[] = [];
      const bs: Row[][] = parallels.map(() => []);
      for (const steps of [4, 11]) {
        await serial.advance(steps, collector(a));
        for (const [i, engine] of parallels.entries()) await engine.advance(steps, collector(bs[i]));
      }
      expect(a.length).toBe(2 * 5);
      for (const b of bs) {
        expect(a.map((r) => `${r.group}:${r.step}`)).toEqual(b.map((r) => `${r.group}:${r.step}`));
        // The same records merged in another order: f32 rounding only.
        for (let r = 0; r < a.length; r++) expectSameRow(b[r], a[r], `row ${r}`);
      }
      serial.dispose();
      for (const engine of parallels) engine.dispose();
    });
  });
});

describe('statistics reduction: fallback when subgroup records do not fit', () => {
  it('takes the workgroup reduction when a row of per-subgroup records exceeds the budget, with the same rows', async () => {
    const context = await testGpu();
    await withErrorScopes(context.device, async () => {
      const cfg = config({ arms: 10, agents: 640, window: 2 });
      // A row of subgroup records: 10 workgroups x (64 / smallest subgroup) records x
      // recordLength(10) stats x 4 bytes; one byte less than that forces the workgroup records.
      const subgroupRowBytes = 10 * (64 / context.subgroupMinSize) * recordLength(10) * 4;
      expect(context.subgroupMinSize, 'subgroups smaller than the workgroup').toBeLessThan(64);
      const tight = await GpuEngine.create(cfg, context, { partialsBudgetBytes: subgroupRowBytes - 1 });
      const roomy = await GpuEngine.create(cfg, context);
      expect(tight.reduction).toBe('workgroup');
      expect(roomy.reduction).toBe('subgroups');
      const exactlyOneRow = await GpuEngine.create(cfg, context, { partialsBudgetBytes: subgroupRowBytes });
      expect(exactlyOneRow.reduction).toBe('subgroups');
      exactlyOneRow.dispose();
      const a: Row[] = [];
      const b: Row[] = [];
      await tight.advance(9, collector(a));
      await roomy.advance(9, collector(b));
      expect(a.length).toBe(4);
      for (let r = 0; r < a.length; r++) expectSameRow(a[r], b[r], `row ${r}`);
      tight.dispose();
      roomy.dispose();
    });
  });
});

describe("windowStats 'last'", () => {
  it("rows are the one-step rows of each window's last step, over uneven calls, and the CPU engine's", async () => {
    const context = await testGpu();
    await withErrorScopes(context.device, async () => {
      const W = 5;
      const params = { arms: 10, agents: 300, lr: 0.2, baseline: 'average' as const, env: 'gaussian' as const };
      const groups = [{}, { agents: 70, lr: 0.5, baseline: 'ema' as const }];
      const perStep = await GpuEngine.create(config({ ...params, window: 1 }, groups), context);
      const cfg = config({ ...params, window: W, windowStats: 'last' }, groups);
      const lastOnly = await GpuEngine.create(cfg, context);
      const cpu = new CpuEngine(cfg);
      const single: Row[] = [];
      const sampled: Row[] = [];
      const cpuRows: Row[] = [];
      await perStep.advance(30, collector(single));
      for (const steps of [3, 9, 1, 17]) {
        await lastOnly.advance(steps, collector(sampled));
        await cpu.advance(steps, collector(cpuRows));
      }
      const keys = (rows: Row[]) => rows.map((r) => `${r.group}:${r.step}`).sort();
      expect(keys(sampled)).toEqual(keys(cpuRows));
      expect(sampled.length).toBe(2 * (30 / W));
      const singleAt = byKey(single);
      const cpuAt = byKey(cpuRows);
      for (const row of sampled) {
        expect(row.step % W).toBe(0);
        // Same device, same paths: the same numbers up to the order of f32 additions.
        expectSameRow(row, singleAt.get(`${row.group}:${row.step}`) as Row, `step ${row.step}`);
        // Against the CPU: the split-path tolerance of the uneven-calls test above.
        const reference = cpuAt.get(`${row.group}:${row.step}`) as Row;
        for (let s = 0; s < row.values.length; s++) {
          expect(Math.abs(row.values[s] - reference.values[s]), `cpu stat ${s} step ${row.step}`).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(reference.values[s])));
        }
      }
      perStep.dispose();
      lastOnly.dispose();
    });
  });
});

describe('rowEvery: rows only where someone reads them', () => {
  it('gives the rows at multiples of rowEvery windows, as the engine that measures every step, and the same agents', async () => {
    const context = await testGpu();
    await withErrorScopes(context.device, async () => {
      const groups = [{}, { agents: 70, lr: 0.5, baseline: 'none' as const }];
      for (const [window, windowStats] of [[1, 'mean'], [3, 'last']] as const) {
        const cfg = config({ arms: 4, agents: 300, lr: 0.2, baseline: 'average', env: 'gaussian', window, windowStats }, groups);
        const every = await GpuEngine.create(cfg, context);
        const sparse = await GpuEngine.create(cfg, context);
        const cpu = new CpuEngine(cfg);
        const all: Row[] = [];
        const some: Row[] = [];
        const cpuSome: Row[] = [];
        await every.advance(300, collector(all));
        // 256-step dispatches leave unmeasured stretches split; rowEvery changes between calls, and
        // a window is measured by the rowEvery of the call in which it began.
        for (const [steps, rowEvery] of [[1, 1], [12, 4], [287, 64]] as const) {
          await sparse.advance(steps, collector(some), rowEvery);
          await cpu.advance(steps, collector(cpuSome), rowEvery);
        }
        const keys = (rows: Row[]) => rows.map((r) => `${r.group}:${r.step}`).sort();
        expect(keys(some)).toEqual(keys(cpuSome));
        const steps = [...new Set(some.map((r) => r.step))].sort((a, b) => a - b);
        expect(steps, `window ${window}`).toEqual(window === 1 ? [1, 4, 8, 12, 64, 128, 192, 256] : [3, 12, 192]);
        const allAt = byKey(all);
        for (const row of some) expectSameRow(row, allAt.get(`${row.group}:${row.step}`) as Row, `window ${window} step ${row.step}`);
        for (const g of [0, 1]) expect((await sparse.readAgents(g)).prefs).toEqual((await every.readAgents(g)).prefs);
        every.dispose();
        sparse.dispose();
      }
    });
  });
});

describe('timing: GPU time per pass', () => {
  it('sums positive step and finalize pass times, counts steps and rows, and leaves the rows as they were', async () => {
    const context = await testGpu();
    expect(context.timestamps, 'timestamp-query on the test adapter').toBe(true);
    await withErrorScopes(context.device, async () => {
      const cfg = config({ arms: 4, agents: 300, window: 5 });
      const plain = await GpuEngine.create(cfg, context);
      // maxRowsPerDispatch 2: 23 steps make 3 pieces, the last without a finalize pass.
      const timed = await GpuEngine.create(cfg, context, { timing: true, maxRowsPerDispatch: 2 });
      const a: Row[] = [];
      const b: Row[] = [];
      await plain.advance(23, collector(a));
      await timed.advance(23, collector(b));
      expect(b.map((r) => r.step)).toEqual([5, 10, 15, 20]);
      expect(b.map((r) => Array.from(r.values))).toEqual(a.map((r) => Array.from(r.values)));
      const t = timed.timing;
      expect([t.steps, t.rows]).toEqual([23, 4]);
      expect(t.stepNs).toBeGreaterThan(0);
      expect(t.finalizeNs).toBeGreaterThan(0);
      // The span holds every pass of a submit, and the gaps between them.
      expect(t.spanNs).toBeGreaterThanOrEqual(t.stepNs + t.finalizeNs);
      expect(plain.timing.stepNs).toBe(0);
      // 70 one-step pieces: two submits (64 uniform slots each), sharing the query set in turn.
      const naive = await GpuEngine.create(cfg, context, { timing: true, stats: false, maxStepsPerDispatch: 1 });
      await naive.advance(70, { record() {} });
      expect([naive.timing.steps, naive.timing.rows, naive.timing.finalizeNs]).toEqual([70, 0, 0]);
      expect(naive.timing.stepNs).toBeGreaterThan(0);
      plain.dispose();
      timed.dispose();
      naive.dispose();
    });
  });
});

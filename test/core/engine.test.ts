import { describe, it, expect } from 'vitest';
import { type ExperimentConfig, configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { philox4x32, uniformFromU32 } from '../../src/core/philox.ts';
import { ConfigError, kBaselineModes, kEnvKinds } from '../../src/core/schema.ts';
import { kHistogramBins, kScalarStats } from '../../src/core/stats.ts';
import { type RecordedRow, RecordingSink, f32Bits, softmaxF64 } from './helpers.ts';

function run(config: ExperimentConfig, chunks: number[]): { engine: CpuEngine; sink: RecordingSink } {
  const engine = new CpuEngine(config);
  const sink = new RecordingSink();
  for (const steps of chunks) engine.advanceSync(steps, sink);
  return { engine, sink };
}

function expectAllFinite(rows: RecordedRow[]) {
  for (const row of rows) {
    for (let i = 0; i < row.values.length; i++) {
      if (!Number.isFinite(row.values[i])) throw new Error(`row at step ${row.step}: column ${i} is ${row.values[i]}`);
    }
  }
}

describe('the lesson mini-challenge: two arms, rewards 0 and 1, lr 0.1, average baseline, 300 steps', () => {
  const kAgents = 20_000;
  const kSteps = 300;
  const challenge = (seed: number) =>
    configFromObject({
      arms: 2, env: 'fixed', means: [0, 1], noise: 0, lr: 0.1, temperature: 1,
      baseline: 'average', baselineInit: 0, agents: kAgents, steps: kSteps, seed,
    });

  /**
   * The same algorithm written plainly in f64, per agent: theta in f64, pi = softmax(theta),
   * a = 0 if u < pi_0 else 1 with u the same Philox uniform the engine draws, R = a (means 0, 1),
   * b = R at step 1 (baselineStart first-reward: no update) then the mean of the earlier rewards,
   * theta_j += lr (R - b) (1[j = a] - pi_j).
   * Returns P(Right) = pi_1 after the last step for each agent.
   */
  function referenceF64(seed: number): Float64Array {
    const out = new Float64Array(kAgents);
    const words = new Uint32Array(4);
    for (let i = 0; i < kAgents; i++) {
      let t0 = 0, t1 = 0, mean = 0;
      for (let t = 1; t <= kSteps; t++) {
        const p1 = 1 / (1 + Math.exp(t0 - t1));
        philox4x32(t, 0, 0, 0, seed, i, words);
        const a = uniformFromU32(words[0]) < 1 - p1 ? 0 : 1;
        const R = a;
        const b = t === 1 ? R : mean;
        t0 += 0.1 * (R - b) * ((a === 0 ? 1 : 0) - (1 - p1));
        t1 += 0.1 * (R - b) * ((a === 1 ? 1 : 0) - p1);
        mean += (R - mean) / t;
      }
      out[i] = 1 / (1 + Math.exp(t0 - t1));
    }
    return out;
  }

  function meanAndSe(values: ArrayLike<number>) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i];
    const mean = sum / values.length;
    let ss = 0;
    for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
    const sd = Math.sqrt(ss / (values.length - 1));
    return { mean, sd, se: sd / Math.sqrt(values.length) };
  }

  it('ends with the agents almost always picking Right, as the f64 reference does', async () => {
    const { engine, sink } = run(challenge(1), [kSteps]);
    const rows = sink.ofGroup(0);
    expect(rows.length).toBe(kSteps);
    const last = rows[kSteps - 1];
    expect(last.step).toBe(kSteps);
    const layout = engine.layout;
    const meanRight = last.values[layout.index('mean_prob_1')];

    // The per-agent spread of P(Right), from the agents' final preferences.
    const { prefs } = await engine.readAgents(0);
    const perAgent = new Float64Array(kAgents);
    for (let i = 0; i < kAgents; i++) perAgent[i] = softmaxF64([prefs[2 * i], prefs[2 * i + 1]])[1];
    const engineStats = meanAndSe(perAgent);
    // The row's mean is the same average of f32 probabilities (to f32 rounding, ~1e-7).
    expect(Math.abs(engineStats.mean - meanRight)).toBeLessThan(1e-6);

    // "Almost always pick Right": the mean P(Right) is above 0.95 by at least 4 standard errors
    // across agents (SE = sd / sqrt(N); with noise-free rewards sd is ~0.005, so SE ~ 4e-5).
    expect(meanRight - 4 * engineStats.se).toBeGreaterThan(0.95);
    // And the actions at step 300 agree: the fraction of Right picks is above 0.95 by 4 binomial
    // SEs, sqrt(p (1 - p) / N) <= 0.0035.
    const fracRight = last.values[layout.index('frac_optimal')];
    expect(fracRight - 4 * Math.sqrt((fracRight * (1 - fracRight)) / kAgents)).toBeGreaterThan(0.95);
    // Step 1's baseline is its own reward (baselineStart first-reward): no agent moves. From step 2
    // on the policy moves towards Right.
    expect(rows[0].values[layout.index('mean_prob_1')]).toBe(0.5);
    expect(rows[1].values[layout.index('mean_prob_1')]).toBeGreaterThan(0.5);
    expect(rows[1].values[layout.index('mean_prob_1')]).toBeLessThan(0.55);

    // Against an independent f64 implementation, with the same random numbers (seed 1) and with
    // different ones (seed 2). The difference of two means has SE sqrt(se1^2 + se2^2) when the
    // runs are independent (seed 2); with shared random numbers the runs are positively
    // correlated, so the same bound is conservative. Allow 4 SE.
    for (const seed of [1, 2]) {
      const referenceAgents = referenceF64(seed);
      const reference = meanAndSe(referenceAgents);
      const se = Math.sqrt(engineStats.se ** 2 + reference.se ** 2);
      expect(Math.abs(meanRight - reference.mean)).toBeLessThan(4 * se);
      if (seed === 1) {
        // Same random numbers: agent by agent, f32 and f64 take the same actions unless a uniform
        // falls within the f32 rounding (~1e-7) of pi_0, about 300 * 1e-7 = 3e-5 per agent, under
        // one agent in 20000 expected. Those agents follow other paths; the rest agree to f32
        // rounding accumulated over 300 updates (observed < 1e-7; allow 1e-6).
        let differing = 0;
        for (let i = 0; i < kAgents; i++) if (Math.abs(referenceAgents[i] - perAgent[i]) > 1e-6) differing++;
        expect(differing).toBeLessThanOrEqual(10);
      }
    }
  });
});

describe('CpuEngine determinism and common random numbers', () => {
  const small = (seed: number) =>
    configFromObject({
      arms: 3, agents: 300, steps: 80, seed, env: 'gaussian', noise: 1, lr: 0.3,
      groups: [{ baseline: 'none' }, { baseline: 'average' }, { baseline: 'ema', baselineRate: 0.3 }],
    });

  it('the same config gives identical rows; another seed gives different ones', () => {
    const a = run(small(11), [80]).sink.rows;
    const b = run(small(11), [80]).sink.rows;
    const c = run(small(12), [80]).sink.rows;
    expect(a.length).toBe(3 * 80);
    expect(b).toEqual(a);
    // Row by row, the seed changes the very first statistics of every group.
    for (let r = 0; r < 3; r++) {
      expect(c[r].group).toBe(a[r].group);
      expect(c[r].values[kScalarStats.indexOf('mean_reward')]).not.toBe(a[r].values[kScalarStats.indexOf('mean_reward')]);
    }
  });

  it('groups that differ only in the baseline share each agent\'s first action and reward', async () => {
    const config = small(5);
    config.params.baselineStart = 'init';
    config.params.baselineInit = 0.5; // so that the baselines differ at step 1 too (0 vs 0.5)
    const { engine } = run(config, [1]);
    // In the engine itself: from prefs 0 one update moves the chosen arm by coef (1 - 1/3) and
    // the others by -coef / 3, so the chosen arm is the one that moved most (coef != 0 here:
    // continuous rewards minus a baseline).
    const states = await Promise.all([0, 1, 2].map((g) => engine.readAgents(g)));
    const chosen = (prefs: Float32Array, i: number) => {
      const moves = [0, 1, 2].map((j) => Math.abs(prefs[i * 3 + j]));
      return moves.indexOf(Math.max(...moves));
    };
    let differentUpdates = 0;
    for (let i = 0; i < 300; i++) {
      const a = chosen(states[0].prefs, i);
      expect(chosen(states[1].prefs, i)).toBe(a);
      expect(chosen(states[2].prefs, i)).toBe(a);
      if (states[0].prefs[i * 3 + a] !== states[1].prefs[i * 3 + a]) differentUpdates++;
    }
    expect(differentUpdates).toBe(300); // the baselines did differ
    engine.advanceSync(29, new RecordingSink());
    let laterDifferences = 0;
    for (const agent of [0, 1, 2, 7, 50, 123, 299]) {
      const trajectories = await Promise.all([0, 1, 2].map((g) => engine.trajectory(g, agent)));
      for (const t of trajectories.slice(1)) {
        expect(t.actions[0]).toBe(trajectories[0].actions[0]);
        expect(t.rewards[0]).toBe(trajectories[0].rewards[0]);
        // Same policy before step 1 (all preferences start at 0).
        expect(Array.from(t.probs.subarray(0, 3))).toEqual(Array.from(trajectories[0].probs.subarray(0, 3)));
        // The baselines differ, so the preferences after step 1 differ.
        if (f32Bits(t.prefs).some((bits, i) => bits !== f32Bits(trajectories[0].prefs)[i])) laterDifferences++;
      }
    }
    expect(laterDifferences).toBe(7 * 2);
  });
});

describe('trajectory replay', () => {
  it('ends where the engine state is, bit for bit, across live changes, windows and chunks', async () => {
    const config = configFromObject({
      arms: 3, agents: 50, steps: 400, seed: 21, window: 4, env: 'gaussian', noise: 0.7, lr: 0.2,
      groups: [{ baseline: 'average' }, { baseline: 'none', temperature: 2 }],
    });
    const engine = new CpuEngine(config);
    const sink = new RecordingSink();
    const agents = [0, 17, 49];
    const expectReplayMatches = async (label: string) => {
      for (const g of [0, 1]) {
        const state = await engine.readAgents(g);
        for (const i of agents) {
          const t = await engine.trajectory(g, i);
          expect(t.steps).toBe(engine.stepsDone);
          const last = t.prefs.subarray((t.steps - 1) * 3, t.steps * 3);
          expect(Array.from(f32Bits(last)), `${label}, group ${g}, agent ${i}`).toEqual(
            Array.from(f32Bits(state.prefs.subarray(i * 3, (i + 1) * 3))),
          );
        }
      }
    };
    engine.advanceSync(37, sink); // mid-window (37 = 9 * 4 + 1)
    await expectReplayMatches('after 37 steps');
    engine.setGroupParams(0, { lr: 0.6, temperature: 0.5 });
    engine.advanceSync(300, sink); // crosses the engine's 256-step chunk
    await expectReplayMatches('after an lr and temperature change');
    engine.setGroupParams(1, { baseline: 'ema', offset: 2, means: [], spread: 3 });
    engine.setGroupParams(0, { lr: 0.05 });
    engine.advanceSync(23, sink);
    await expectReplayMatches('after a baseline, offset and spread change');
    expect(engine.stepsDone).toBe(360);
    expect(sink.ofGroup(0).length).toBe(90);
  });

  it('replayed rewards, probabilities and gradients average to the recorded rows', async () => {
    const k = 3;
    const n = 30;
    const steps = 40;
    const config = configFromObject({ arms: k, agents: n, steps, seed: 8, env: 'gaussian', baseline: 'ema' });
    const { engine, sink } = run(config, [steps]);
    const trajectories = await Promise.all(Array.from({ length: n }, (_, i) => engine.trajectory(0, i)));
    const layout = engine.layout;
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
    for (const row of sink.rows) {
      const t = row.step - 1;
      const avg = (f: (tr: (typeof trajectories)[number]) => number) => trajectories.reduce((acc, tr) => acc + f(tr), 0) / n;
      close(row.values[layout.index('mean_reward')], avg((tr) => tr.rewards[t]));
      close(row.values[layout.index('mean_baseline')], avg((tr) => tr.baselines[t]));
      close(row.values[layout.index('mean_advantage')], avg((tr) => tr.advantages[t]));
      for (let j = 0; j < k; j++) {
        const meanGradient = avg((tr) => tr.gradients[t * k + j]);
        // The engine keeps gradients in f64; the trajectory stores them as f32 (relative 6e-8).
        expect(Math.abs(row.values[layout.gradMeanOffset + j] - meanGradient)).toBeLessThan(1e-6);
        const variance = avg((tr) => (tr.gradients[t * k + j] - meanGradient) ** 2);
        expect(Math.abs(row.values[layout.gradVarOffset + j] - variance)).toBeLessThan(1e-6 * Math.max(1, variance));
        // Policy columns describe the policy after the update = the policy before the next step.
        if (t + 1 < steps) close(row.values[layout.probOffset + j], avg((tr) => tr.probs[(t + 1) * k + j]));
      }
    }
  });
});

describe('stats window', () => {
  const config = (window: number) =>
    configFromObject({
      arms: 3, agents: 200, steps: 600, seed: 4, window, env: 'gaussian', noise: 0.5, lr: 0.3, baseline: 'ema',
    });
  const W = 6;
  // Mean columns: a W-row is the plain average of the W one-step rows (same agents each step).
  const meanColumns = (arms: number) => [
    ...kScalarStats.filter((name) => name.startsWith('mean_') || name === 'frac_optimal' || name === 'exact_grad_var' || name === 'grad_sqnorm_mean'),
    ...Array.from({ length: arms }, (_, j) => `mean_prob_${j}`),
    ...Array.from({ length: arms }, (_, j) => `grad_mean_${j}`),
  ];

  it('advancing in odd chunks gives the same rows as one call', async () => {
    const whole = run(config(W), [600]);
    const pieces = run(config(W), [7, 13, 250, 1, 5, 324]);
    expect(whole.sink.rows.length).toBe(100);
    expect(pieces.sink.rows.length).toBe(100);
    // The agents are bit-identical whatever the chunking.
    expect(f32Bits((await pieces.engine.readAgents(0)).prefs)).toEqual(f32Bits((await whole.engine.readAgents(0)).prefs));
    // Rows: same steps, same histograms; the f64 sums of a row that straddles a call are added in
    // another order (the earlier part of every agent first), so values agree to rounding
    // (each sum has N W = 1200 terms: relative error well below 1e-12), not bit for bit.
    pieces.sink.rows.forEach((row, r) => {
      const want = whole.sink.rows[r];
      expect(row.step).toBe(want.step);
      expect(row.histogram).toEqual(want.histogram);
      row.values.forEach((v, i) => {
        expect(Math.abs(v - want.values[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.values[i])));
      });
    });
    // A partial window is held back until it completes.
    const partial = run(config(W), [605]);
    expect(partial.sink.rows.length).toBe(100);
    partial.engine.advanceSync(1, partial.sink);
    expect(partial.sink.rows.length).toBe(101);
    expect(partial.sink.rows[100].step).toBe(606);
  });

  it('each W-step row averages the W one-step rows; its histogram is the last step\'s', () => {
    const perStep = run(config(1), [600]);
    const windowed = run(config(W), [600]).sink.rows;
    const layout = perStep.engine.layout;
    const single = perStep.sink.rows;
    expect(single.length).toBe(600);
    expect(windowed.length).toBe(600 / W);
    const near = (got: number, want: number, scale: number) =>
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(want), scale) + 1e-15);
    windowed.forEach((row, r) => {
      expect(row.step).toBe((r + 1) * W);
      const steps = single.slice(r * W, (r + 1) * W);
      for (const name of meanColumns(3)) {
        const i = layout.index(name);
        const want = steps.reduce((acc, s) => acc + s.values[i], 0) / W;
        near(row.values[i], want, 1e-3);
      }
      // Variances pool the N W agent-steps: E_t[var_t + mean_t^2] - (E_t mean_t)^2.
      for (let j = 0; j < 3; j++) {
        const m = layout.gradMeanOffset + j;
        const v = layout.gradVarOffset + j;
        const mean = steps.reduce((acc, s) => acc + s.values[m], 0) / W;
        const second = steps.reduce((acc, s) => acc + s.values[v] + s.values[m] ** 2, 0) / W;
        near(row.values[v], second - mean * mean, second);
      }
      const lastStep = steps[W - 1];
      expect(lastStep.step).toBe(row.step);
      expect(Array.from(row.histogram)).toEqual(Array.from(lastStep.histogram));
      for (const q of ['prob_optimal_p10', 'prob_optimal_p50', 'prob_optimal_p90']) {
        expect(row.values[layout.index(q)]).toBe(lastStep.values[layout.index(q)]);
      }
      expect(row.histogram.reduce((a, b) => a + b, 0)).toBe(200);
    });
  });

  it("windowStats 'last': each row is the one-step row of its window's last step, exactly, over odd chunks", () => {
    const lastOnly = (window: number) =>
      configFromObject({
        arms: 3, agents: 200, steps: 600, seed: 4, window, windowStats: 'last', env: 'gaussian', noise: 0.5, lr: 0.3, baseline: 'ema',
      });
    const perStep = run(config(1), [600]).sink.rows;
    const sampled = run(lastOnly(W), [7, 13, 250, 1, 5, 324]).sink.rows;
    expect(sampled.length).toBe(600 / W);
    sampled.forEach((row, r) => {
      const want = perStep[(r + 1) * W - 1];
      expect(row.step).toBe(want.step);
      // The same agents' same step, summed in the same order: equal bit for bit.
      expect(Array.from(row.values)).toEqual(Array.from(want.values));
      expect(Array.from(row.histogram)).toEqual(Array.from(want.histogram));
    });
    // 'last' with a window of 1 is 'mean' with a window of 1.
    const one = run(lastOnly(1), [600]).sink.rows;
    expect(one.map((r) => Array.from(r.values))).toEqual(perStep.map((r) => Array.from(r.values)));
  });
});

describe('rowEvery: rows only where someone reads them', () => {
  const config = (window: number, windowStats: 'mean' | 'last' = 'mean') =>
    configFromObject({
      arms: 3, agents: 200, steps: 600, seed: 4, window, windowStats, env: 'gaussian', noise: 0.5, lr: 0.3, baseline: 'ema',
      groups: [{}, { baseline: 'none', lr: 0.5 }],
    });

  for (const [window, windowStats] of [[1, 'mean'], [3, 'mean'], [3, 'last']] as const) {
    it(`window ${window} ${windowStats}: the rows at multiples of rowEvery windows, exactly; the agents as without`, async () => {
      const every = run(config(window, windowStats), [120]);
      const engine = new CpuEngine(config(window, windowStats));
      const sink = new RecordingSink();
      // rowEvery changes between calls (and a call ends inside a window, which keeps its rowEvery).
      const calls: [number, number][] = [[1, 1], [10, 4], [7, 4], [20, 8], [50, 2], [32, 1]];
      let done = 0;
      const expected: string[] = [];
      for (const [steps, rowEvery] of calls) {
        // A window is measured by the rowEvery of the call in which it began.
        for (let step = done + 1; step <= done + steps; step++) {
          const end = step - 1 + window;
          if ((step - 1) % window === 0 && end % (window * rowEvery) === 0) for (const g of [0, 1]) expected.push(`${g}:${end}`);
        }
        engine.advanceSync(steps, sink, rowEvery);
        done += steps;
      }
      expect(done).toBe(120);
      expect(sink.rows.map((r) => `${r.group}:${r.step}`).sort()).toEqual(expected.sort());
      expect(sink.rows.length).toBeGreaterThan(4);
      expect(sink.rows.length).toBeLessThan(every.sink.rows.length);
      const all = new Map(every.sink.rows.map((r) => [`${r.group}:${r.step}`, r]));
      for (const row of sink.rows) {
        const want = all.get(`${row.group}:${row.step}`) as RecordedRow;
        expect(Array.from(row.histogram)).toEqual(Array.from(want.histogram));
        if (window === 1 || windowStats === 'last') {
          // One step's sums in the same order: equal bit for bit.
          expect(Array.from(row.values), `step ${row.step}`).toEqual(Array.from(want.values));
        } else {
          // A window that straddles two calls adds its f64 sums in another order (see 'advancing
          // in odd chunks'): N W = 600 terms, relative rounding far below 1e-12.
          row.values.forEach((v, i) => expect(Math.abs(v - want.values[i]), `step ${row.step} column ${i}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.values[i]))));
        }
      }
      for (const g of [0, 1]) expect(f32Bits((await engine.readAgents(g)).prefs)).toEqual(f32Bits((await every.engine.readAgents(g)).prefs));
    });
  }

  it('refuses a rowEvery that is not a whole number from 1', () => {
    const engine = new CpuEngine(config(1));
    expect(() => engine.advanceSync(1, new RecordingSink(), 0)).toThrow(/rowEvery/);
    expect(() => engine.advanceSync(1, new RecordingSink(), 1.5)).toThrow(/rowEvery/);
  });
});

describe('numerical health', () => {
  it('an absurd config records only finite values and reports any divergence consistently', () => {
    // lr / T = 1e4 and rewards near 1e4 +- 1e3: each step moves a preference by at most
    // lr / T |R - b|, ~1e8, so preferences grow linearly and cannot reach the f32 limit (3.4e38)
    // within the schema's ranges; extreme but finite values must still give finite statistics.
    const config = configFromObject({
      arms: 4, agents: 200, steps: 300, seed: 3, lr: 100, scale: 1000, offset: 1e4, temperature: 0.01,
      env: 'gaussian', spread: 1, noise: 1,
      groups: kBaselineModes.map((baseline) => ({ baseline })),
    });
    const { engine, sink } = run(config, [300]);
    expectAllFinite(sink.rows);
    for (let g = 0; g < kBaselineModes.length; g++) {
      const rows = sink.ofGroup(g);
      const reports = sink.divergences.filter((d) => d.group === g);
      expect(reports.length).toBeLessThanOrEqual(1);
      if (reports.length === 1) {
        expect(engine.divergedAt(g)).toBe(reports[0].step);
        expect(rows.every((r) => r.step < reports[0].step)).toBe(true);
      } else {
        expect(engine.divergedAt(g)).toBe(0);
        expect(rows.length).toBe(300);
      }
    }
  });

  it('a non-finite preference stops its group at that step, with a report and no NaN rows', async () => {
    const config = configFromObject({
      arms: 3, agents: 40, steps: 100, seed: 2, window: 4, groups: [{ baseline: 'average' }, { baseline: 'none' }],
    });
    const engine = new CpuEngine(config);
    const sink = new RecordingSink();
    engine.advanceSync(10, sink);
    expect(sink.rows.length).toBe(2 * 2); // rows end at steps 4 and 8
    const state = await engine.readAgents(0);
    state.prefs[7 * 3 + 1] = Number.POSITIVE_INFINITY;
    engine.writeAgents(0, state);
    engine.advanceSync(20, sink);
    expect(sink.divergences.map((d) => [d.group, d.step])).toEqual([[0, 11]]);
    expect(sink.divergences[0].message).toContain('step 11');
    expect(engine.divergedAt(0)).toBe(11);
    expect(engine.divergedAt(1)).toBe(0);
    // Group 0's row ending at step 12 covers the bad step: not recorded; group 1 goes on.
    expect(sink.ofGroup(0).map((r) => r.step)).toEqual([4, 8]);
    expect(sink.ofGroup(1).map((r) => r.step)).toEqual([4, 8, 12, 16, 20, 24, 28]);
    engine.advanceSync(8, sink);
    expect(sink.divergences.length).toBe(1);
    expect(sink.ofGroup(0).length).toBe(2);
    expectAllFinite(sink.rows);
  });

  for (const env of kEnvKinds) {
    it(`records finite rows for every baseline mode on ${env} bandits`, () => {
      for (const arms of [2, 5]) {
        const means = env === 'bernoulli' ? Array.from({ length: arms }, (_, j) => (j + 0.5) / arms) : [];
        const config = configFromObject({
          arms, agents: 64, steps: 30, seed: 6, window: 3, env, means,
          groups: kBaselineModes.map((baseline) => ({ baseline })),
        });
        const { sink } = run(config, [30]);
        expect(sink.rows.length).toBe(kBaselineModes.length * 10);
        expect(sink.divergences).toEqual([]);
        expectAllFinite(sink.rows);
        for (const row of sink.rows) expect(row.histogram.reduce((a, b) => a + b, 0)).toBe(64);
        for (const row of sink.rows) expect(row.histogram.length).toBe(kHistogramBins);
      }
    });
  }

  it('rejects live changes to parameters that are not live, or out of range', () => {
    const engine = new CpuEngine(configFromObject({ arms: 2, agents: 4 }));
    expect(() => engine.setGroupParams(0, { arms: 3 } as never)).toThrow(ConfigError);
    try {
      engine.setGroupParams(0, { lr: 1000 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).errors[0].field).toBe('lr');
      expect((error as ConfigError).errors[0].message).toContain('[0.0001, 100]');
    }
    expect(() => engine.setGroupParams(3, { lr: 0.2 })).toThrow(ConfigError);
  });
});

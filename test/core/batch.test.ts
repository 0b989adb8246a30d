/**
 * Mini-batches, normalised advantages and the entropy bonus (`batch`, `advantageNorm`,
 * `entropy`): one update worked by hand, and each one's claim as a statistical test.
 */
import { describe, expect, it } from 'vitest';
import { AgentStepper, stepConstants } from '../../src/core/agent.ts';
import { type ExperimentConfig, configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { normalFromU32Pair, philox4x32, uniformFromU32 } from '../../src/core/philox.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { kPurpose } from '../../src/core/shared-constants.ts';
import { RecordingSink, softmaxF64 } from './helpers.ts';

const f32 = Math.fround;

function params(overrides: Partial<Params>): Params {
  return { ...defaultParams(), ...overrides };
}

/** Agent `agent`'s first step from `prefs` with the stepper, as the engine takes it. */
function firstStep(p: Params, agent: number, prefs: number[]) {
  const stepper = new AgentStepper(p.arms, p.seed);
  const c = stepConstants(p);
  const theta = Float32Array.from(prefs);
  stepper.loadArms(c, null, 0);
  stepper.policy(theta, 0, c);
  const probs = Array.from(stepper.probs);
  stepper.takeStep(theta, 0, new Float32Array(1), new Float32Array(1), new Float32Array(0), 0, agent, 1, c);
  return { stepper, theta, probs };
}

/** The action sample `index` of step 1 draws for `agent` from `probs` (inverse CDF on u). */
function drawnAction(p: Params, agent: number, index: number, probs: number[]): number {
  const words = new Uint32Array(4);
  philox4x32(1, kPurpose.step, index, 0, p.seed, agent, words);
  const u = uniformFromU32(words[0]);
  let cumulative = 0;
  for (let j = 0; j < probs.length; j++) {
    cumulative += probs[j];
    if (u < cumulative) return j;
  }
  return probs.length - 1;
}

describe('one batched update by hand', () => {
  const base: Partial<Params> = { arms: 2, env: 'fixed', means: [0, 1], noise: 0, baseline: 'none', lr: 0.5, seed: 11 };

  it('batch 4, no baseline: the mean of the four samples\' REINFORCE steps; sample i draws with counter index i', () => {
    const p = params({ ...base, batch: 4 });
    for (let agent = 0; agent < 20; agent++) {
      const { theta, probs } = firstStep(p, agent, [0.3, -0.2]);
      const pi = softmaxF64([0.3, -0.2]);
      const expected = [0.3, -0.2];
      for (let i = 0; i < 4; i++) {
        const a = drawnAction(p, agent, i, probs);
        const reward = a; // means 0 and 1, no noise
        for (let j = 0; j < 2; j++) expected[j] += (0.5 / 4) * reward * ((j === a ? 1 : 0) - pi[j]);
      }
      // f32 arithmetic against the f64 closed form: a few ulps of theta.
      expect(Math.abs(theta[0] - expected[0])).toBeLessThan(1e-6);
      expect(Math.abs(theta[1] - expected[1])).toBeLessThan(1e-6);
    }
  });

  it('batch 1 is the plain step, bit for bit (the sums and the division by 1 change nothing)', () => {
    const one = firstStep(params({ ...base, batch: 1, noise: 0.3 }), 5, [0.1, 0.2]);
    const words = new Uint32Array(4);
    philox4x32(1, kPurpose.step, 0, 0, 11, 5, words);
    const a = one.stepper.action;
    const coefficient = f32(f32(0.5) * f32(one.stepper.reward));
    const want = [0.1, 0.2].map((t, j) => f32(f32(t) + f32(coefficient * f32((j === a ? 1 : 0) - one.probs[j]))));
    expect(Array.from(one.theta)).toEqual(want);
  });

  it("advantageNorm batch: the batch's advantages are shifted and scaled to mean 0, sd 1 before the update", () => {
    const p = params({ ...base, batch: 6, noise: 0.5, advantageNorm: 'batch', lr: 1 });
    const { theta, probs } = firstStep(p, 3, [0, 0]);
    // The six draws by hand: action from word 0, reward = mean + 0.5 * normal(words 1, 2); no
    // baseline, so A = R.
    const words = new Uint32Array(4);
    const actions: number[] = [];
    const rewards: number[] = [];
    for (let i = 0; i < 6; i++) {
      philox4x32(1, kPurpose.step, i, 0, p.seed, 3, words);
      const a = drawnAction(p, 3, i, probs);
      actions.push(a);
      rewards.push(a + 0.5 * normalFromU32Pair(words[1], words[2]));
    }
    const mean = rewards.reduce((s, r) => s + r, 0) / 6;
    const sd = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / 6);
    const normalised = rewards.map((r) => (r - mean) / (sd + 1e-8));
    const expected = [0, 0];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 2; j++) expected[j] += (1 / 6) * normalised[i] * ((j === actions[i] ? 1 : 0) - 0.5);
    // f32 sums of six terms of size ~1 against f64: 1e-5 is a few hundred ulps of slack.
    expect(Math.abs(theta[0] - expected[0])).toBeLessThan(1e-5);
    expect(Math.abs(theta[1] - expected[1])).toBeLessThan(1e-5);
    expect(Math.abs(theta[0])).toBeGreaterThan(1e-3); // an update did happen
  });

  it('the entropy bonus adds lr * beta * dH/dtheta, which equals a finite difference of H', () => {
    const prefs = [1.2, -0.4, 0.3];
    const p = params({ arms: 3, env: 'fixed', means: [0, 0, 0], noise: 0, baseline: 'none', lr: 0.2, entropy: 0.5, temperature: 0.8 });
    // Rewards of 0 and no baseline: the REINFORCE part is 0, so the step is the bonus alone.
    const { theta } = firstStep(p, 0, prefs);
    const entropy = (x: number[]) => -softmaxF64(x, 0.8).reduce((s, q) => s + q * Math.log(q), 0);
    for (let j = 0; j < 3; j++) {
      const h = 1e-5;
      const up = [...prefs];
      const down = [...prefs];
      up[j] += h;
      down[j] -= h;
      const derivative = (entropy(up) - entropy(down)) / (2 * h);
      expect(Math.abs((theta[j] - prefs[j]) - 0.2 * 0.5 * derivative), `arm ${j}`).toBeLessThan(2e-6);
    }
  });
});

/** Runs `config` on the CPU engine; the last row of each group by column, and all rows. */
async function finalRows(config: ExperimentConfig) {
  const engine = new CpuEngine(config);
  const sink = new RecordingSink();
  await engine.advance(config.params.steps, sink);
  const last: Float64Array[] = [];
  for (const row of sink.rows) last[row.group] = row.values;
  const column = (name: string) => engine.layout.index(name);
  return { last: last.map((values) => (name: string) => values[column(name)]), rows: sink.rows, column };
}

describe('what each one does (statistical, fixed seeds)', () => {
  it('a batch of B divides the gradient estimate\'s variance by B', async () => {
    const config = configFromObject({
      arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 1, baseline: 'none', lr: 0.001, agents: 4000, steps: 1, seed: 2,
      groups: [{ batch: 1 }, { batch: 8 }],
    });
    const { last } = await finalRows(config);
    // Exact variance at step 1 (uniform policy, no baseline): exactly 1/B of the single sample's.
    expect(last[1]('exact_grad_var')).toBeCloseTo(last[0]('exact_grad_var') / 8, 10);
    // Across agents (same policy for all: the sampled variance of the estimate). The sample
    // variance of n = 4000 draws has relative SE about sqrt(2 / n) = 2.2% (a little more with the
    // estimate's excess kurtosis); allow 4 of them, 10%, on each side.
    const ratio = last[0]('grad_var') / last[1]('grad_var');
    expect(ratio).toBeGreaterThan(8 * 0.8);
    expect(ratio).toBeLessThan(8 * 1.25);
  });

  it('advantageNorm batch: rewards x1, x1000 and x0.0001 learn alike; without it they do not', async () => {
    const agents = 1000;
    const config = configFromObject({
      arms: 2, env: 'fixed', means: [0, 1], noise: 0.5, lr: 0.1, baseline: 'average', batch: 8, agents, steps: 300, seed: 4,
      groups: [
        { scale: 1, advantageNorm: 'batch' }, { scale: 1000, advantageNorm: 'batch' }, { scale: 0.0001, advantageNorm: 'batch' },
        { scale: 0.0001 },
      ],
    });
    const { rows, column } = await finalRows(config);
    const curve = (g: number) => rows.filter((r) => r.group === g).map((r) => r.values[column('mean_prob_optimal')]);
    // The same draws scaled: normalised advantages differ only by f32 rounding (and the 1e-8), so
    // the curves agree far within the SE of a mean over 1000 agents (<= 0.5 / sqrt(1000) = 0.016).
    for (const g of [1, 2]) {
      const diff = Math.max(...curve(0).map((v, i) => Math.abs(v - curve(g)[i])));
      expect(diff, `group ${g}`).toBeLessThan(0.016);
    }
    expect(curve(0)[299]).toBeGreaterThan(0.95); // ~0.99: x1 learns
    expect(Math.abs(curve(3)[299] - 0.5)).toBeLessThan(0.016); // x0.0001 without it: stuck at 1/2
  });

  it('advantageNorm running (batch 1): rewards x1, x1000 and x0.0001 learn alike; without it they do not', async () => {
    const agents = 1000;
    const config = configFromObject({
      arms: 2, env: 'fixed', means: [0, 1], noise: 0.5, lr: 0.1, baseline: 'average', agents, steps: 300, seed: 4,
      groups: [
        { scale: 1, advantageNorm: 'running' }, { scale: 1000, advantageNorm: 'running' }, { scale: 0.0001, advantageNorm: 'running' },
        { scale: 0.0001 }, { scale: 1000 },
      ],
    });
    const { rows, column } = await finalRows(config);
    const curve = (g: number) => rows.filter((r) => r.group === g).map((r) => r.values[column('mean_prob_optimal')]);
    // The same draws scaled: A / RMS(A) differs only by f32 rounding (and the 1e-8), so the curves
    // agree far within the SE of a mean over 1000 agents (<= 0.5 / sqrt(1000) = 0.016).
    for (const g of [1, 2]) {
      const diff = Math.max(...curve(0).map((v, i) => Math.abs(v - curve(g)[i])));
      expect(diff, `group ${g}`).toBeLessThan(0.016);
    }
    expect(curve(0)[299]).toBeGreaterThan(0.95); // ~0.99: x1 learns
    expect(Math.abs(curve(3)[299] - 0.5)).toBeLessThan(0.016); // x0.0001 without it: stuck at 1/2
    // x1000 without it: lr 0.1 times advantages of hundreds sends many agents to a wall at once,
    // some of them onto the worse arm (~0.72 here), far from x1's ~0.99.
    expect(curve(0)[299] - curve(4)[299]).toBeGreaterThan(4 * 0.016 * Math.SQRT2);
  });

  it('advantageNorm running, by hand: each update uses A / (sqrt(m) + 1e-8), m the mean of A^2 so far', () => {
    const config = configFromObject({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 1, lr: 0.1, baseline: 'ema', advantageNorm: 'running', agents: 1 });
    const t = replayAgent(config, [], 0, 0, 40);
    let m = 0;
    for (let s = 0; s < 40; s++) {
      const a = t.advantages[s];
      m += (a * a - m) / (s + 1);
      const normalised = a / (Math.sqrt(m) + 1e-8);
      for (let j = 0; j < 3; j++) {
        const want = normalised * ((j === t.actions[s] ? 1 : 0) - t.probs[s * 3 + j]);
        expect(Math.abs(t.gradients[s * 3 + j] - want), `step ${s + 1} arm ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(want)));
      }
      // The state holds m (f32), after the critic's V (extraLayout).
      expect(Math.abs(t.extras[s * 2 + 1] - m)).toBeLessThan(1e-5 * (1 + m));
    }
  });

  it('the entropy bonus holds off the high-learning-rate collapse (lr 1, beta 0.1)', async () => {
    const config = configFromObject({
      arms: 5, env: 'fixed', means: [], noise: 0.5, lr: 1, baseline: 'average', agents: 2000, steps: 500, seed: 1,
      groups: [{ entropy: 0 }, { entropy: 0.1 }],
    });
    const { last } = await finalRows(config);
    // Without it a tenth or more of the agents end stuck on a worse arm (p10 ~0.06); with it
    // nobody is (p10 ~0.9), and the policy keeps some entropy (~0.14 against ~0.03).
    expect(last[0]('prob_optimal_p10')).toBeLessThan(0.3);
    expect(last[1]('prob_optimal_p10')).toBeGreaterThan(0.8);
    expect(last[1]('mean_entropy')).toBeGreaterThan(2 * last[0]('mean_entropy'));
  });
});

describe('PPO: epochs and clipping', () => {
  it('one epoch is the batch step; with clipping, a batch\'s ratios pi_new(a) / pi_old(a) stay near [1 - clip, 1 + clip]', () => {
    // Eight passes over batches of 16 (normalised advantages, lr 0.1), 300 agents x 20 steps, the
    // same draws with clip 0.2 and without: the ratio of every drawn action after the step.
    const ratios = (clip: number) => {
      const p = params({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 1, lr: 0.1, baseline: 'average', batch: 16, advantageNorm: 'batch', epochs: 8, clip });
      const c = stepConstants(p);
      const out: number[] = [];
      for (let agent = 0; agent < 300; agent++) {
        const stepper = new AgentStepper(3, p.seed);
        stepper.loadArms(c, null, 0);
        const prefs = new Float32Array(3);
        const rewardMean = new Float32Array(1);
        const ema = new Float32Array(1);
        for (let step = 1; step <= 20; step++) {
          stepper.policy(prefs, 0, c);
          const before = Array.from(stepper.probs);
          stepper.takeStep(prefs, 0, rewardMean, ema, new Float32Array(0), 0, agent, step, c, false);
          const after = softmaxF64(Array.from(prefs));
          for (let i = 0; i < 16; i++) {
            const words = new Uint32Array(4);
            philox4x32(step, kPurpose.step, i, 0, p.seed, agent, words);
            const u = uniformFromU32(words[0]);
            let a = 0;
            for (let cumulative = before[0]; a < 2 && u >= cumulative; cumulative += before[++a]);
            out.push(after[a] / before[a]);
          }
        }
      }
      return out;
    };
    const clipped = ratios(0.2);
    const free = ratios(0);
    const outside = (rs: number[]) => rs.filter((r) => Math.abs(r - 1) > 0.25).length / rs.length;
    const worst = (rs: number[]) => Math.max(...rs.map((r) => Math.abs(r - 1)));
    // Deterministic (fixed seed): seen 0.1% outside 1 -+ 0.25 and at most 0.27 with the clip,
    // 1.9% and 0.39 without; a pass can overshoot the bound by its own step, hence the slack.
    expect(outside(clipped)).toBeLessThan(0.005);
    expect(worst(clipped)).toBeLessThan(0.3);
    expect(outside(free)).toBeGreaterThan(0.01);
    expect(worst(free)).toBeGreaterThan(0.35);

    // epochs 1 (clip or not) is exactly the batch step.
    const one = firstStep(params({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 1, batch: 4, epochs: 1, clip: 0.2 }), 2, [0.1, 0, -0.1]);
    const plainBatch = firstStep(params({ arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 1, batch: 4 }), 2, [0.1, 0, -0.1]);
    expect(Array.from(one.theta)).toEqual(Array.from(plainBatch.theta));
  });

  it('clip_fraction: the share of samples a later pass left out, 0 without clipping or with one pass', async () => {
    const config = configFromObject({
      arms: 5, env: 'fixed', means: [], noise: 1, lr: 1, baseline: 'average', batch: 16, advantageNorm: 'batch', agents: 300, steps: 40, seed: 3,
      groups: [{ epochs: 8, clip: 0.2 }, { epochs: 8 }, { epochs: 1, clip: 0.2 }],
    });
    const { rows, column } = await finalRows(config);
    const fractions = (g: number) => rows.filter((r) => r.group === g).map((r) => r.values[column('clip_fraction')]);
    // Step 1's passes start at a uniform policy and lr 1 moves it far: the bound is hit at once.
    expect(Math.max(...fractions(0))).toBeGreaterThan(0.2);
    expect(fractions(0).every((f) => f >= 0 && f <= 1)).toBe(true);
    expect(fractions(1).every((f) => f === 0)).toBe(true);
    expect(fractions(2).every((f) => f === 0)).toBe(true);
  });
});

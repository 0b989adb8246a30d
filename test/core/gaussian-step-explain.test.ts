/**
 * The inspector's explanation of a gaussian agent's step: the draw x = mu + sigma z, the reward
 * bump around x*, and the two REINFORCE updates, by hand on a noise-free fixed bandit, and bit
 * for bit against the replay (tampered trajectories caught).
 */
import { describe, expect, it } from 'vitest';
import { armNormal } from '../../src/core/agent.ts';
import { type ExperimentConfig, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import type { Trajectory } from '../../src/core/engine.ts';
import { replayAgent } from '../../src/core/replay.ts';
import { type Params, defaultParams } from '../../src/core/schema.ts';
import { compareAgentState, explainAgentStep, explainGaussianStep, explainStep, explainValueStep } from '../../src/core/step-explain.ts';
import { RecordingSink } from './helpers.ts';

const f32 = Math.fround;

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultParams(), ...params }, groups });
}

// x* = 1.5 for every agent, R = 0.5 + 2 exp(-(x - 1.5)^2 / 2) exactly (no noise).
const fixed = config({
  policy: 'gaussian', arms: 2, env: 'fixed', means: [1.5, 0], noise: 0, offset: 0.5, scale: 2, lr: 0.05,
  baseline: 'average', baselineStart: 'first-reward', initialStd: 0.8, agents: 3, seed: 5,
});

function cloneTrajectory(t: Trajectory): Trajectory {
  return structuredClone(t);
}

describe('one gaussian step by hand (x* = 1.5, offset 0.5, scale 2, lr 0.05, no noise)', () => {
  const trajectory = replayAgent(fixed, [], 0, 1, 3);

  it('step 1: mu = 0 and sigma = 0.8 draw x = 0.8 z; the bump pays R; the first reward is its own baseline, so nothing moves', () => {
    const e = explainGaussianStep(trajectory, 1);
    expect(e.kind).toBe('gaussian');
    expect(e.mean).toBe(0);
    expect(e.logSigma).toBe(f32(Math.log(f32(0.8))));
    expect(e.sigma).toBeCloseTo(0.8, 6);
    expect(e.action).toBeCloseTo(0.8 * e.z, 6);
    expect(e.action).toBe(trajectory.continuousActions[0]);
    expect(e.optimum).toBe(1.5);
    expect(e.gap).toBeCloseTo(e.action - 1.5, 6);
    expect(e.bump).toBeCloseTo(Math.exp(-((e.action - 1.5) ** 2) / 2), 6);
    expect(e.reward).toBeCloseTo(0.5 + 2 * Math.exp(-((e.action - 1.5) ** 2) / 2), 5);
    expect(e.noise).toBe(0);
    expect(e.bumpReward).toBe(e.reward);
    expect(e.baselineSource).toBe('first-reward');
    expect(e.baseline).toBe(e.reward);
    expect(e.advantage).toBe(0);
    expect([e.meanAfter, e.logSigmaAfter]).toEqual([e.mean, e.logSigma]);
    // The best this policy can expect is below the peak offset + scale = 2.5.
    expect(e.bestReward).toBe(2.5);
    expect(e.expectedReward).toBeGreaterThan(0.5);
    expect(e.expectedReward).toBeLessThan(2.5);
    expect(e.consistent).toEqual({ action: true, reward: true, prefs: true, critic: true });
  });

  it('step 2: b = R1, mu += 0.05 (R2 - R1) z / sigma, log sigma += 0.05 (R2 - R1) (z^2 - 1)', () => {
    const first = explainGaussianStep(trajectory, 1);
    const e = explainGaussianStep(trajectory, 2);
    expect(e.baselineSource).toBe('earlier-mean');
    expect(e.baseline).toBe(first.reward);
    const advantage = e.reward - first.reward;
    expect(e.advantage).toBeCloseTo(advantage, 6);
    expect(e.z).toBeCloseTo((e.action - e.mean) / e.sigma, 5);
    expect(e.meanScore).toBeCloseTo(e.z / e.sigma, 5);
    expect(e.spreadScore).toBeCloseTo(e.z * e.z - 1, 5);
    expect(e.meanAfter).toBeCloseTo(e.mean + 0.05 * advantage * (e.z / e.sigma), 6);
    expect(e.logSigmaAfter).toBeCloseTo(e.logSigma + 0.05 * advantage * (e.z * e.z - 1), 6);
    expect(e.sigmaAfter).toBeCloseTo(Math.exp(e.logSigmaAfter), 12);
    expect(e.gradient[0]).toBeCloseTo(advantage * e.z / e.sigma, 4);
    expect(e.gradient[1]).toBeCloseTo(advantage * (e.z * e.z - 1), 4);
    // mu moves toward x when the reward beat the baseline, away otherwise.
    if (advantage !== 0) expect(Math.sign(e.meanAfter - e.mean)).toBe(Math.sign(advantage * e.z));
    expect(e.consistent).toEqual({ action: true, reward: true, prefs: true, critic: true });
  });

  it('explainAgentStep dispatches a gaussian agent here, and the arm explainers refuse it', () => {
    expect(explainAgentStep(trajectory, 2).kind).toBe('gaussian');
    expect(() => explainStep(trajectory, 2)).toThrow(RangeError);
    expect(() => explainValueStep(trajectory, 2)).toThrow(RangeError);
    expect(() => explainGaussianStep(replayAgent(config({ agents: 2 }), [], 0, 0, 2), 1)).toThrow(RangeError);
    expect(() => explainGaussianStep(trajectory, 4)).toThrow(RangeError);
  });

  it('catches a trajectory that does not hold what the step computes', () => {
    const moved = cloneTrajectory(trajectory);
    moved.prefs[1 * 2] = f32(moved.prefs[1 * 2] + 1e-3);
    expect(explainGaussianStep(moved, 2).consistent.prefs).toBe(false);
    const other = cloneTrajectory(trajectory);
    other.continuousActions[1] = f32(other.continuousActions[1] + 1e-3);
    expect(explainGaussianStep(other, 2).consistent.action).toBe(false);
    const paid = cloneTrajectory(trajectory);
    paid.rewards[1] = f32(paid.rewards[1] + 1e-3);
    expect(explainGaussianStep(paid, 2).consistent.reward).toBe(false);
    const unused = cloneTrajectory(trajectory);
    unused.prefs[1] = 0; // log sigma after step 1 (unchanged by it: advantage 0)
    expect(explainGaussianStep(unused, 1).consistent.prefs).toBe(false);
  });
});

describe('explainGaussianStep against the replay', () => {
  it('noisy gaussian bandit, baselines average, ema, critic and none: every step reproduced bit for bit', () => {
    for (const baseline of ['average', 'ema', 'critic', 'none'] as const) {
      const cfg = config({
        policy: 'gaussian', arms: 2, env: 'gaussian', spread: 1, noise: 0.5, lr: 0.05, baseline, criticLr: 0.2, agents: 4, seed: 9,
      });
      for (let agent = 0; agent < 4; agent++) {
        const trajectory = replayAgent(cfg, [], 0, agent, 60);
        const words = new Uint32Array(4);
        const optimum = f32(armNormal(9, agent, 0, words));
        for (let step = 1; step <= 60; step++) {
          const e = explainGaussianStep(trajectory, step);
          expect(e.consistent, `${baseline}, agent ${agent}, step ${step}`).toEqual({ action: true, reward: true, prefs: true, critic: true });
          expect(e.optimum).toBe(optimum);
          expect(e.reward - e.bumpReward).toBeCloseTo(e.noise, 5);
          expect(Math.abs(e.noise)).toBeGreaterThan(0);
          if (baseline === 'critic') expect(e.baseline).toBe(e.critic?.before);
          if (baseline === 'none') expect(e.baseline).toBe(0);
        }
      }
    }
  });

  it('with live changes of lr, each step uses the lr then in effect', () => {
    const cfg = config({ policy: 'gaussian', arms: 2, env: 'gaussian', noise: 0.5, lr: 0.05, agents: 2, seed: 4 });
    const trajectory = replayAgent(cfg, [{ afterStep: 10, group: 0, patch: { lr: 0.5 } }], 0, 1, 20);
    expect(explainGaussianStep(trajectory, 10).lr).toBe(0.05);
    const e = explainGaussianStep(trajectory, 11);
    expect(e.lr).toBe(0.5);
    expect(e.consistent.prefs).toBe(true);
  });

  it('compareAgentState: the CPU engine holds mu, log sigma and V exactly as the replay ends', async () => {
    const cfg = config({ policy: 'gaussian', arms: 2, env: 'gaussian', noise: 0.5, lr: 0.05, baseline: 'critic', agents: 3, seed: 2 });
    const engine = new CpuEngine(cfg);
    await engine.advance(40, new RecordingSink());
    const trajectory = replayAgent(cfg, [], 0, 2, 40);
    const state = await engine.readAgent(0, 2);
    expect(compareAgentState(trajectory, state, 'cpu')).toMatchObject({ exact: true, within: true, maxDiff: 0 });
    const off = { ...state, prefs: Float32Array.from(state.prefs), extra: Float32Array.from(state.extra) };
    off.prefs[1] = f32(off.prefs[1] + 0.01);
    expect(compareAgentState(trajectory, off, 'cpu').within).toBe(false);
    const offV = { ...state, extra: Float32Array.from(state.extra) };
    offV.extra[0] = f32(offV.extra[0] + 0.01);
    expect(compareAgentState(trajectory, offV, 'gpu').exact).toBe(false);
  });
});

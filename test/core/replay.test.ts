import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { philox4x32, uniformFromU32 } from '../../src/core/philox.ts';
import { nearestAgent, probOptimalAfter, replayAgent } from '../../src/core/replay.ts';
import { RecordingSink, f32Bits, softmaxF64 } from './helpers.ts';

const config = configFromObject({
  arms: 4, agents: 30, steps: 300, seed: 5, env: 'gaussian', noise: 1, lr: 0.4, temperature: 1.5,
  groups: [{ baseline: 'average' }, { baseline: 'ema', baselineRate: 0.2 }],
});

function runEngine(): CpuEngine {
  const engine = new CpuEngine(config);
  const sink = new RecordingSink();
  engine.advanceSync(40, sink);
  engine.setGroupParams(1, { lr: 0.9, temperature: 0.5 });
  engine.setGroupParams(1, { offset: 2 }); // the same step: one phase
  engine.advanceSync(35, sink);
  return engine;
}

describe('replayAgent', () => {
  const engine = runEngine();

  it('keeps the uniform that drew each action (word 0 of the step\'s Philox call) and the baselines\' state', async () => {
    const trajectory = await engine.trajectory(1, 11);
    const words = new Uint32Array(4);
    for (let step = 1; step <= trajectory.steps; step++) {
      philox4x32(step, 0, 0, 0, 5, 11, words);
      expect(trajectory.uniforms[step - 1]).toBe(uniformFromU32(words[0]));
    }
    const state = await engine.readAgent(1, 11);
    expect(trajectory.rewardMeans[74]).toBe(state.rewardMean);
    expect(trajectory.emas[74]).toBe(state.ema);
  });

  it('records one phase per step at which live changes took effect', async () => {
    const [unchanged, changed] = await Promise.all([engine.trajectory(0, 3), engine.trajectory(1, 3)]);
    expect(unchanged.phases.map((p) => p.fromStep)).toEqual([1]);
    expect(changed.phases.map((p) => [p.fromStep, p.params.lr, p.params.temperature, p.params.offset])).toEqual([
      [1, 0.4, 1.5, 0],
      [41, 0.9, 0.5, 2],
    ]);
    // The offset moved every arm's expected reward by 2.
    for (let j = 0; j < 4; j++) expect(changed.phases[1].armMeans[j]).toBeCloseTo(changed.phases[0].armMeans[j] + 2, 5);
  });

  it('from a later step keeps only those steps, bit for bit the same', async () => {
    const whole = await engine.trajectory(1, 7);
    const tail = await engine.trajectory(1, 7, 50);
    expect(tail.firstStep).toBe(50);
    expect(tail.steps).toBe(75);
    expect(tail.rewards.length).toBe(26);
    expect(Array.from(f32Bits(tail.initialPrefs))).toEqual(Array.from(f32Bits(whole.prefs.subarray(48 * 4, 49 * 4))));
    expect(tail.initialRewardMean).toBe(whole.rewardMeans[48]);
    expect(tail.initialEma).toBe(whole.emas[48]);
    expect(Array.from(f32Bits(tail.prefs))).toEqual(Array.from(f32Bits(whole.prefs.subarray(49 * 4))));
    expect(Array.from(tail.uniforms)).toEqual(Array.from(whole.uniforms.subarray(49)));
    expect(Array.from(tail.actions)).toEqual(Array.from(whole.actions.subarray(49)));
    expect(tail.phases).toEqual(whole.phases);
  });

  it('readAgent is the agent\'s slice of readAgents', async () => {
    for (const g of [0, 1]) {
      const all = await engine.readAgents(g);
      for (const i of [0, 13, 29]) {
        const one = await engine.readAgent(g, i);
        expect(Array.from(one.prefs)).toEqual(Array.from(all.prefs.subarray(i * 4, (i + 1) * 4)));
        expect(one.rewardMean).toBe(all.rewardMean[i]);
        expect(one.ema).toBe(all.ema[i]);
      }
    }
    await expect(engine.readAgent(0, 30)).rejects.toThrow(/no agent 30/);
  });
});

describe('finding the agent nearest a pi(best) value', () => {
  const engine = runEngine();
  /** pi(best) of every agent now: the engine's preferences, the best arm and temperature of the replay's last phase. */
  async function probOptimalNow(group: number): Promise<number[]> {
    const { prefs } = await engine.readAgents(group);
    return Array.from({ length: 30 }, (_, i) => {
      const phase = replayAgent(config, engine.paramChanges, group, i, engine.stepsDone, engine.stepsDone).phases.at(-1);
      if (!phase) throw new Error('no phase');
      return softmaxF64(prefs.subarray(i * 4, (i + 1) * 4), phase.params.temperature)[phase.bestArm];
    });
  }

  it('probOptimalAfter replays pi(best) after the step (the heatmap\'s quantity)', async () => {
    for (const group of [0, 1]) {
      const want = await probOptimalNow(group);
      const got = probOptimalAfter(config, engine.paramChanges, group, engine.stepsDone, 0, 30);
      for (let i = 0; i < 30; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
    // Before any step every arm has 1 / k.
    expect(Array.from(probOptimalAfter(config, [], 0, 0, 0, 3))).toEqual([0.25, 0.25, 0.25]);
  });

  it('nearestAgent picks the closest (pausing between slices), or searches the first agents when the work is capped', async () => {
    const values = await probOptimalNow(1);
    let pauses = 0;
    for (const target of [0, 0.3, 0.5, 0.77, 1]) {
      const found = await nearestAgent(config, engine.paramChanges, 1, 75, target, { sliceAgentSteps: 750, pause: async () => { pauses++; } });
      const distances = values.map((v) => Math.abs(v - target));
      expect(found?.searched).toBe(30);
      expect(Math.abs((found?.probOptimal ?? -1) - target)).toBeCloseTo(Math.min(...distances), 5);
      expect(found?.agent).toBe(distances.indexOf(Math.min(...distances)));
    }
    expect(pauses).toBeGreaterThan(0);
    const capped = await nearestAgent(config, engine.paramChanges, 1, 75, 0.5, { maxAgentSteps: 750 });
    expect(capped?.searched).toBe(10);
    expect(capped?.agent).toBeLessThan(10);
    const aborted = new AbortController();
    aborted.abort();
    await expect(nearestAgent(config, [], 0, 75, 0.5, { signal: aborted.signal })).rejects.toThrow();
  });
});

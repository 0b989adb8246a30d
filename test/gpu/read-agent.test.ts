/**
 * readAgent on the GPU: one agent's k + 2 words copied out of the arm-major state planes of a
 * group placed after another (padded to whole workgroups), against the CPU engine and the replay.
 */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import type { StatsSink } from '../../src/core/stats.ts';
import { compareAgentState } from '../../src/core/step-explain.ts';
import { GpuEngine } from '../../src/gpu/gpu-engine.ts';
import { testGpu, withErrorScopes } from './harness.ts';

const sink: StatsSink = { record: () => {} };

async function both(config: ExperimentConfig, steps: number[]): Promise<{ cpu: CpuEngine; gpu: GpuEngine }> {
  const cpu = new CpuEngine(config);
  const gpu = await GpuEngine.create(config, await testGpu());
  for (const n of steps) {
    await cpu.advance(n, sink);
    await gpu.advance(n, sink);
  }
  return { cpu, gpu };
}

describe('GpuEngine.readAgent', () => {
  const cases: [string, ExperimentConfig][] = [
    // No reward noise: only exp and the division differ between CPU and GPU.
    ['3 arms, fixed means', configFromObject({
      arms: 3, env: 'fixed', means: [0, 0.5, 1], noise: 0, lr: 0.3, seed: 9, agents: 70,
      groups: [{ baseline: 'average' }, { baseline: 'ema', agents: 130, temperature: 0.7 }],
    })],
    // Gaussian arms and noise: Box-Muller's log and cos differ in the last bits too.
    ['10 arms, gaussian', configFromObject({
      arms: 10, env: 'gaussian', noise: 1, lr: 0.1, seed: 4, agents: 65,
      groups: [{ baseline: 'none' }, { baseline: 'average-inclusive', agents: 200 }],
    })],
  ];

  for (const [name, config] of cases) {
    it(`${name}: equals readAgents' slice exactly and the CPU engine to f32 tolerance, in both groups`, async () => {
      const { device } = await testGpu();
      await withErrorScopes(device, async () => {
        const { cpu, gpu } = await both(config, [37, 60]);
        gpu.setGroupParams(1, { lr: 0.6 });
        cpu.setGroupParams(1, { lr: 0.6 });
        await cpu.advance(20, sink);
        await gpu.advance(20, sink);
        const k = config.params.arms;
        let agreeing = 0;
        let checked = 0;
        let largest = 0;
        for (const g of [0, 1]) {
          const agents = config.groups[g].agents ?? config.params.agents;
          const all = await gpu.readAgents(g);
          for (const i of [0, 1, 63, 64, agents - 1]) {
            const one = await gpu.readAgent(g, i);
            expect(Array.from(one.prefs), `group ${g} agent ${i}`).toEqual(Array.from(all.prefs.subarray(i * k, (i + 1) * k)));
            expect(one.rewardMean).toBe(all.rewardMean[i]);
            expect(one.ema).toBe(all.ema[i]);
            const want = await cpu.readAgent(g, i);
            const comparison = compareAgentState(await cpu.trajectory(g, i), one, 'gpu');
            const close = Array.from(want.prefs).every((p, j) => Math.abs(p - one.prefs[j]) <= 1e-2 * (1 + Math.abs(p)));
            checked++;
            if (close && comparison.within) agreeing++;
            if (comparison.within) largest = Math.max(largest, comparison.maxDiff);
          }
        }
        console.log(`${name}: readAgent agrees with the CPU replay for ${agreeing}/${checked} agents (largest |diff| ${largest.toExponential(2)})`);
        // An agent may part ways where CPU and GPU round a near-tie differently (see engine.test.ts).
        expect(agreeing).toBeGreaterThanOrEqual(checked - 1);
        await expect(gpu.readAgent(0, config.params.agents)).rejects.toThrow(/no agent/);
        gpu.dispose();
      });
    });
  }
});

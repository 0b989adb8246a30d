import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig, type ExperimentConfig } from '../../src/core/config.ts';
import { ConfigError, type Params } from '../../src/core/schema.ts';
import { kWorkgroupSize, recordLength } from '../../src/core/shared-constants.ts';
import { type DeviceTraits, planGpuRun, planPieces } from '../../src/gpu/plan.ts';

// The planner is pure: device limits in, the engine's shape out. No device needed.

const kGpu: DeviceTraits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31, subgroups: true, subgroupMinSize: 32, software: false };
const kSwiftShader: DeviceTraits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28, subgroups: true, subgroupMinSize: 4, software: true };

function config(params: Partial<Params>, groups: Partial<Params>[] = [{}]): ExperimentConfig {
  return validateConfig({ params: { ...defaultConfig().params, ...params }, groups });
}

describe('planGpuRun', () => {
  it('places each group on whole workgroups, one after another', () => {
    const plan = planGpuRun(config({ arms: 3 }, [{ agents: 65 }, { agents: 64 }, { agents: 1 }]), kGpu, {});
    expect(plan.placements.map((p) => [p.firstWorkgroup, p.workgroups, p.agents])).toEqual([[0, 2, 65], [2, 1, 64], [3, 1, 1]]);
    expect(plan.workgroupCount).toBe(4);
    expect(plan.stateStride).toBe(4 * kWorkgroupSize);
    // k preferences, the reward mean, the ema and the critic's V.
    expect(plan.statePlanes).toBe(3 + 3);
    expect(plan.stateBytes).toBe(4 * kWorkgroupSize * (3 + 3) * 4);
    expect(plan.statCount).toBe(recordLength(3));
  });

  it('sizes the state for the group that keeps the most words, and compiles only the steps some group takes', () => {
    const plain = planGpuRun(config({ arms: 4 }), kGpu, {});
    expect(plain).toMatchObject({ statePlanes: 4 + 3, generalStep: false, valueStep: false, contextStep: false });
    // Epsilon-greedy: k pull counts; 3 contexts: 3 V, then 2 more contexts' 4 preferences.
    const mixed = planGpuRun(config({ arms: 4 }, [{ policy: 'epsilon-greedy' }, { contexts: 3 }, { batch: 2 }]), kGpu, {});
    expect(mixed).toMatchObject({ statePlanes: 4 + 2 + 3 + 2 * 4, generalStep: true, valueStep: true, contextStep: true });
    expect(planGpuRun(config({ arms: 4 }, [{ advantageNorm: 'running' }]), kGpu, {}).statePlanes).toBe(4 + 2 + 2);
  });

  it('writes one record per subgroup where the device has subgroups, else one per workgroup', () => {
    expect(planGpuRun(config({}), kGpu, {})).toMatchObject({ reduction: 'subgroups', recordsPerWorkgroup: kWorkgroupSize / 32 });
    expect(planGpuRun(config({}), kSwiftShader, {})).toMatchObject({ reduction: 'subgroups', recordsPerWorkgroup: kWorkgroupSize / 4 });
    expect(planGpuRun(config({}), { ...kGpu, subgroups: false }, {})).toMatchObject({ reduction: 'workgroup', recordsPerWorkgroup: 1 });
    expect(planGpuRun(config({}), kGpu, { subgroups: false })).toMatchObject({ reduction: 'workgroup', recordsPerWorkgroup: 1 });
  });

  it('falls back to workgroup records where a row of subgroup records exceeds the budget, and fits the rows per dispatch to it', () => {
    const c = config({ arms: 10, agents: 64_000 });
    const recordBytes = (records: number) => 1000 * records * recordLength(10) * 4;
    const tight = planGpuRun(c, kGpu, { partialsBudgetBytes: recordBytes(2) - 1 });
    expect(tight).toMatchObject({ reduction: 'workgroup', rowsPerDispatch: 1 });
    const threeRows = planGpuRun(c, kGpu, { partialsBudgetBytes: 3 * recordBytes(2) });
    expect(threeRows).toMatchObject({ reduction: 'subgroups', rowsPerDispatch: 3, recordBytes: recordBytes(2) });
  });

  it('combines rows serially on a CPU or where records are few, in parallel passes on a GPU with many', () => {
    expect(planGpuRun(config({ agents: 2000 }), kGpu, {}).finalize).toBe('serial');
    expect(planGpuRun(config({ agents: 100_000 }), kGpu, {}).finalize).toBe('parallel');
    expect(planGpuRun(config({ agents: 100_000 }), kSwiftShader, {}).finalize).toBe('serial');
    expect(planGpuRun(config({ agents: 2000 }), kGpu, { finalize: 'parallel' }).finalize).toBe('parallel');
  });

  it('refuses a population whose state exceeds a buffer, naming agents and the most that fit', () => {
    const small: DeviceTraits = { ...kGpu, maxStorageBufferBindingSize: 1 << 20 };
    let error: unknown = null;
    try {
      planGpuRun(config({ arms: 10, agents: 100_000 }), small, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors[0].field).toBe('agents');
    // 13 words an agent (10 preferences, reward mean, ema, V): floor(2^20 / 52 / 64) * 64.
    expect((error as ConfigError).errors[0].message).toMatch(/at most 20160 agents/);
  });
});

describe('planPieces', () => {
  it('ends a piece at every row slot change and never splits a window across rows', () => {
    // Window 7 from step 3: 4 steps finish the open window, then whole windows (at most 2 rows
    // a piece), then the start of the next window.
    const pieces = planPieces(3, 30, 7, 256, 2, true);
    expect(pieces).toEqual([
      { firstStep: 4, steps: 4, continuing: true, rows: 1, stats: true },
      { firstStep: 8, steps: 14, continuing: false, rows: 2, stats: true },
      { firstStep: 22, steps: 7, continuing: false, rows: 1, stats: true },
      { firstStep: 29, steps: 5, continuing: false, rows: 0, stats: true },
    ]);
    expect(pieces.reduce((sum, p) => sum + p.steps, 0)).toBe(30);
  });

  it('splits a window longer than a dispatch into continuing pieces', () => {
    expect(planPieces(0, 600, 600, 256, 16, true)).toEqual([
      { firstStep: 1, steps: 256, continuing: false, rows: 0, stats: true },
      { firstStep: 257, steps: 256, continuing: true, rows: 0, stats: true },
      { firstStep: 513, steps: 88, continuing: true, rows: 1, stats: true },
    ]);
  });

  it('measures only the windows that end at multiples of rowEvery windows', () => {
    // Window 2, a row every 3 windows (steps 6, 12, ...): from step 1, steps 1-4 unmeasured,
    // 5-6 measured (row at 6), 7-10 unmeasured, 11-12 measured, 13 unmeasured.
    expect(planPieces(0, 13, 2, 256, 16, true, 3)).toEqual([
      { firstStep: 1, steps: 4, continuing: false, rows: 0, stats: false },
      { firstStep: 5, steps: 2, continuing: false, rows: 1, stats: true },
      { firstStep: 7, steps: 4, continuing: false, rows: 0, stats: false },
      { firstStep: 11, steps: 2, continuing: false, rows: 1, stats: true },
      { firstStep: 13, steps: 1, continuing: false, rows: 0, stats: false },
    ]);
    // From inside a measured window (step 5 done): it continues, then the next stretch.
    expect(planPieces(5, 3, 2, 256, 16, true, 3)).toEqual([
      { firstStep: 6, steps: 1, continuing: true, rows: 1, stats: true },
      { firstStep: 7, steps: 2, continuing: false, rows: 0, stats: false },
    ]);
    // The window left open (step 5 done, window 2) is measured as it was when it began.
    expect(planPieces(5, 3, 2, 256, 16, true, 1, false).map((p) => [p.steps, p.stats])).toEqual([[1, false], [2, true]]);
    // Long unmeasured stretches still respect the steps per dispatch.
    expect(planPieces(0, 1000, 1, 256, 16, true, 1000).map((p) => [p.steps, p.stats])).toEqual([[256, false], [256, false], [256, false], [231, false], [1, true]]);
  });

  it('without statistics, only the steps per dispatch bound a piece', () => {
    expect(planPieces(5, 600, 7, 256, 2, false).map((p) => p.steps)).toEqual([256, 256, 88]);
  });
});

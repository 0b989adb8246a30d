import { describe, expect, it } from 'vitest';
import { agentSlices, SliceCombiner, sliceCount, sliceOfAgent } from '../../src/core/agent-slices.ts';
import { type ExperimentConfig, configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { LiveGroups } from '../../src/core/groups.ts';
import { RowBatch } from '../../src/core/row-batch.ts';
import { recordLength } from '../../src/core/shared-constants.ts';
import { type RecordedRow, RecordingSink } from './helpers.ts';

/** Runs `config` as `parts` engines on agent slices, advancing by `chunks`, combining as the worker engine does. */
async function runSliced(config: ExperimentConfig, parts: number, chunks: number[], edit?: (engines: CpuEngine[]) => Promise<void>): Promise<RecordingSink> {
  const agents = new LiveGroups(config).params.map((g) => g.agents);
  const engines = Array.from({ length: parts }, (_, part) => new CpuEngine(config, { slices: agentSlices(agents, parts, part) }));
  const combiner = new SliceCombiner(engines[0].layout, config.groups.length);
  const sink = new RecordingSink();
  for (const [i, steps] of chunks.entries()) {
    if (i === 1) await edit?.(engines);
    const batches = engines.map((engine) => {
      const batch = new RowBatch(recordLength(config.params.arms), Math.ceil(steps / config.params.window + 2) * config.groups.length);
      engine.advanceSumsSync(steps, batch);
      return batch.data;
    });
    combiner.combine(batches, sink);
  }
  return sink;
}

async function runOne(config: ExperimentConfig, chunks: number[], edit?: (engine: CpuEngine) => Promise<void>): Promise<RecordingSink> {
  const engine = new CpuEngine(config);
  const sink = new RecordingSink();
  for (const [i, steps] of chunks.entries()) {
    if (i === 1) await edit?.(engine);
    engine.advanceSync(steps, sink);
  }
  return sink;
}

function expectSameRows(actual: RecordedRow[], expected: RecordedRow[]): void {
  expect(actual.map((r) => [r.group, r.step])).toEqual(expected.map((r) => [r.group, r.step]));
  for (let r = 0; r < expected.length; r++) {
    expect(Array.from(actual[r].histogram)).toEqual(Array.from(expected[r].histogram));
    const a = actual[r].values;
    const e = expected[r].values;
    for (let c = 0; c < e.length; c++) {
      const scale = Math.max(Math.abs(e[c]), 1e-12);
      if (Math.abs(a[c] - e[c]) > 1e-9 * scale) throw new Error(`row ${r} (group ${expected[r].group}, step ${expected[r].step}) column ${c}: ${a[c]} vs ${e[c]}`);
    }
  }
}

describe('agent slices', () => {
  it('split the population evenly and find each agent', () => {
    expect(agentSlices([10, 3], 4, 0)).toEqual([{ first: 0, agents: 2 }, { first: 0, agents: 0 }]);
    expect(agentSlices([10, 3], 4, 3)).toEqual([{ first: 7, agents: 3 }, { first: 2, agents: 1 }]);
    for (let agent = 0; agent < 10; agent++) {
      const { part, local } = sliceOfAgent(10, 4, agent);
      expect(agentSlices([10], 4, part)[0].first + local).toBe(agent);
    }
    expect(sliceCount([1999, 500], 15)).toBe(1);
    expect(sliceCount([8000, 10], 15)).toBe(4);
    expect(sliceCount([80_000], 7)).toBe(7);
    expect(sliceCount([80_000], 0)).toBe(1);
  });

  for (const arms of [3, 10]) {
    for (const window of [1, 7]) {
      for (const windowStats of ['mean', 'last'] as const) {
        it(`combined record sums equal one engine's rows: k = ${arms}, window ${window}, ${windowStats}`, async () => {
          const config = configFromObject({
            arms, window, windowStats, agents: 151, steps: 300, seed: 5, env: 'gaussian', noise: 1, lr: 0.2,
            groups: [{ baseline: 'average' }, { baseline: 'none', batch: 4 }, { baseline: 'ema' }],
          });
          // 300 steps in uneven pieces: rows span advance calls and the engine's 256-step chunks.
          const chunks = [5, 150, 1, 144];
          const expected = (await runOne(config, chunks)).rows;
          expect(expected.length).toBe(3 * Math.floor(300 / window));
          for (const parts of [1, 3, 4]) expectSameRows((await runSliced(config, parts, chunks)).rows, expected);
        });
      }
    }
  }

  it('live changes and a divergence in one slice: the same rows and the same report as one engine', async () => {
    const config = configFromObject({ arms: 3, agents: 40, steps: 100, seed: 2, window: 4, groups: [{ baseline: 'average' }, { baseline: 'none' }] });
    const poison = async (engine: CpuEngine, local: number) => {
      const state = await engine.readAgents(0);
      state.prefs[local * 3 + 1] = Number.POSITIVE_INFINITY;
      engine.writeAgents(0, state);
    };
    const expected = await runOne(config, [10, 20, 30], async (engine) => {
      engine.setGroupParams(1, { lr: 0.5 });
      await poison(engine, 27);
    });
    const actual = await runSliced(config, 3, [10, 20, 30], async (engines) => {
      for (const engine of engines) engine.setGroupParams(1, { lr: 0.5 });
      const { part, local } = sliceOfAgent(40, 3, 27);
      await poison(engines[part], local);
    });
    expect(expected.divergences.map((d) => [d.group, d.step])).toEqual([[0, 11]]);
    expect(actual.divergences).toEqual(expected.divergences);
    expectSameRows(actual.rows, expected.rows);
  });
});

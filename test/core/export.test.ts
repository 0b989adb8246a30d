/**
 * The export builders (src/core/export.ts) on their own: recorded rows to CSV and JSON, the
 * config file, and the per-agent CSV against the engine's state and an independent replay.
 */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, configFromObject, defaultConfig, resolveGroups, validateConfig } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import {
  type RecordedRows,
  agentsCsvHeader,
  agentsCsvParts,
  configToJson,
  csvColumns,
  groupParamsNow,
  rowsToCsv,
  rowsToJson,
} from '../../src/core/export.ts';
import { getPreset } from '../../src/core/presets.ts';
import { StatsLayout } from '../../src/core/stats.ts';
import { softmaxF64 } from './helpers.ts';

function config(patch: Partial<ExperimentConfig['params']>, groups: ExperimentConfig['groups'] = [{}]): ExperimentConfig {
  const base = defaultConfig();
  return validateConfig({ params: { ...base.params, ...patch }, groups });
}

/** A CSV as header and rows of fields (the builders never quote). */
function parse(text: string): { header: string[]; rows: string[][] } {
  expect(text.endsWith('\n')).toBe(true);
  const [header, ...rows] = text.slice(0, -1).split('\n').map((line) => line.split(','));
  for (const row of rows) expect(row).toHaveLength(header.length);
  return { header, rows };
}

describe('recorded rows to CSV and JSON', () => {
  const cfg = getPreset('testbed-baseline');
  const statNames = new StatsLayout(cfg.params.arms).names;
  const run = { config: cfg, engineKind: 'cpu', engineDescription: 'CPU reference engine', statNames };
  const groups = cfg.groups.length;
  // Columnar rows as the page keeps them; the last group diverged after its first row.
  const rows: RecordedRows = {
    steps: [1, 2],
    columns: Array.from({ length: groups }, (_, g) => statNames.map((_, c) => [g + c / 8, g + c / 8 + 1 / 3])),
    counts: Array.from({ length: groups }, (_, g) => (g === groups - 1 ? 1 : 2)),
    diverged: [{ group: groups - 1, step: 2, message: 'diverged' }],
  };

  it('CSV: sim\'s header, rows in step order with the groups interleaved, 9 digits', () => {
    const { header, rows: body } = parse(rowsToCsv(run, rows));
    expect(header).toEqual(csvColumns(cfg, statNames));
    expect(header.slice(0, 4)).toEqual(['group', 'lr', 'baseline', 'step']);
    expect(body.map((r) => `${r[0]}@${r[3]}`)).toEqual(['0@1', '1@1', '2@1', '3@1', '0@2', '1@2', '2@2']);
    expect(body[4][5]).toBe('0.458333333'); // group 0, step 2, second statistic: 1/8 + 1/3 to 9 digits
  });

  it('JSON: the config, columns, each group\'s rows and where it diverged', () => {
    const json = JSON.parse(rowsToJson(run, rows));
    expect(configFromObject(json.config)).toEqual(cfg);
    expect(json.columns).toEqual(['step', ...statNames]);
    expect(json.groups.map((g: { rows: unknown[] }) => g.rows.length)).toEqual([2, 2, 2, 1]);
    expect(json.groups.map((g: { divergedAt: number }) => g.divergedAt)).toEqual([0, 0, 0, 2]);
    expect(json.groups[1].params).toEqual({ lr: resolveGroups(cfg)[1].lr, baseline: resolveGroups(cfg)[1].baseline });
  });

  it('a seed sweep adds a seed column and numbers the groups seed-major', () => {
    const seeded = { ...run, seeds: [7, 9] };
    const twice: RecordedRows = {
      steps: [1],
      columns: Array.from({ length: 2 * groups }, () => statNames.map(() => [0.5])),
      counts: new Array(2 * groups).fill(1),
      diverged: [],
    };
    const { header, rows: body } = parse(rowsToCsv(seeded, twice));
    expect(header.slice(0, 5)).toEqual(['group', 'seed', 'lr', 'baseline', 'step']);
    expect(body.map((r) => r.slice(0, 2).join(' '))).toEqual(['0 7', '1 7', '2 7', '3 7', '4 9', '5 9', '6 9', '7 9']);
    const json = JSON.parse(rowsToJson(seeded, twice));
    expect(json.seeds).toEqual([7, 9]);
    expect(json.groups[5].params).toEqual({ seed: 9, lr: resolveGroups(cfg)[1].lr, baseline: resolveGroups(cfg)[1].baseline });
  });
});

describe('the config file', () => {
  it('reads back with configFromObject (sim --config) as the same experiment', () => {
    for (const name of ['baseline-on-off', 'mistake-lr-too-high', 'lesson-mini-challenge']) {
      const cfg = getPreset(name);
      const text = configToJson(cfg);
      expect(text.endsWith('}\n')).toBe(true);
      expect(configFromObject(JSON.parse(text))).toEqual(cfg);
    }
  });
});

describe('the agents CSV', () => {
  it('holds readAgents exactly, the softmax policy and each gaussian agent\'s own best arm', async () => {
    const cfg = config({ arms: 4, agents: 37, steps: 25, temperature: 0.7, lr: 0.5 }, [{}, { baseline: 'none' }]);
    const engine = new CpuEngine(cfg);
    await engine.advance(25, { record: () => {} });
    const { header, rows } = parse((await agentsCsvParts(engine)).join(''));
    expect(header).toEqual(['group', 'agent', 'pref_0', 'pref_1', 'pref_2', 'pref_3', 'prob_0', 'prob_1', 'prob_2', 'prob_3', 'best_arm']);
    expect(`${header.join(',')}\n`).toBe(agentsCsvHeader(4));
    expect(rows).toHaveLength(2 * 37);
    const bestArms = new Set<string>();
    for (let g = 0; g < 2; g++) {
      const states = await engine.readAgents(g);
      for (let a = 0; a < 37; a++) {
        const row = rows[g * 37 + a];
        expect(row.slice(0, 2)).toEqual([String(g), String(a)]);
        const prefs = row.slice(2, 6).map(Number);
        // 9 digits give every f32 back exactly.
        expect(prefs.map(Math.fround)).toEqual(Array.from(states.prefs.subarray(a * 4, a * 4 + 4)));
        const probs = row.slice(6, 10).map(Number);
        softmaxF64(prefs, 0.7).forEach((p, j) => expect(probs[j]).toBeCloseTo(p, 6));
        // The replay (another path through the same stepper) names the agent's best arm too.
        const trajectory = await engine.trajectory(g, a, 25);
        expect(Number(row[10])).toBe(trajectory.phases[trajectory.phases.length - 1].bestArm);
        bestArms.add(row[10]);
      }
    }
    expect(bestArms.size).toBeGreaterThan(1); // gaussian: the agents' own arms differ
  });

  it('fixed and bernoulli: the arm with the highest mean, after live changes too', async () => {
    const cfg = config({ arms: 3, agents: 5, env: 'fixed', means: [0.2, 0.9, 0.1] }, [{}, { env: 'bernoulli' }]);
    const engine = new CpuEngine(cfg);
    await engine.advance(3, { record: () => {} });
    let { rows } = parse((await agentsCsvParts(engine)).join(''));
    expect(new Set(rows.map((r) => r[r.length - 1]))).toEqual(new Set(['1']));
    engine.setGroupParams(1, { means: [0.3, 0.2, 0.8] });
    expect(groupParamsNow(engine.config, engine.paramChanges)[1].means).toEqual([0.3, 0.2, 0.8]);
    ({ rows } = parse((await agentsCsvParts(engine)).join('')));
    expect(rows.map((r) => `${r[0]}:${r[r.length - 1]}`)).toEqual([...new Array(5).fill('0:1'), ...new Array(5).fill('1:2')]);
  });

  it('offsets groups and writes a seed column for a seed sweep\'s file', async () => {
    const engine = new CpuEngine(config({ arms: 2, agents: 3, seed: 42 }));
    const text = (await agentsCsvParts(engine, { groupOffset: 5, withSeed: true })).join('');
    const { header, rows } = parse(text);
    expect(header.slice(0, 3)).toEqual(['group', 'seed', 'agent']);
    expect(rows.map((r) => r.slice(0, 3).join(' '))).toEqual(['5 42 0', '5 42 1', '5 42 2']);
    expect((await agentsCsvParts(engine, { header: false })).join('').startsWith('0,0,')).toBe(true);
  });
});

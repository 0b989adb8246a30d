/**
 * One implementation for sim and the page: the page's history written through the export
 * builders is sim's file for the same config, byte for byte; `--agents-out` writes the engine's
 * state; `--sweep seed=...` is separate runs of each seed in one file.
 */
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/core/config.ts';
import { CpuEngine } from '../../src/core/cpu-engine.ts';
import { agentsCsvParts, configToJson, rowsToCsv, rowsToJson } from '../../src/core/export.ts';
import { getPreset } from '../../src/core/presets.ts';
import { StatsHistory } from '../../src/ui/stats-history.ts';
import { type Csv, onlyLine, readCsv, simInProcess } from './helpers.ts';

const small = ['--set', 'agents=30', '--set', 'steps=24', '--engine', 'cpu', '--quiet'];

/** The page's path: an engine recording into the page's history (its capacity holds every row). */
async function pageHistory(config: ReturnType<typeof getPreset>): Promise<{ engine: CpuEngine; history: StatsHistory }> {
  const engine = new CpuEngine(config);
  const agents = config.groups.map((g) => g.agents ?? config.params.agents);
  const history = new StatsHistory(config.params.arms, agents, config.params.window);
  await engine.advance(config.params.steps, {
    record: (g, step, values, histogram) => history.record(g, step, values, histogram),
    diverged: (g, step, message) => history.markDiverged(g, step, message),
  });
  return { engine, history };
}

describe('the page\'s export is sim\'s output', () => {
  it('CSV and JSON from the history equal sim\'s for the same config', async () => {
    const config = getPreset('baseline-on-off');
    Object.assign(config.params, { agents: 30, steps: 24, window: 2 });
    const { engine, history } = await pageHistory(config);
    const run = { config, engineKind: engine.kind, engineDescription: engine.description, statNames: engine.layout.names };
    const inputs = { 'c.json': configToJson(config) };
    const csv = await simInProcess(['--config', 'c.json', '--engine', 'cpu', '--quiet'], inputs);
    expect(csv.code).toBe(0);
    expect(rowsToCsv(run, history)).toBe(csv.stdout);
    expect(readCsv(csv.stdout).header.slice(0, 3)).toEqual(['group', 'baseline', 'step']);
    const json = await simInProcess(['--config', 'c.json', '--engine', 'cpu', '--quiet', '--format', 'json'], inputs);
    expect(rowsToJson(run, history)).toBe(json.stdout);
    expect(configFromObject(JSON.parse(json.stdout).config)).toEqual(config);
  });
});

function agentsTable(text: string): Csv {
  return readCsv(text);
}

describe('sim --agents-out', () => {
  it('writes every agent\'s preferences, policy and best arm as the engine holds them', async () => {
    const result = await simInProcess(['--preset', 'baseline-on-off', ...small, '--out', 'run.csv', '--agents-out', 'agents.csv']);
    expect(result.code).toBe(0);
    const agents = agentsTable(result.files.get('agents.csv')!);
    expect(agents.header).toEqual(['group', 'agent', 'pref_0', 'pref_1', 'pref_2', 'prob_0', 'prob_1', 'prob_2', 'best_arm']);
    expect(agents.rows).toHaveLength(60);
    // The same run again in this process: the file is its state, and the page's builder's text.
    const config = getPreset('baseline-on-off');
    Object.assign(config.params, { agents: 30, steps: 24 });
    const engine = new CpuEngine(config);
    await engine.advance(24, { record: () => {} });
    expect(result.files.get('agents.csv')).toBe((await agentsCsvParts(engine)).join(''));
    for (let g = 0; g < 2; g++) {
      const { prefs } = await engine.readAgents(g);
      const rows = agents.rows.filter((row) => row[0] === String(g));
      expect(rows.flatMap((row) => row.slice(2, 5).map((v) => Math.fround(Number(v))))).toEqual(Array.from(prefs));
    }
    // fixed arms paying about 9, 10, 11: every agent's best arm is the last.
    expect(new Set(agents.column('best_arm'))).toEqual(new Set(['2']));
  });

  it('refuses stdout and a .json name, and a path it cannot write before running', async () => {
    for (const [argv, line] of [
      [['--agents-out', '-'], 'sim: --agents-out needs a file name (FILE.csv)'],
      [['--agents-out', 'a.json'], 'sim: --agents-out a.json: the agents file is CSV; name it .csv'],
      [['--agents-out', '/nonexistent/a.csv'], 'sim: --agents-out /nonexistent/a.csv: cannot write it (ENOENT)'],
    ] as const) {
      const result = await simInProcess([...small, ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(onlyLine(result.stderr)).toBe(line);
    }
  });
});

describe('sim --sweep seed=...', () => {
  /** Rows of `csv` without the columns named, as text lines. */
  function without(csv: Csv, drop: string[], keep: (row: string[]) => boolean): string[] {
    const indices = csv.header.map((name, i) => (drop.includes(name) ? -1 : i)).filter((i) => i >= 0);
    return csv.rows.filter(keep).map((row) => indices.map((i) => row[i]).join(','));
  }

  it('gives each seed\'s rows as a separate --set seed=N run, groups numbered seed-major', async () => {
    const sweep = ['--preset', 'testbed', ...small, '--sweep', 'lr=0.1,0.4'];
    const both = await simInProcess([...sweep, '--sweep', 'seed=1,2', '--out', 'all.csv', '--agents-out', 'agents.csv']);
    expect(both.code).toBe(0);
    const csv = readCsv(both.files.get('all.csv')!);
    expect(csv.header.slice(0, 4)).toEqual(['group', 'seed', 'lr', 'step']);
    expect(csv.rows).toHaveLength(2 * 2 * 24);
    expect([...new Set(csv.rows.map((row) => `${row[0]} ${row[1]} ${row[2]}`))]).toEqual(['0 1 0.1', '1 1 0.4', '2 2 0.1', '3 2 0.4']);
    // One run's order: step by step, the groups interleaved.
    expect(csv.rows.slice(0, 5).map((row) => `${row[0]}@${row[3]}`)).toEqual(['0@1', '1@1', '2@1', '3@1', '0@2']);
    const agents = readCsv(both.files.get('agents.csv')!);
    expect(agents.header.slice(0, 3)).toEqual(['group', 'seed', 'agent']);
    expect(agents.rows).toHaveLength(4 * 30);

    for (const [i, seed] of [1, 2].entries()) {
      const one = await simInProcess([...sweep, '--set', `seed=${seed}`, '--out', 'one.csv', '--agents-out', 'one-agents.csv']);
      const single = readCsv(one.files.get('one.csv')!);
      const mine = (row: string[]) => row[1] === String(seed);
      // Same rows once the group is renumbered: drop group and seed on both sides, compare in order.
      expect(without(csv, ['group', 'seed'], mine)).toEqual(without(single, ['group'], () => true));
      expect(csv.rows.filter(mine).map((row) => Number(row[0]) - 2 * i)).toEqual(single.column('group').map(Number));
      const singleAgents = readCsv(one.files.get('one-agents.csv')!);
      expect(without(agents, ['group', 'seed'], mine)).toEqual(without(singleAgents, ['group'], () => true));
    }
  });

  it('JSON: seeds listed, the first in the config, each group\'s seed in its params', async () => {
    const result = await simInProcess(['--preset', 'testbed', ...small, '--sweep', 'seed=5,6', '--format', 'json']);
    const json = JSON.parse(result.stdout);
    expect(json.seeds).toEqual([5, 6]);
    expect(json.config.seed).toBe(5);
    expect(json.groups.map((g: { params: unknown }) => g.params)).toEqual([{ seed: 5 }, { seed: 6 }]);
    expect(json.groups[0].rows).not.toEqual(json.groups[1].rows);
  });

  it('says which flag is wrong', async () => {
    for (const [argv, line] of [
      [['--sweep', 'seed=1,x'], /^sim: --sweep seed: value 2 must be an integer/],
      [['--sweep', 'seed=1', '--sweep', 'seed=2'], /^sim: --sweep seed: swept twice$/],
      [['--sweep', 'arms=2,3'], /; and seed, one run per seed\)$/],
    ] as const) {
      const result = await simInProcess([...small, ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(onlyLine(result.stderr)).toMatch(line);
    }
  });

  it('the summary counts every run', async () => {
    const result = await simInProcess(['--preset', 'testbed', '--set', 'agents=10', '--set', 'steps=4', '--engine', 'cpu', '--sweep', 'seed=1,2,3', '--out', 'x.csv', '--agents-out', 'a.csv']);
    expect(onlyLine(result.stderr)).toMatch(/^sim: done: 3 groups \(3 seeds\), 120 agent-steps on cpu .*; 12 rows of csv to x\.csv; 30 agents to a\.csv$/);
  });
});

/** `sim` as a user runs it: a child process, real files, exit codes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configToObject } from '../../src/core/config.ts';
import { getPreset, presetNames } from '../../src/core/presets.ts';
import { kParamSpecs } from '../../src/core/schema.ts';
import { onlyLine, readCsv, simProcess } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim (child process)', () => {
  it('--help lists every parameter and preset, exit 0', async () => {
    const result = await simProcess(['--help']);
    expect(result.code).toBe(0);
    for (const spec of kParamSpecs) expect(result.stdout).toMatch(new RegExp(`^  ${spec.key} +\\S`, 'm'));
    for (const name of presetNames()) expect(result.stdout).toContain(`  ${name} `);
  });

  it('runs lesson-mini-challenge to a CSV file: documented header, one row per step, pi(Right) high at the end', async () => {
    const out = join(dir, 'two-arm.csv');
    const result = await simProcess(['--preset', 'lesson-mini-challenge', '--set', 'agents=2000', '--engine', 'cpu', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    // stderr: the one-line summary (not a terminal: no bar).
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(/^sim: done: 1 group, 600\.0k agent-steps on cpu in .*; 300 rows of csv to .*two-arm\.csv$/),
      '',
    ]);
    const csv = readCsv(readFileSync(out, 'utf8'));
    expect(csv.header.slice(0, 4)).toEqual(['group', 'step', 'mean_reward', 'frac_optimal']);
    expect(csv.header).toContain('mean_prob_0');
    expect(csv.header).toContain('mean_prob_1');
    expect(csv.header).not.toContain('mean_prob_2');
    expect(csv.rows).toHaveLength(300);
    expect(csv.column('step').map(Number)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const probRight = csv.column('mean_prob_1').map(Number);
    expect(probRight[0]).toBeLessThan(0.6);
    expect(probRight[299]).toBeGreaterThan(0.9);
  });

  it('--sweep gives the product of groups, with a column for each swept key', async () => {
    const result = await simProcess([
      '--preset', 'testbed', '--set', 'agents=50', '--set', 'steps=20', '--set', 'window=5',
      '--sweep', 'lr=0.1,0.4', '--sweep', 'baseline=none,average,ema', '--engine', 'cpu', '--quiet',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const csv = readCsv(result.stdout);
    expect(csv.header.slice(0, 4)).toEqual(['group', 'lr', 'baseline', 'step']);
    expect(csv.rows).toHaveLength(6 * (20 / 5));
    const groups = new Map(csv.rows.map((row) => [row[0], `${row[1]} ${row[2]}`]));
    expect([...groups.entries()].sort()).toEqual([
      ['0', '0.1 none'], ['1', '0.1 average'], ['2', '0.1 ema'],
      ['3', '0.4 none'], ['4', '0.4 average'], ['5', '0.4 ema'],
    ]);
  });

  it('reads --config and writes JSON that parses', async () => {
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ agents: 30, steps: 8, groups: [{ lr: 0.2 }, { lr: 0.3, baseline: 'none' }] }));
    const result = await simProcess(['--preset', 'baseline-on-off', '--config', configFile, '--format', 'json', '--engine', 'cpu', '-q']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    const expected = getPreset('baseline-on-off');
    Object.assign(expected.params, { agents: 30, steps: 8 });
    expected.groups = [{ lr: 0.2 }, { lr: 0.3, baseline: 'none' }];
    expect(json.config).toEqual(configToObject(expected));
    expect(json.engine).toBe('cpu');
    expect(json.columns.slice(0, 3)).toEqual(['step', 'mean_reward', 'frac_optimal']);
    // The preset's shared baseline is average: group 0 keeps it, group 1 overrides it.
    expect(json.groups.map((g: { params: object }) => g.params)).toEqual([
      { lr: 0.2, baseline: 'average' }, { lr: 0.3, baseline: 'none' },
    ]);
    for (const group of json.groups) {
      expect(group.divergedAt).toBe(0);
      expect(group.rows).toHaveLength(8);
      for (const row of group.rows) expect(row).toHaveLength(json.columns.length);
    }
  });

  it('exits non-zero with one line naming the flag or key', async () => {
    const cases: [string[], number, string | RegExp][] = [
      [['--foo'], 2, 'sim: unknown flag --foo (see sim --help)'],
      [['--set', 'lr=abc'], 2, 'sim: --set lr: must be a number in [0.0001, 100], got "abc"'],
      [['--preset', 'testbed', '--set', 'env=fixed', '--sweep', 'means=0,1,2,3,4,5,6,7,8,9;0,1,2'], 2, /^sim: --sweep: groups\[1\]\.means: needs one value per arm/],
      [['--engine', 'tpu'], 2, /^sim: --engine: .*tpu/],
    ];
    const results = await Promise.all(cases.map(([argv]) => simProcess(argv)));
    results.forEach((result, i) => {
      const [argv, code, line] = cases[i];
      expect(result.code, argv.join(' ')).toBe(code);
      expect(onlyLine(result.stderr)).toMatch(line);
      expect(result.stdout).toBe('');
    });
  });
});

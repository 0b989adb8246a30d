/** `sim --stop-when` and `sim --shard I/N`, on the CPU reference engine, in process. */
import { describe, expect, it } from 'vitest';
import { parseShardArg } from '../../src/cli/args.ts';
import { shardRange } from '../../src/cli/run.ts';
import { onlyLine, readCsv, simInProcess, usageMessage } from './helpers.ts';

/** The data lines of a CSV (no header), in the order one unsharded run writes them: by step, then group. */
function rowsInRunOrder(csvTexts: string[]): string[] {
  const lines = csvTexts.flatMap((text) => readCsvLines(text));
  const header = readCsv(csvTexts[0]).header;
  const stepColumn = header.indexOf('step');
  const key = (line: string) => {
    const fields = line.split(',');
    return [Number(fields[stepColumn]), Number(fields[0])];
  };
  return lines.sort((a, b) => {
    const [stepA, groupA] = key(a);
    const [stepB, groupB] = key(b);
    return stepA - stepB || groupA - groupB;
  });
}

function readCsvLines(text: string): string[] {
  readCsv(text); // strict shape check: every row as wide as the header
  return text.slice(0, -1).split('\n').slice(1);
}

function headerLine(text: string): string {
  return text.slice(0, text.indexOf('\n'));
}

/** Per group, the step of its first row whose `statistic` meets `meets`; null when none does. */
function firstCrossing(csvText: string, statistic: string, meets: (value: number) => boolean): (number | null)[] {
  const csv = readCsv(csvText);
  const groups = csv.column('group').map(Number);
  const steps = csv.column('step').map(Number);
  const values = csv.column(statistic).map(Number);
  const count = Math.max(...groups) + 1;
  const result: (number | null)[] = new Array(count).fill(null);
  // Rows are in step order, so the first match per group is its earliest.
  for (let r = 0; r < groups.length; r++) if (result[groups[r]] === null && meets(values[r])) result[groups[r]] = steps[r];
  return result;
}

describe('sim --stop-when', () => {
  // Three learning rates on the testbed; at lr 0.01 the agents barely move in 60 steps (about
  // 0.1 optimal), so that group never reaches the threshold while the other two pass it.
  const lrs = ['0.01', '0.4', '1'];
  const base = [
    '--preset', 'testbed', '--set', 'agents=200', '--set', 'steps=60', '--set', 'window=5',
    '--sweep', `lr=${lrs.join(',')}`, '--engine', 'cpu',
  ];
  const condition = 'frac_optimal>=0.4';

  it('reports each group\'s step: the first row meeting the condition in a run without it (same seed)', async () => {
    const free = await simInProcess([...base, '--out', 'free.csv', '--quiet']);
    expect(free.code).toBe(0);
    const freeCsv = free.files.get('free.csv')!;
    const expected = firstCrossing(freeCsv, 'frac_optimal', (v) => v >= 0.4);
    // The run is chosen so that both outcomes occur: otherwise the test would not see "not reached".
    expect(expected[0]).toBeNull();
    expect(expected.slice(1).every((step) => step !== null)).toBe(true);

    const stopped = await simInProcess([...base, '--stop-when', condition, '--out', 'stopped.csv']);
    expect(stopped.code).toBe(0);
    const table = stopped.stderr.split('\n');
    expect(table[0]).toBe('sim: steps to frac_optimal>=0.4 (the last step of the first row that met it):');
    expect(table[1]).toMatch(/^ {2}group +lr +step$/);
    const reported = table.slice(2, 2 + lrs.length).map((line) => line.trim().split(/\s{2,}/));
    expect(reported).toEqual(expected.map((step, g) => [String(g), lrs[g], step === null ? 'not reached' : String(step)]));

    // Each group's rows are the free run's rows up to and including its crossing row.
    const stepColumn = readCsv(freeCsv).header.indexOf('step');
    const keep = (line: string) => {
      const fields = line.split(',');
      const crossing = expected[Number(fields[0])];
      return crossing === null || Number(fields[stepColumn]) <= crossing;
    };
    const stoppedCsv = stopped.files.get('stopped.csv')!;
    expect(headerLine(stoppedCsv)).toBe(headerLine(freeCsv));
    expect(readCsvLines(stoppedCsv)).toEqual(readCsvLines(freeCsv).filter(keep));
  });

  it('writes the steps into the JSON as "stops", null where never reached; without the flag there is no such field', async () => {
    const stopped = await simInProcess([...base, '--stop-when', condition, '--format', 'json', '--quiet']);
    const free = await simInProcess([...base, '--format', 'json', '--quiet']);
    expect([stopped.code, free.code]).toEqual([0, 0]);
    const freeJson = JSON.parse(free.stdout);
    expect(freeJson).not.toHaveProperty('stops');
    const column = freeJson.columns.indexOf('frac_optimal');
    const expected = freeJson.groups.map((g: { rows: number[][] }) => g.rows.find((row) => row[column] >= 0.4)?.[0] ?? null);
    const json = JSON.parse(stopped.stdout);
    expect(json.stops).toEqual({ condition, steps: expected });
    expect(Object.keys(json)).toEqual(['config', 'engine', 'engineDescription', 'columns', 'stops', 'groups']);
    json.groups.forEach((group: { rows: number[][] }, g: number) => {
      const lastStep = expected[g] ?? 60;
      expect(group.rows.at(-1)![0]).toBe(lastStep);
      expect(group.rows).toEqual(freeJson.groups[g].rows.slice(0, group.rows.length));
    });
  });

  it('ends the run once every group has met the condition', async () => {
    // 2000 agents: the first advance is 100 steps (200k agent-steps); pi(Right) passes 0.9
    // within about 70 steps at lr 0.1, so the run stops after that advance, far from 5000.
    const result = await simInProcess([
      '--preset', 'lesson-mini-challenge', '--set', 'agents=2000', '--set', 'steps=5000', '--engine', 'cpu',
      '--stop-when', 'mean_prob_1 >= 0.9', '--out', 'run.csv',
    ]);
    expect(result.code).toBe(0);
    const csv = readCsv(result.files.get('run.csv')!);
    const crossing = Number(csv.column('step').at(-1));
    expect(Number(csv.column('mean_prob_1').at(-1))).toBeGreaterThanOrEqual(0.9);
    expect(csv.column('mean_prob_1').slice(0, -1).every((v) => Number(v) < 0.9)).toBe(true);
    expect(result.stderr).toContain(`\n  0      ${crossing}\n`);
    expect(result.stderr).toMatch(/agent-steps .*; stopped at step \d+: every group met mean_prob_1>=0\.9 or diverged\n$/);
    const stoppedAt = Number(/stopped at step (\d+)/.exec(result.stderr)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(crossing);
    expect(stoppedAt).toBeLessThan(5000);
  });

  it('refuses a bad condition with one line naming --stop-when and what it accepts', async () => {
    const cases: [string, RegExp][] = [
      ['mean_prob_5>=0.9', /^sim: --stop-when "mean_prob_5>=0\.9": unknown statistic "mean_prob_5" .*per arm mean_prob_J, grad_mean_J, grad_var_J for J in 0\.\.1$/],
      ['frac_optimal', /^sim: --stop-when "frac_optimal": cannot read "frac_optimal": expected STATISTIC OPERATOR NUMBER, e\.g\. mean_prob_optimal>=0\.9; operators >=, <=, >, </],
      ['frac_optimal>=high', /^sim: --stop-when "frac_optimal>=high": threshold "high" .* is not a finite number/],
      ['  ', /^sim: --stop-when needs a condition, e\.g\. --stop-when "mean_prob_optimal>=0\.9"$/],
    ];
    for (const [text, line] of cases) {
      const result = await simInProcess(['--preset', 'lesson-mini-challenge', '--engine', 'cpu', `--stop-when=${text}`]);
      expect(result.code, text).toBe(2);
      expect(onlyLine(result.stderr), text).toMatch(line);
      expect(result.stdout).toBe('');
    }
  });
});

describe('shard slices', () => {
  it('reads I/N, spaces allowed around the slash', () => {
    expect(parseShardArg('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShardArg(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    expect(usageMessage(() => parseShardArg('-1/4'))).toMatch(/^--shard "-1\/4": expected I\/N/);
  });

  it('cuts every group count into N contiguous, non-empty slices that cover each group once', () => {
    for (let total = 1; total <= 32; total++) {
      for (let count = 1; count <= total; count++) {
        const slices = Array.from({ length: count }, (_, i) => shardRange({ index: i + 1, count }, total));
        expect(slices[0].first).toBe(0);
        expect(slices.at(-1)!.end).toBe(total);
        slices.forEach((slice, i) => {
          if (i > 0) expect(slice.first).toBe(slices[i - 1].end);
          // Near-equal: sizes differ by at most one.
          expect(slice.end - slice.first).toBeGreaterThanOrEqual(Math.floor(total / count));
          expect(slice.end - slice.first).toBeLessThanOrEqual(Math.ceil(total / count));
        });
      }
    }
    expect(shardRange(null, 5)).toEqual({ first: 0, end: 5 });
    expect(usageMessage(() => shardRange({ index: 1, count: 2 }, 1))).toBe('--shard 1/2: 2 slices of 1 group; N can be at most 1');
  });
});

describe('sim --shard I/N', () => {
  // 3 learning rates x 2 baselines = 6 groups; 4 slices of 1, 2, 1 and 2 groups.
  const sweep = [
    '--preset', 'testbed', '--set', 'agents=40', '--set', 'steps=12', '--set', 'window=3',
    '--sweep', 'lr=0.1,0.2,0.4', '--sweep', 'baseline=none,average', '--engine', 'cpu', '--quiet',
  ];

  async function shardsAndWhole(argv: string[], count: number) {
    const whole = await simInProcess([...argv, '--out', 'whole.csv', '--agents-out', 'whole-agents.csv']);
    expect(whole.code, whole.stderr).toBe(0);
    const parts = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        simInProcess([...argv, '--shard', `${i + 1}/${count}`, '--out', 'part.csv', '--agents-out', 'agents.csv']),
      ),
    );
    for (const part of parts) expect(part.code, part.stderr).toBe(0);
    return {
      whole: whole.files.get('whole.csv')!,
      wholeAgents: whole.files.get('whole-agents.csv')!,
      parts: parts.map((p) => p.files.get('part.csv')!),
      agents: parts.map((p) => p.files.get('agents.csv')!),
    };
  }

  it('the slices\' CSV files together hold exactly the rows of one run, group numbers and columns included', async () => {
    const { whole, wholeAgents, parts, agents } = await shardsAndWhole(sweep, 4);
    for (const part of parts) expect(headerLine(part)).toBe(headerLine(whole));
    expect(headerLine(whole).startsWith('group,lr,baseline,step,')).toBe(true);
    // Each slice holds whole groups, contiguous, in order: 1, 2, 1 and 2 of the 6.
    expect(parts.map((part) => [...new Set(readCsv(part).column('group'))])).toEqual([['0'], ['1', '2'], ['3'], ['4', '5']]);
    expect(`${headerLine(whole)}\n${rowsInRunOrder(parts).join('\n')}\n`).toBe(whole);
    // Agents: one file per slice, its groups in order, so header + the slices in order is the whole file.
    for (const part of agents) expect(headerLine(part)).toBe(headerLine(wholeAgents));
    expect(`${headerLine(wholeAgents)}\n${agents.map((part) => readCsvLines(part).join('\n')).join('\n')}\n`).toBe(wholeAgents);
  });

  it('slices a seed sweep\'s groups across its seeds', async () => {
    // 2 seeds x 3 learning rates = 6 file groups; slice 2 of 4 holds groups 1 and 2 (seed 7), slice 3 group 3 (seed 8).
    const argv = ['--preset', 'testbed', '--set', 'agents=30', '--set', 'steps=6', '--sweep', 'lr=0.1,0.2,0.4', '--sweep', 'seed=7,8', '--engine', 'cpu', '--quiet'];
    const { whole, wholeAgents, parts, agents } = await shardsAndWhole(argv, 4);
    expect(readCsv(parts[1]).column('seed').every((seed) => seed === '7')).toBe(true);
    expect(readCsv(parts[2]).column('seed').every((seed) => seed === '8')).toBe(true);
    expect(`${headerLine(whole)}\n${rowsInRunOrder(parts).join('\n')}\n`).toBe(whole);
    expect(`${headerLine(wholeAgents)}\n${agents.map((part) => readCsvLines(part).join('\n')).join('\n')}\n`).toBe(wholeAgents);
  });

  it('applies --stop-when per slice: the slices join into the rows of one stopped run', async () => {
    const argv = [...sweep.filter((a) => a !== '--quiet'), '--set', 'steps=60', '--stop-when', 'frac_optimal>=0.35'];
    const whole = await simInProcess([...argv, '--out', 'whole.csv']);
    const parts = await Promise.all([1, 2, 3].map((i) => simInProcess([...argv, '--shard', `${i}/3`, '--out', 'part.csv'])));
    const wholeCsv = whole.files.get('whole.csv')!;
    expect(`${headerLine(wholeCsv)}\n${rowsInRunOrder(parts.map((p) => p.files.get('part.csv')!)).join('\n')}\n`).toBe(wholeCsv);
    // Each slice's stop table lists its own groups, with the whole run's lines for them.
    const tableLines = (stderr: string) => stderr.split('\n').filter((line) => /^ {2}\d/.test(line));
    const wholeLines = tableLines(whole.stderr);
    expect(wholeLines).toHaveLength(6);
    expect(parts.flatMap((p) => tableLines(p.stderr).map((line) => line.trim().split(/\s+/).join(' '))))
      .toEqual(wholeLines.map((line) => line.trim().split(/\s+/).join(' ')));
    expect(parts[1].stderr).toMatch(/sim: done: 2 groups, shard 2\/3 \(groups 2-3 of 6\)/);
  });

  it('refuses bad values with one line naming --shard', async () => {
    const cases: [string[], RegExp][] = [
      [['--shard', '0/4'], /^sim: --shard 0\/4: I must be in 1\.\.4$/],
      [['--shard', '5/4'], /^sim: --shard 5\/4: I must be in 1\.\.4$/],
      [['--shard', '1/0'], /^sim: --shard 1\/0: N must be at least 1$/],
      [['--shard', 'two'], /^sim: --shard "two": expected I\/N, the I-th of N slices of the groups, e\.g\. --shard 1\/4$/],
      [['--shard', '1/2.5'], /^sim: --shard "1\/2\.5": expected I\/N/],
      [['--shard', '7/7'], /^sim: --shard 7\/7: 7 slices of 6 groups; N can be at most 6$/],
      [['--shard', '1/2', '--format', 'json'], /^sim: --shard 1\/2: writes CSV only .*use --out FILE\.csv$/],
    ];
    for (const [flags, line] of cases) {
      const result = await simInProcess([...sweep, ...flags]);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(onlyLine(result.stderr), flags.join(' ')).toMatch(line);
    }
  });
});

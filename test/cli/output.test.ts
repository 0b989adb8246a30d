import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/cli/engines.ts';
import { EngineUnavailableError } from '../../src/cli/errors.ts';
import { CsvWriter, JsonWriter, csvParamValue, formatNumber } from '../../src/cli/output.ts';
import { Progress } from '../../src/cli/progress.ts';
import { configToObject, resolveGroups } from '../../src/core/config.ts';
import { getPreset } from '../../src/core/presets.ts';
import type { Engine } from '../../src/core/engine.ts';
import { StatsLayout, type StatsSink, kScalarStats } from '../../src/core/stats.ts';
import { onlyLine, readCsv, simInProcess } from './helpers.ts';

describe('number and field formatting', () => {
  it('keeps 9 significant digits and writes what pandas reads', () => {
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(Math.fround(0.1))).toBe('0.100000001');
    expect(formatNumber(1 / 3)).toBe('0.333333333');
    expect(formatNumber(123456789012)).toBe('123456789000');
    expect(formatNumber(1e-12)).toBe('1e-12');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('inf');
    expect(formatNumber(-Infinity)).toBe('-inf');
    // 9 digits give every f32 back exactly.
    for (const x of [Math.fround(Math.PI), Math.fround(1e-7 / 3), Math.fround(12345.678)]) {
      expect(Math.fround(Number(formatNumber(x)))).toBe(x);
    }
  });

  it('writes lists with ; so no field needs quotes', () => {
    expect(csvParamValue([70, 80, 90])).toBe('70;80;90');
    expect(csvParamValue([])).toBe('');
    expect(csvParamValue('average-inclusive')).toBe('average-inclusive');
  });
});

describe('writers', () => {
  const config = getPreset('testbed-baseline');
  const statNames = new StatsLayout(config.params.arms).names;
  const run = { config, engineKind: 'cpu', engineDescription: 'CPU reference engine', statNames };
  const values = (g: number) => Float64Array.from(statNames, (_, i) => g + i / 10);

  it('CSV: header, then rows in step order with groups interleaved', () => {
    const writer = new CsvWriter(run);
    writer.record(1, 1, values(1));
    writer.record(1, 2, values(1));
    writer.record(0, 1, values(0));
    writer.record(0, 2, values(0));
    const csv = readCsv(writer.take() + writer.finish());
    expect(csv.header).toEqual(['group', 'lr', 'baseline', 'step', ...statNames]);
    expect(csv.rows.map((r) => r.slice(0, 5))).toEqual([
      ['0', '0.1', 'average-inclusive', '1', '0'],
      ['1', '0.1', 'none', '1', '1'],
      ['0', '0.1', 'average-inclusive', '2', '0'],
      ['1', '0.1', 'none', '2', '1'],
    ]);
    expect(writer.rows).toBe(4);
    expect(writer.take()).toBe('');
  });

  it('JSON: config, columns and one entry per group', () => {
    const writer = new JsonWriter(run);
    writer.record(2, 1, values(2));
    writer.diverged(3, 7);
    const json = JSON.parse(writer.take() + writer.finish());
    expect(json.config).toEqual(configToObject(config));
    expect(json.engine).toBe('cpu');
    expect(json.columns).toEqual(['step', ...statNames]);
    expect(json.groups.map((g: { params: unknown }) => g.params)).toEqual(
      resolveGroups(config).map((g) => ({ lr: g.lr, baseline: g.baseline })),
    );
    expect(json.groups[2].rows).toEqual([[1, ...values(2)].map((v) => Number(v.toPrecision(9)))]);
    expect(json.groups.map((g: { divergedAt: number }) => g.divergedAt)).toEqual([0, 0, 0, 7]);
  });
});

describe('progress', () => {
  it('on a terminal: nothing for the first second, then a throttled bar, then the summary', () => {
    let time = 0;
    let text = '';
    const progress = new Progress({ write: (t: string) => (text += t), isTTY: true, columns: 80 }, 100, {
      quiet: false, now: () => time,
    });
    time = 500;
    progress.update(10);
    expect(text).toBe('');
    time = 1200;
    progress.update(50);
    expect(text).toContain(' 50% 50/100 steps, 1.2 s, ~1.2 s left');
    const drawn = text;
    time = 1250;
    progress.update(60);
    expect(text).toBe(drawn);
    progress.finish('sim: done');
    expect(text.endsWith('\r\x1b[Ksim: done\n')).toBe(true);
  });

  it('off a terminal only the summary; quiet keeps only warnings', () => {
    let text = '';
    let time = 0;
    const progress = new Progress({ write: (t: string) => (text += t) }, 100, { quiet: false, now: () => time });
    time = 5000;
    progress.update(50);
    progress.finish('sim: done');
    expect(text).toBe('sim: done\n');
    text = '';
    const quiet = new Progress({ write: (t: string) => (text += t), isTTY: true }, 100, { quiet: true, now: () => time });
    quiet.info('sim: engine: cpu');
    time = 9000;
    quiet.update(50);
    quiet.warn('sim: warning: x');
    quiet.finish('sim: done');
    expect(text).toBe('sim: warning: x\n');
  });
});

describe('runSim in process', () => {
  const small = ['--set', 'agents=40', '--set', 'steps=12'];

  it('writes the documented CSV: group, distinguishing keys, step, every statistic', async () => {
    const result = await simInProcess([
      '--preset', 'baseline-on-off', ...small, '--engine', 'cpu', '--set', 'window=3', '--sweep', 'means=70,80,90;1,2,3', '--out', 'run.csv',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const csv = readCsv(result.files.get('run.csv')!);
    expect(csv.header.slice(0, 4)).toEqual(['group', 'baseline', 'means', 'step']);
    expect(csv.header.slice(4)).toEqual(new StatsLayout(3).names);
    expect(csv.rows).toHaveLength(4 * (12 / 3));
    expect(new Set(csv.column('means'))).toEqual(new Set(['70;80;90', '1;2;3']));
    expect([...new Set(csv.column('step'))]).toEqual(['3', '6', '9', '12']);
    for (const row of csv.rows) for (const field of row.slice(4)) expect(Number.isFinite(Number(field))).toBe(true);
    expect(onlyLine(result.stderr)).toMatch(/^sim: done: 4 groups, 1920 agent-steps on cpu .*16 rows of csv to run\.csv$/);
  });

  it('has no distinguishing columns for a single group', async () => {
    const result = await simInProcess(['--preset', 'testbed', ...small, '--quiet']);
    const csv = readCsv(result.stdout);
    expect(csv.header.slice(0, 3)).toEqual(['group', 'step', kScalarStats[0]]);
    expect(csv.rows).toHaveLength(12);
    expect(result.stderr).toBe('');
  });

  it('says on stderr which engine auto took', async () => {
    // Which one depends on the machine: a hardware GPU, or the CPU engine with the reason.
    const result = await simInProcess(['--preset', 'testbed', ...small]);
    const took = result.stderr.split('\n').find((line) => line.startsWith('sim: engine:'));
    expect(took).toMatch(/^sim: engine: (cpu \(CPU reference engine\); gpu unavailable: .+|gpu \(.+\))$/);
    expect(result.stderr).toContain(`on ${took?.startsWith('sim: engine: gpu') ? 'gpu' : 'cpu'} in`);
    const named = await simInProcess(['--preset', 'testbed', ...small, '--engine', 'cpu']);
    expect(named.stderr).not.toContain('engine:');
  });

  it('warns once per diverged group and keeps its rows before the divergence', async () => {
    // No valid config overflows f32 on the CPU engine, so a wrapper plays a group that diverges.
    const divergingEngine: typeof createEngine = async (kind, config) => {
      const { engine } = await createEngine(kind, config);
      let divergedAt = 0;
      const wrapped = Object.create(engine) as Engine;
      wrapped.advance = (steps: number, sink: StatsSink) =>
        engine.advance(steps, {
          record: (group, step, values, histogram) => {
            if (group === 1 && step >= 5) {
              if (divergedAt === 0) sink.diverged?.(1, (divergedAt = step), `group 1 diverged at step ${step}: test`);
            } else sink.record(group, step, values, histogram);
          },
        });
      wrapped.divergedAt = (group: number) => (group === 1 ? divergedAt : 0);
      return { engine: wrapped, note: null };
    };
    const result = await simInProcess(
      ['--preset', 'testbed', ...small, '--sweep', 'lr=0.1,0.2', '--format', 'json', '--engine', 'cpu'],
      {},
      divergingEngine,
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.groups.map((g: { divergedAt: number }) => g.divergedAt)).toEqual([0, 5]);
    expect(json.groups.map((g: { rows: unknown[] }) => g.rows.length)).toEqual([12, 4]);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('sim: warning:'))).toEqual([
      'sim: warning: group 1 diverged at step 5: test',
    ]);
    expect(result.stderr).toMatch(/; 1 group diverged\n$/);
  });

  it('fails with exit code 2 and one line naming the flag or key', async () => {
    const cases: [string[], string | RegExp][] = [
      [['--foo'], 'sim: unknown flag --foo (see sim --help)'],
      [['--set', 'lr=abc'], 'sim: --set lr: must be a number in [0.0001, 100], got "abc"'],
      [['--set', 'agents=0'], 'sim: --set agents: must be an integer in [1, 16777216], got "0"'],
      [['--preset', 'x'], /^sim: unknown preset "x" \(known: baseline-on-off, lesson-mini-challenge, mistake-high-variance, mistake-no-baseline, mistake-lr-too-high, mistake-reward-scale, ppo-clip, testbed, testbed-baseline, value-vs-policy, epsilon-greedy, optimistic-values, actor-critic, gaussian-policy\)$/],
      [['--sweep', 'steps=1,2'], /^sim: --sweep steps: is shared by all groups/],
      [['--config', 'missing.json'], 'sim: --config missing.json: cannot read it (ENOENT)'],
      [['--out', '/nonexistent/x.csv', ...small], 'sim: --out /nonexistent/x.csv: cannot write it (ENOENT)'],
    ];
    for (const [argv, expected] of cases) {
      const result = await simInProcess(['--engine', 'cpu', ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(onlyLine(result.stderr)).toMatch(expected);
      expect(result.stdout).toBe('');
    }
  });

  it('fails with exit code 1 and one line when the engine asked for cannot run', async () => {
    const noGpu: typeof createEngine = async () => {
      throw new EngineUnavailableError('--engine gpu: no GPU adapter found; use --engine cpu (or auto)');
    };
    const result = await simInProcess(['--engine', 'gpu', ...small], {}, noGpu);
    expect(result.code).toBe(1);
    expect(onlyLine(result.stderr)).toBe('sim: --engine gpu: no GPU adapter found; use --engine cpu (or auto)');
  });
});

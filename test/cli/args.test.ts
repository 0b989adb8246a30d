import { describe, expect, it } from 'vitest';
import { usageMessage } from './helpers.ts';
import { formatFromPath, parseSetArg, parseSimArgs, parseSweepArg } from '../../src/cli/args.ts';
import { buildExperiment } from '../../src/cli/experiment.ts';
import { defaultConfig, resolveGroups } from '../../src/core/config.ts';

describe('parseSimArgs', () => {
  it('has sensible defaults', () => {
    expect(parseSimArgs([])).toEqual({
      help: false, preset: null, configFile: null, sets: [], sweeps: [], seeds: null,
      engine: 'auto', out: null, format: 'csv', agentsOut: null, stopWhen: null, shard: null, quiet: false,
    });
  });

  it('reads every flag, with the value after a space or an =', () => {
    const args = parseSimArgs([
      '--preset', 'testbed', '--config=c.json', '--set', 'lr=0.3', '--set=baseline=none',
      '--sweep', 'offset=0,4', '--engine', 'cpu', '-o', 'run.json', '-q',
    ]);
    expect(args.preset).toBe('testbed');
    expect(args.configFile).toBe('c.json');
    expect(args.sets.map((s) => [s.key, s.value])).toEqual([['lr', 0.3], ['baseline', 'none']]);
    expect(args.sweeps).toEqual([{ key: 'offset', values: [0, 4] }]);
    expect(args.engine).toBe('cpu');
    expect(args.out).toBe('run.json');
    expect(args.format).toBe('json');
    expect(args.quiet).toBe(true);
    expect(parseSimArgs(['-h']).help).toBe(true);
  });

  it('takes the format from --out, else from --format, else csv', () => {
    expect(parseSimArgs(['--out', 'x.CSV']).format).toBe('csv');
    expect(parseSimArgs(['--out', 'x.json']).format).toBe('json');
    expect(parseSimArgs(['--format', 'json']).format).toBe('json');
    expect(parseSimArgs(['--out', 'x.dat', '--format', 'json']).format).toBe('json');
    expect(usageMessage(() => parseSimArgs(['--out', 'x.dat']))).toMatch(/^--out x\.dat: cannot tell the format/);
    expect(usageMessage(() => parseSimArgs(['--out', 'x.csv', '--format', 'json']))).toBe('--format json: contradicts --out x.csv');
    expect(formatFromPath('dir.json/run')).toBeNull();
  });

  it('takes --out - as stdout, with --format for the format', () => {
    expect(parseSimArgs(['--out', '-']).out).toBeNull();
    expect(parseSimArgs(['--out', '-', '--format', 'json']).format).toBe('json');
    expect(parseSimArgs(['-o', '-']).format).toBe('csv');
  });

  it('rejects bad flags, naming them', () => {
    expect(usageMessage(() => parseSimArgs(['--foo']))).toBe('unknown flag --foo (see sim --help)');
    expect(usageMessage(() => parseSimArgs(['--foo=1']))).toBe('unknown flag --foo (see sim --help)');
    expect(usageMessage(() => parseSimArgs(['run']))).toMatch(/^unexpected argument "run"/);
    expect(usageMessage(() => parseSimArgs(['--preset']))).toBe('--preset needs a value');
    expect(usageMessage(() => parseSimArgs(['--set', '--quiet']))).toBe('--set needs a value');
    expect(usageMessage(() => parseSimArgs(['--preset', 'a', '--preset', 'b']))).toBe('--preset given twice');
    expect(usageMessage(() => parseSimArgs(['--quiet=yes']))).toBe('--quiet takes no value, got "yes"');
    expect(usageMessage(() => parseSimArgs(['--engine', 'tpu']))).toBe('--engine: must be one of auto, cpu, gpu, got "tpu"');
    expect(usageMessage(() => parseSimArgs(['--format', 'xml']))).toBe('--format: must be one of csv, json, got "xml"');
  });

  it('names the flag as the user wrote it when it is unknown, by its long name otherwise', () => {
    expect(usageMessage(() => parseSimArgs(['-x']))).toBe('unknown flag -x (see sim --help)');
    expect(usageMessage(() => parseSimArgs(['--no-quiet']))).toBe('unknown flag --no-quiet (see sim --help)');
    expect(usageMessage(() => parseSimArgs(['--quiet', '--engin', 'cpu']))).toBe('unknown flag --engin (see sim --help)');
    expect(usageMessage(() => parseSimArgs(['-o']))).toBe('--out needs a value');
    expect(usageMessage(() => parseSimArgs(['-o', 'a.csv', '--out', 'b.csv']))).toBe('--out given twice');
    expect(usageMessage(() => parseSimArgs(['--help=1']))).toBe('--help takes no value, got "1"');
  });

  it('refuses words that are not flags, a lone -- included', () => {
    expect(usageMessage(() => parseSimArgs(['--quiet', 'run']))).toBe('unexpected argument "run" (flags start with --; see sim --help)');
    expect(usageMessage(() => parseSimArgs(['-']))).toBe('unexpected argument "-" (flags start with --; see sim --help)');
    expect(usageMessage(() => parseSimArgs(['--']))).toBe('unexpected argument "--" (flags start with --; see sim --help)');
    expect(usageMessage(() => parseSimArgs(['--', '--quiet']))).toBe('unexpected argument "--" (flags start with --; see sim --help)');
  });

  it('takes a value that looks like a flag only after an =', () => {
    expect(usageMessage(() => parseSimArgs(['--set', '--']))).toBe('--set needs a value');
    expect(usageMessage(() => parseSimArgs(['--out', '-x.csv']))).toBe('--out -x.csv: a value that starts with "-" is written --out=-x.csv');
    expect(usageMessage(() => parseSimArgs(['-o', '-x.csv']))).toBe('--out -x.csv: a value that starts with "-" is written --out=-x.csv');
    expect(parseSimArgs(['--out=-x.csv']).out).toBe('-x.csv');
    expect(parseSimArgs(['--set=offset=-4']).sets.map((s) => s.value)).toEqual([-4]);
  });

  it('accepts short flags together and a value right after a short flag', () => {
    expect(parseSimArgs(['-qh'])).toMatchObject({ quiet: true, help: true });
    expect(parseSimArgs(['-orun.json']).out).toBe('run.json');
  });
});

describe('--set', () => {
  it('parses any schema key as the URL hash writes it', () => {
    expect(parseSetArg('arms=3')).toMatchObject({ key: 'arms', value: 3 });
    expect(parseSetArg('means=0,0.5,1')).toMatchObject({ key: 'means', value: [0, 0.5, 1] });
    expect(parseSetArg('offset=-4')).toMatchObject({ key: 'offset', value: -4 });
  });

  it('names the key and the range in errors', () => {
    expect(usageMessage(() => parseSetArg('lr=abc'))).toBe('--set lr: must be a number in [0.0001, 100], got "abc"');
    expect(usageMessage(() => parseSetArg('arms=2.5'))).toBe('--set arms: must be an integer in [2, 64], got "2.5"');
    expect(usageMessage(() => parseSetArg('baseline=mean'))).toMatch(/^--set baseline: must be one of none, average/);
    expect(usageMessage(() => parseSetArg('lrate=1'))).toMatch(/^--set lrate: unknown key/);
    expect(usageMessage(() => parseSetArg('lr'))).toMatch(/^--set "lr": expected key=value/);
  });
});

describe('--sweep', () => {
  it('splits values by commas, and lists (means) by semicolons', () => {
    expect(parseSweepArg('lr=0.1,0.4')).toEqual({ key: 'lr', values: [0.1, 0.4] });
    expect(parseSweepArg('baseline=none,average-inclusive')).toEqual({ key: 'baseline', values: ['none', 'average-inclusive'] });
    expect(parseSweepArg('means=0,1;1,0')).toEqual({ key: 'means', values: [[0, 1], [1, 0]] });
  });

  it('rejects shared keys, bad values and repeats', () => {
    expect(usageMessage(() => parseSweepArg('arms=2,3'))).toMatch(/^--sweep arms: is shared by all groups/);
    expect(usageMessage(() => parseSweepArg('lr=0.1,x'))).toBe('--sweep lr: value 2 must be a number in [0.0001, 100], got "x"');
    expect(usageMessage(() => parseSweepArg('lr=0.1,,0.2'))).toMatch(/^--sweep lr: value 2 is empty/);
    expect(usageMessage(() => parseSimArgs(['--sweep', 'lr=1', '--sweep', 'lr=2']))).toBe('--sweep lr: swept twice');
  });
});

describe('buildExperiment', () => {
  const build = (argv: string[], files: Record<string, string> = {}) =>
    buildExperiment(parseSimArgs(argv), (path) => {
      if (!(path in files)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return files[path];
    });

  it('applies preset, then config file, then --set, then sweeps', () => {
    const file = JSON.stringify({ lr: 0.2, agents: 64, steps: 40 });
    const { config, warnings } = build(
      ['--sweep', 'noise=0,1', '--set', 'steps=30', '--config', 'c.json', '--preset', 'baseline-on-off'],
      { 'c.json': file },
    );
    expect(warnings).toEqual([]);
    expect(config.params).toMatchObject({ arms: 3, means: [-1, 0, 1], offset: 10, lr: 0.2, agents: 64, steps: 30 });
    expect(config.groups).toEqual([
      { baseline: 'average', noise: 0 }, { baseline: 'average', noise: 1 },
      { baseline: 'none', noise: 0 }, { baseline: 'none', noise: 1 },
    ]);
  });

  it('lets --set reach every group that does not override the key, and says which do', () => {
    const { config, warnings } = build(['--preset', 'testbed-baseline', '--set', 'lr=0.2', '--set', 'agents=10']);
    expect(resolveGroups(config).map((g) => [g.lr, g.agents])).toEqual([[0.1, 10], [0.1, 10], [0.4, 10], [0.4, 10]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^--set lr=0\.2 does not reach groups 0, 1, 2, 3/);
  });

  it('starts from the defaults without a preset', () => {
    expect(build([]).config).toEqual(defaultConfig());
  });

  it('names the key or flag when the result does not validate', () => {
    expect(usageMessage(() => build(['--preset', 'nope']))).toMatch(/^unknown preset "nope" \(known: baseline-on-off, lesson-mini-challenge, /);
    expect(usageMessage(() => build(['--preset', 'lesson-mini-challenge', '--set', 'arms=3', '--set', 'armNames=']))).toBe(
      'means: needs one value per arm (arms=3), got 2',
    );
    expect(usageMessage(() => build(['--config', 'c.json'], { 'c.json': '{"lr": "fast"}' }))).toBe(
      '--config c.json: lr: must be a number in [0.0001, 100], got "fast"',
    );
    expect(usageMessage(() => build(['--config', 'c.json'], { 'c.json': '{"lr": 0.1,}' }))).toMatch(
      /^--config c\.json: not valid JSON/,
    );
    expect(usageMessage(() => build(['--config', 'gone.json']))).toBe('--config gone.json: cannot read it (ENOENT)');
    expect(usageMessage(() => build(['--sweep', 'lr=1,2,3,4,5', '--sweep', 'noise=0,1,2,3']))).toBe(
      '--sweep: 5 x 4 = 20 groups, at most 16',
    );
    expect(usageMessage(() => build(['--set', 'env=fixed', '--set', 'arms=2', '--sweep', 'means=0,1;0,1,2']))).toBe(
      '--sweep: groups[1].means: needs one value per arm (arms=2), got 3',
    );
  });

  it('warns when steps leave a partial window', () => {
    expect(build(['--set', 'steps=10', '--set', 'window=3']).warnings).toEqual([
      'steps (10) is not a multiple of window (3): the last 1 steps make no row',
    ]);
  });
});

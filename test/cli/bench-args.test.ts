import { describe, expect, it } from 'vitest';
import { usageMessage } from './helpers.ts';
import { kBenchFlags, kBenchUsage, parseBenchArgs } from '../../bench/args.ts';

describe('parseBenchArgs', () => {
  it('has the defaults the benchmark always had', () => {
    expect(parseBenchArgs([])).toEqual({
      help: false, agentCounts: [2000, 100_000, 1_000_000], seconds: 2, jsonFile: undefined,
      engines: ['cpu', 'cpu-workers', 'gpu', 'gpu-nostats', 'gpu-naive'], repeat: 1, windows: [10], timing: false, gpuOptions: {},
      sections: ['engines', 'algorithms', 'lab'],
    });
  });

  it('reads every flag', () => {
    const args = parseBenchArgs([
      '--agents', '2000,1e6', '--seconds', '0.5', '--json', 'out.jsonl', '--software', '--engines', 'gpu,gpu-naive',
      '--repeat', '3', '--every=10,100', '--timing', '--gpu-options', '{"finalize":"parallel","subgroups":false}',
      '--sections', 'engines,lab',
    ]);
    expect(args).toEqual({
      help: false, agentCounts: [2000, 1_000_000], seconds: 0.5, jsonFile: 'out.jsonl', engines: ['gpu', 'gpu-naive'],
      repeat: 3, windows: [10, 100], timing: true, gpuOptions: { finalize: 'parallel', subgroups: false }, sections: ['engines', 'lab'],
    });
    expect(usageMessage(() => parseBenchArgs(['--sections', 'engines,ppo']))).toBe('--sections: value 2 must be one of engines, algorithms, lab, got "ppo"');
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });

  it('lists every flag in --help', () => {
    for (const name of Object.keys(kBenchFlags)) expect(kBenchUsage).toContain(`--${name} `);
  });

  it('rejects a mistyped flag, naming it', () => {
    expect(usageMessage(() => parseBenchArgs(['--agnets', '100']))).toBe('unknown flag --agnets (see bench --help)');
    expect(usageMessage(() => parseBenchArgs(['--seconds']))).toBe('--seconds needs a value');
    expect(usageMessage(() => parseBenchArgs(['--timing=yes']))).toBe('--timing takes no value, got "yes"');
    expect(usageMessage(() => parseBenchArgs(['--repeat', '2', '--repeat', '3']))).toBe('--repeat given twice');
    expect(usageMessage(() => parseBenchArgs(['100']))).toBe('unexpected argument "100" (flags start with --; see bench --help)');
  });

  it('rejects bad numbers', () => {
    expect(usageMessage(() => parseBenchArgs(['--seconds', 'abc']))).toBe('--seconds: must be a positive number, got "abc"');
    expect(usageMessage(() => parseBenchArgs(['--seconds', '0']))).toBe('--seconds: must be a positive number, got "0"');
    expect(usageMessage(() => parseBenchArgs(['--repeat', '2.5']))).toBe('--repeat: must be a positive integer, got "2.5"');
    expect(usageMessage(() => parseBenchArgs(['--agents', '2000,x']))).toBe('--agents: value 2 must be an integer in [1, 16777216], got "x"');
    expect(usageMessage(() => parseBenchArgs(['--agents', '0']))).toBe('--agents: must be an integer in [1, 16777216], got "0"');
    expect(usageMessage(() => parseBenchArgs(['--every', '10,1']))).toBe('--every: value 2 must be an integer of at least 2, got "1"');
  });

  it('rejects a bad engine list', () => {
    expect(usageMessage(() => parseBenchArgs(['--engines', 'cpu,gpu-nostat']))).toBe(
      '--engines: value 2 must be one of cpu, cpu-workers, gpu, gpu-nostats, gpu-naive, got "gpu-nostat"',
    );
    expect(usageMessage(() => parseBenchArgs(['--engines', '']))).toBe(
      '--engines: must be one of cpu, cpu-workers, gpu, gpu-nostats, gpu-naive, got ""',
    );
  });

  it('rejects --gpu-options that the engine would ignore or misread', () => {
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{finalize:1}']))).toMatch(/^--gpu-options: not a JSON object \(/);
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '[]']))).toMatch(/^--gpu-options: not a JSON object, got \[\]/);
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{"finalise":"serial"}']))).toMatch(
      /^--gpu-options finalise: unknown option \(known: stats, maxStepsPerDispatch, /,
    );
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{"finalize":"fast"}']))).toBe(
      '--gpu-options finalize: must be one of "serial", "parallel", got "fast"',
    );
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{"subgroups":0}']))).toBe('--gpu-options subgroups: must be true or false, got 0');
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{"maxStepsPerDispatch":0}']))).toBe(
      '--gpu-options maxStepsPerDispatch: must be a positive integer, got 0',
    );
    expect(usageMessage(() => parseBenchArgs(['--gpu-options', '{"timing":true}']))).toBe('--gpu-options timing: use --timing');
  });
});

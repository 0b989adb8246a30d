/**
 * Fixed `sim` runs whose CSV output is kept byte for byte (test/golden/*.csv): a refactor that
 * claims to change nothing proves it against them. Between them they cover every baseline mode
 * and environment, both ways a running baseline starts, two groups each, windows 1 and 7 (mean and last-step rows), k = 2, 3 and 10,
 * and populations that are not a multiple of the workgroup size. Record them with
 * `npx tsx scripts/record-goldens.ts` only when a change is meant to alter the output, and say so
 * in the commit.
 */
import type { GpuEngineOptions } from '../../src/gpu/gpu-engine.ts';

export interface GoldenCase {
  name: string;
  argv: string[];
}

export const kGoldenCases: readonly GoldenCase[] = [
  {
    name: 'k2-fixed-w1',
    argv: ['--set', 'arms=2', '--set', 'env=fixed', '--set', 'means=0,1', '--set', 'noise=0.5', '--set', 'agents=100',
      '--set', 'steps=60', '--set', 'window=1', '--set', 'seed=7', '--sweep', 'baseline=none,average'],
  },
  {
    name: 'k3-bernoulli-w7',
    argv: ['--set', 'arms=3', '--set', 'env=bernoulli', '--set', 'means=0.2,0.5,0.8', '--set', 'agents=70',
      '--set', 'steps=300', '--set', 'window=7', '--set', 'lr=0.3', '--set', 'baselineRate=0.2', '--set', 'baselineStart=init',
      '--set', 'baselineInit=0.5',
      '--sweep', 'baseline=average-inclusive,ema'],
  },
  {
    name: 'k10-gaussian-w7-last',
    argv: ['--set', 'arms=10', '--set', 'env=gaussian', '--set', 'offset=4', '--set', 'agents=130', '--set', 'steps=300',
      '--set', 'window=7', '--set', 'windowStats=last', '--set', 'seed=3', '--sweep', 'baseline=ema,none'],
  },
  {
    name: 'k10-gaussian-w1',
    argv: ['--set', 'arms=10', '--set', 'env=gaussian', '--set', 'agents=90', '--set', 'steps=40', '--set', 'window=1',
      '--set', 'lr=0.3', '--set', 'temperature=0.5', '--sweep', 'baseline=average,average-inclusive'],
  },
  {
    name: 'k3-fixed-groups-differ',
    argv: ['--set', 'arms=3', '--set', 'env=fixed', '--set', 'means=1,2,3', '--set', 'offset=10', '--set', 'steps=50',
      '--set', 'window=7', '--sweep', 'agents=65,33', '--sweep', 'scale=1,0.5'],
  },
];

/** The GPU engine's other code paths, each recorded for the cases named. */
export const kGpuVariants: readonly { name: string; options: GpuEngineOptions; cases: readonly string[] }[] = [
  { name: 'workgroup', options: { subgroups: false }, cases: ['k10-gaussian-w7-last', 'k3-bernoulli-w7'] },
  { name: 'parallel', options: { finalize: 'parallel', finalizeBlockRecords: 2 }, cases: ['k10-gaussian-w1', 'k3-fixed-groups-differ'] },
  { name: 'naive', options: { maxStepsPerDispatch: 1, maxRowsPerDispatch: 1 }, cases: ['k3-bernoulli-w7'] },
];

export function goldenFile(caseName: string, engine: string): string {
  return new URL(`./${caseName}.${engine}.csv`, import.meta.url).pathname;
}

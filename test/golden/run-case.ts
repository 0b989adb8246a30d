/** Runs a golden case through `sim` in this process, on the CPU engine or on a given GPU device. */
import type { createEngine } from '../../src/cli/engines.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { GpuEngine, type GpuEngineOptions } from '../../src/gpu/gpu-engine.ts';
import { simInProcess } from '../cli/helpers.ts';
import type { GoldenCase } from './cases.ts';

export type GoldenEngine = { kind: 'cpu' } | { kind: 'gpu'; context: GpuContext; options: GpuEngineOptions };

export async function goldenCsv(golden: GoldenCase, engine: GoldenEngine): Promise<string> {
  const makeEngine: typeof createEngine | undefined =
    engine.kind === 'gpu'
      ? async (_kind, config) => ({ engine: await GpuEngine.create(config, engine.context, engine.options), note: null })
      : undefined;
  const result = await simInProcess([...golden.argv, '--engine', engine.kind, '--quiet'], {}, makeEngine);
  if (result.code !== 0) throw new Error(`golden case ${golden.name} failed: ${result.stderr}`);
  return result.stdout;
}

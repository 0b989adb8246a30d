/**
 * The one place `sim` turns an engine choice into an engine: the CPU reference engine, or the
 * GPU engine (src/gpu) on Dawn through the `webgpu` package.
 */
import type { ExperimentConfig } from '../core/config.ts';
import { CpuEngine } from '../core/cpu-engine.ts';
import type { Engine } from '../core/engine.ts';
import type { EngineChoice } from './args.ts';
import { EngineUnavailableError } from './errors.ts';
import { registerRawLoader } from './raw-loader.ts';

export interface CreatedEngine {
  engine: Engine;
  /** For `auto`: which engine it took and why, one line for stderr. Null when asked for by name. */
  note: string | null;
}

/**
 * `allowSoftware`: `--engine gpu` takes SwiftShader where there is no GPU (correct, not fast);
 * `auto` wants a real GPU and otherwise prefers the CPU engine.
 */
async function createGpuEngine(config: ExperimentConfig, allowSoftware: boolean): Promise<Engine> {
  // Loaded only when asked for: CPU runs never touch Dawn or the shaders.
  registerRawLoader();
  const [{ openNodeGpu }, { GpuEngine }, { GpuUnavailableError }] = await Promise.all([
    import('../gpu/node-gpu.ts'),
    import('../gpu/gpu-engine.ts'),
    import('../gpu/device.ts'),
  ]);
  try {
    const context = await openNodeGpu({ allowSoftware });
    return await GpuEngine.create(config, context);
  } catch (error) {
    if (error instanceof GpuUnavailableError) throw new EngineUnavailableError(error.message);
    throw error;
  }
}

/** Throws EngineUnavailableError when `gpu` is asked for and cannot run. */
export async function createEngine(kind: EngineChoice, config: ExperimentConfig): Promise<CreatedEngine> {
  switch (kind) {
    case 'cpu':
      return { engine: new CpuEngine(config), note: null };
    case 'gpu':
      try {
        return { engine: await createGpuEngine(config, true), note: null };
      } catch (error) {
        if (error instanceof EngineUnavailableError) {
          throw new EngineUnavailableError(`--engine gpu: ${error.message}; use --engine cpu (or auto)`);
        }
        throw error;
      }
    case 'auto': {
      try {
        const engine = await createGpuEngine(config, false);
        return { engine, note: `engine: gpu (${engine.description})` };
      } catch (error) {
        if (!(error instanceof EngineUnavailableError)) throw error;
        const engine = new CpuEngine(config);
        return { engine, note: `engine: cpu (${engine.description}); gpu unavailable: ${error.message}` };
      }
    }
  }
}

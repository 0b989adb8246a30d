/**
 * Where the page's engine runs: WebGPU where the device gate opens a device, else the CPU
 * reference engine in a Web Worker. The page asks for an engine per run (reset builds a new one
 * from the same config: same seed, same initial state).
 */
import type { ExperimentConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { GpuEngine } from '../gpu/gpu-engine.ts';
import { type GpuContext, type GpuStep, GpuUnavailableError, kGpuSteps, openGpu } from '../gpu/device.ts';
import { WorkerEngine } from '../worker/worker-engine.ts';

export type Backend =
  | { readonly kind: 'gpu'; readonly context: GpuContext }
  | { readonly kind: 'cpu'; readonly reason: string; readonly step?: GpuStep };

/** Page defaults for the population when the link does not say: the GPU takes more agents. */
export const kGpuDefaultAgents = 10_000;
export const kCpuDefaultAgents = 2_000;

export function defaultAgents(backend: Backend): number {
  return backend.kind === 'gpu' ? kGpuDefaultAgents : kCpuDefaultAgents;
}

/** Opens WebGPU through the device gate; never throws: a failure is the CPU fallback's reason. */
export async function openBackend(gpu: GPU | undefined): Promise<Backend> {
  try {
    return { kind: 'gpu', context: await openGpu(gpu) };
  } catch (error) {
    return { kind: 'cpu', reason: errorText(error), step: gpuStep(error) };
  }
}

/** Builds an engine; a GpuUnavailableError means "fall back", a ConfigError "this config cannot run here". */
export async function createEngine(backend: Backend, config: ExperimentConfig): Promise<Engine> {
  if (backend.kind === 'gpu') return GpuEngine.create(config, backend.context);
  return WorkerEngine.create(config);
}

/** What went wrong, in one line for the page. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isGpuFailure(error: unknown): boolean {
  return error instanceof GpuUnavailableError;
}

/**
 * Roughly how many agents in all fit this device's buffers (k + 2 floats each); the engine's own
 * check has the last word. The agents slider stops here.
 */
export function deviceAgentLimit(backend: Backend, arms: number): number | null {
  if (backend.kind !== 'gpu') return null;
  const limits = backend.context.device.limits;
  const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return Math.floor(bytes / ((arms + 2) * 4) / 256) * 256;
}

/** The step a GPU failure happened at ('run' for anything else). */
export function gpuStep(error: unknown): GpuStep {
  return error instanceof GpuUnavailableError ? error.step : 'run';
}

/**
 * One line for the page when WebGPU fails: the step that failed, why, and what runs instead, so
 * a failure is never a blank page or a silently slow one.
 */
export function fallbackText(step: GpuStep, reason: string, restarted: boolean): string {
  return `WebGPU failed at step “${kGpuSteps[step]}”: ${reason}. ${restarted ? 'Restarted from step 1 on' : 'Running'} the CPU engine in a Web Worker instead.`;
}

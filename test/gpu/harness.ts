/**
 * Real devices, no mocks: Dawn in Node (SwiftShader where there is no GPU). Without an adapter
 * these tests fail loudly; they never skip.
 */
import { expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { openNodeGpu } from '../../src/gpu/node-gpu.ts';

let shared: Promise<GpuContext> | null = null;

/** One device per test file (the adapter stays referenced for the file's lifetime). */
export function testGpu(): Promise<GpuContext> {
  shared ??= openNodeGpu({ allowSoftware: true });
  return shared;
}

/** Runs `body` inside validation and out-of-memory error scopes and fails on anything captured. */
export async function withErrorScopes<T>(device: GPUDevice, body: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let result: T;
  try {
    result = await body();
  } finally {
    const outOfMemory = await device.popErrorScope();
    const validation = await device.popErrorScope();
    expect(outOfMemory?.message ?? null).toBeNull();
    expect(validation?.message ?? null).toBeNull();
  }
  return result;
}

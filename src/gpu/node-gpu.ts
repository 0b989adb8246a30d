/**
 * WebGPU in Node through Dawn (the `webgpu` package). Node only: the page never imports this.
 *
 * Where the machine has a GPU with a Vulkan driver, Dawn finds it. Where it has none, Debian's
 * chromium ships SwiftShader (a Vulkan driver on the CPU) that Dawn finds only through
 * VK_ICD_FILENAMES; `allowSoftware` sets that for this process when nothing else is found.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuUnavailableError, type GpuContext, openGpu } from './device.ts';

export const kSwiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn crashes at random if its instance is garbage-collected while a device is in use.
const keepAlive: unknown[] = [];

async function loadDawn(): Promise<{ create: (flags: string[]) => GPU }> {
  // Vulkan's loader complains on stderr without it; any private directory will do.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'pgp-runtime-'));
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    return dawn;
  } catch (error) {
    throw new GpuUnavailableError(
      `cannot load Dawn (npm package "webgpu"): ${(error as Error).message}. ` +
        'Dawn needs the Vulkan loader: apt-get install -y libvulkan1',
    );
  }
}

export interface NodeGpuOptions {
  /** Fall back to SwiftShader when no hardware adapter is found. */
  allowSoftware: boolean;
}

export async function openNodeGpu(options: NodeGpuOptions): Promise<GpuContext> {
  const dawn = await loadDawn();
  // An adapter that refused a device: said in the final message, so the reason is not lost.
  let refusal = '';
  const tryOpen = async (): Promise<GpuContext | null> => {
    // Timestamp quantization is a browser's guard against timing attacks; here it would only blur
    // GpuEngine's `timing` option.
    const gpu = dawn.create(['disable-dawn-features=timestamp_quantization']);
    keepAlive.push(gpu);
    try {
      const context = await openGpu(gpu);
      // Dawn's binding polls pending maps with setImmediate (see readback-pacer.ts).
      context.busyPollingMaps = true;
      keepAlive.push(context);
      return context;
    } catch (error) {
      if (!(error instanceof GpuUnavailableError)) throw error;
      if (error.step === 'device') refusal = ` (${error.message})`;
      return null;
    }
  };
  const found = await tryOpen();
  if (found && (!found.software || options.allowSoftware)) return found;
  if (!options.allowSoftware) {
    throw new GpuUnavailableError(found ? `only a software adapter: ${found.adapterDescription}` : `no GPU adapter found${refusal}`);
  }
  if (process.env.VK_ICD_FILENAMES !== kSwiftShaderIcd) {
    if (!existsSync(kSwiftShaderIcd)) {
      throw new GpuUnavailableError(
        'no GPU adapter, and no SwiftShader to fall back to: apt-get install -y chromium libvulkan1',
      );
    }
    process.env.VK_ICD_FILENAMES = kSwiftShaderIcd;
    const software = await tryOpen();
    if (software) return software;
  }
  throw new GpuUnavailableError(
    `no GPU adapter found${refusal} (tried SwiftShader too): is libvulkan1 installed? apt-get install -y chromium libvulkan1`,
  );
}

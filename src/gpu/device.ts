/**
 * The one device gate: every engine gets its GPUDevice here. It handles a missing WebGPU, a null
 * adapter, limits, device loss and uncaptured errors, and says in words what went wrong.
 */

/**
 * The steps from a page to a running GPU engine, in order. A failure names its step, so the page
 * can say where WebGPU stopped (and a user or a bug report knows what to look at).
 */
export const kGpuSteps = {
  api: 'WebGPU in this browser',
  adapter: 'finding a GPU adapter',
  device: 'opening a device on the adapter',
  lost: 'keeping the device',
  run: 'running the GPU engine',
} as const;

export type GpuStep = keyof typeof kGpuSteps;

export class GpuUnavailableError extends Error {
  /** Where it failed (errors raised while an engine runs default to `run`). */
  readonly step: GpuStep;

  constructor(message: string, step: GpuStep = 'run') {
    super(message);
    this.name = 'GpuUnavailableError';
    this.step = step;
  }
}

export interface GpuContext {
  /** Kept reachable on purpose: Dawn in Node crashes if the adapter is collected while in use. */
  adapter: GPUAdapter;
  device: GPUDevice;
  /** e.g. "google swiftshader (software)" or "nvidia hopper". */
  adapterDescription: string;
  /** A CPU implementation of WebGPU (SwiftShader): correct, but no faster than the CPU engine. */
  software: boolean;
  /** The device has the `subgroups` feature (the agent kernel then reduces without memory traffic). */
  subgroups: boolean;
  /** The device has `timestamp-query` (GpuEngine's `timing` option: GPU time per pass). */
  timestamps: boolean;
  /** The smallest subgroup the adapter may use (4, WebGPU's minimum, where it does not say). */
  subgroupMinSize: number;
  /** Waiting on a map busy-polls this thread (Dawn in Node): engines pace their readbacks. */
  busyPollingMaps: boolean;
  /** Resolves when the device is lost, with the reason in words. */
  lost: Promise<string>;
  /** The latest error the device reported outside an error scope, if any. */
  takeUncapturedError(): string | null;
}

function describeAdapter(info: GPUAdapterInfo | undefined): { text: string; software: boolean } {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const software =
    /swiftshader|llvmpipe|lavapipe|software/i.test(`${vendor} ${architecture} ${description}`) ||
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  const text = [vendor, architecture, device, description].filter((s) => s !== '').join(' ') || 'unknown adapter';
  return { text: software ? `${text} (software)` : text, software };
}

/** Opens a device on `gpu` (navigator.gpu in a browser, the `webgpu` package in Node). */
export async function openGpu(gpu: GPU | undefined | null): Promise<GpuContext> {
  if (!gpu) throw new GpuUnavailableError('WebGPU is not available here (no navigator.gpu)', 'api');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((error: unknown) => {
    throw new GpuUnavailableError(`requestAdapter failed: ${(error as Error).message ?? String(error)}`, 'adapter');
  });
  if (!adapter) throw new GpuUnavailableError('WebGPU found no adapter (no GPU, or it is blocked)', 'adapter');
  const limits = adapter.limits;
  const subgroups = adapter.features.has('subgroups');
  const timestamps = adapter.features.has('timestamp-query');
  const requiredFeatures: GPUFeatureName[] = [];
  if (subgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  if (timestamps) requiredFeatures.push('timestamp-query');
  // The adapter may refuse (a blocklisted driver, limits it advertised but cannot give): that is
  // its own step, not "no WebGPU".
  const device = await adapter.requestDevice({
    label: 'PolicyGradientPlayground.device',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
  }).catch((error: unknown) => {
    throw new GpuUnavailableError(`the adapter refused a device: ${(error as Error).message ?? String(error)}`, 'device');
  });
  const { text, software } = describeAdapter(adapter.info);
  let uncaptured: string | null = null;
  device.addEventListener('uncapturederror', (event) => {
    uncaptured = (event as GPUUncapturedErrorEvent).error.message;
  });
  const lost = device.lost.then((info) => `GPU device lost (${info.reason}): ${info.message || 'no reason given'}`);
  return {
    adapter,
    device,
    adapterDescription: text,
    software,
    subgroups,
    timestamps,
    subgroupMinSize: adapter.info.subgroupMinSize ?? 4,
    busyPollingMaps: false,
    lost,
    takeUncapturedError() {
      const error = uncaptured;
      uncaptured = null;
      return error;
    },
  };
}

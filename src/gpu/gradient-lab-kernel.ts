/**
 * The gradient-estimator lab on the GPU (shaders/gradient_lab.wgsl): millions of REINFORCE
 * estimates at one frozen policy per call. The CPU prepares the problem (analyzeLab: the f32
 * policy, the baselines, the projection), the GPU draws and sums, and only the per-arm sums and
 * the histograms (about 2 KB) come back; finishLabEstimate (src/core/gradient-lab.ts) turns them
 * into the same estimate the CPU reference gives.
 *
 * Owns its pipelines (one pair per arm count, built on first use), buffers and bind group; `encode`
 * records both passes into a caller's pass, and only `run` creates an encoder and submits.
 */
import {
  type HistogramRange,
  type LabAnalysis,
  type LabEstimate,
  type LabProblem,
  analyzeLab,
  emptyLabSums,
  finishLabEstimate,
  kLabBaselines,
  kMaxLabSamples,
  labHistogramMapping,
} from '../core/gradient-lab.ts';
import { kMaxArms } from '../core/schema.ts';
import { kEnvCode, kHistogramBins, kWorkgroupSize } from '../core/shared-constants.ts';
import { type GpuContext, GpuUnavailableError } from './device.ts';
import { armCapacity } from './layout.ts';
import { ReadbackPool } from './readback-pool.ts';
import { composeShader, kShaderSources } from './shaders.ts';

/** LabUniforms in gradient_lab.wgsl: 16 four-byte fields, the baselines' vec4, then one ArmParams per arm. */
export const kLabUniformsFields = [
  'samples', 'frame', 'seed', 'env', 'samplesPerInvocation', 'workgroupCount', 'pad0', 'pad1',
  'weightSum', 'offset', 'scale', 'rewardSd', 'lo', 'hi', 'binScale', 'pad2', 'baselines', 'arms',
] as const;
export const kArmParamsFields = ['weight', 'mean', 'value', 'projection'] as const;
const kArmsOffset = 16 * 4 + 16;
export const kLabUniformsBytes = kArmsOffset + kMaxArms * 16;

/** `totals` words: the baselines' histograms, their outside counts, the arm counts (as the WGSL's kOutsideAt, kCountsAt). */
const kOutsideAt = kLabBaselines.length * kHistogramBins;
const kCountsAt = kOutsideAt + kLabBaselines.length;
const kTotalsBytes = (kCountsAt + kMaxArms) * 4;
/** Bytes of the per-arm sums (one vec4<f32> per arm). */
const kSumsBytes = kMaxArms * 16;

/**
 * An invocation draws at least this many samples before the grid grows: its setup and the
 * workgroup's reduction (8 barriers an arm) are then a small share of its work.
 */
const kMinSamplesPerInvocation = 32;
/** At most this many workgroups (262 144 invocations: enough to fill a large GPU); more samples lengthen each invocation's run. */
export const kMaxLabWorkgroups = 4096;

/** The grid for `samples` samples: workgroups and each invocation's contiguous run of samples. */
export function labGrid(samples: number): { workgroups: number; samplesPerInvocation: number } {
  const workgroups = Math.min(kMaxLabWorkgroups, Math.max(1, Math.ceil(samples / (kWorkgroupSize * kMinSamplesPerInvocation))));
  return { workgroups, samplesPerInvocation: Math.ceil(samples / (workgroups * kWorkgroupSize)) };
}

export interface LabUniforms {
  samples: number;
  frame: number;
  workgroups: number;
  samplesPerInvocation: number;
  range: HistogramRange;
}

/** Writes LabUniforms (the layout test checks the offsets against the WGSL struct). */
export function packLabUniforms(target: DataView, analysis: LabAnalysis, u: LabUniforms): void {
  const mapping = labHistogramMapping(u.range);
  const words = [u.samples, u.frame, analysis.seed, kEnvCode[analysis.env], u.samplesPerInvocation, u.workgroups, 0, 0];
  words.forEach((w, i) => target.setUint32(4 * i, w >>> 0, true));
  const floats = [analysis.weightSum, analysis.offset, analysis.scale, analysis.rewardSd, mapping.lo, mapping.hi, mapping.binScale, 0];
  floats.forEach((x, i) => target.setFloat32(32 + 4 * i, x, true));
  analysis.baselines.forEach((b, m) => target.setFloat32(64 + 4 * m, b.value, true));
  for (let j = 0; j < kMaxArms; j++) {
    const at = kArmsOffset + 16 * j;
    const inside = j < analysis.arms;
    target.setFloat32(at, inside ? analysis.weights[j] : 0, true);
    target.setFloat32(at + 4, inside ? analysis.armMean[j] : 0, true);
    target.setFloat32(at + 8, inside ? analysis.armValue[j] : 0, true);
    target.setFloat32(at + 12, inside ? analysis.projection[j] : 0, true);
  }
}

interface ArmPipelines {
  accumulate: GPUComputePipeline;
  combine: GPUComputePipeline;
}

export class GpuGradientLab {
  readonly #device: GPUDevice;
  readonly #uniforms: GPUBuffer;
  readonly #uniformData = new ArrayBuffer(kLabUniformsBytes);
  readonly #sums: GPUBuffer;
  readonly #totals: GPUBuffer;
  /** (workgroup, arm) partial sums: grown when a call needs more than it holds. */
  #partials: GPUBuffer | null = null;
  #bindGroup: GPUBindGroup | null = null;
  readonly #layout: GPUBindGroupLayout;
  readonly #pipelineLayout: GPUPipelineLayout;
  readonly #modules = new Map<number, GPUShaderModule>();
  readonly #pipelines = new Map<number, ArmPipelines>();
  readonly #pool: ReadbackPool;
  #lostReason: string | null = null;
  #disposed = false;

  private constructor(context: GpuContext) {
    const device = context.device;
    this.#device = device;
    const S = GPUBufferUsage;
    this.#uniforms = device.createBuffer({ label: 'GpuGradientLab.uniforms', size: kLabUniformsBytes, usage: S.UNIFORM | S.COPY_DST });
    this.#sums = device.createBuffer({ label: 'GpuGradientLab.sums', size: kSumsBytes, usage: S.STORAGE | S.COPY_SRC });
    this.#totals = device.createBuffer({ label: 'GpuGradientLab.totals', size: kTotalsBytes, usage: S.STORAGE | S.COPY_SRC | S.COPY_DST });
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    this.#layout = device.createBindGroupLayout({
      label: 'GpuGradientLab.bindGroupLayout',
      entries: [entry(0, 'uniform'), entry(1, 'storage'), entry(2, 'storage'), entry(3, 'storage')],
    });
    this.#pipelineLayout = device.createPipelineLayout({ label: 'GpuGradientLab.pipelineLayout', bindGroupLayouts: [this.#layout] });
    this.#pool = new ReadbackPool(device, 'GpuGradientLab.readback');
    void context.lost.then((reason) => {
      this.#lostReason = reason;
    });
  }

  static create(context: GpuContext): GpuGradientLab {
    return new GpuGradientLab(context);
  }

  /** The pipelines for `arms` arms (the private arrays' size and the arm loops' bound are constants of the module). */
  #pipelinesFor(arms: number): ArmPipelines {
    const cached = this.#pipelines.get(arms);
    if (cached) return cached;
    const capacity = armCapacity(arms);
    let module = this.#modules.get(capacity);
    if (!module) {
      module = this.#device.createShaderModule({ label: `GpuGradientLab.module${capacity}`, code: composeShader(kShaderSources.gradientLab, capacity) });
      this.#modules.set(capacity, module);
    }
    const make = (entryPoint: string) =>
      this.#device.createComputePipeline({
        label: `GpuGradientLab.${entryPoint}${arms}`,
        layout: this.#pipelineLayout,
        compute: { module, entryPoint, constants: { kArms: arms } },
      });
    const pipelines = { accumulate: make('accumulateSamples'), combine: make('combinePartials') };
    this.#pipelines.set(arms, pipelines);
    return pipelines;
  }

  /** Grows the partial sums (and rebuilds the bind group) when `bytes` exceed them; otherwise nothing. */
  #ensurePartials(bytes: number): GPUBindGroup {
    if (this.#partials && this.#bindGroup && this.#partials.size >= bytes) return this.#bindGroup;
    this.#partials?.destroy();
    this.#partials = this.#device.createBuffer({ label: 'GpuGradientLab.partials', size: bytes, usage: GPUBufferUsage.STORAGE });
    this.#bindGroup = this.#device.createBindGroup({
      label: 'GpuGradientLab.bindGroup',
      layout: this.#layout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniforms } },
        { binding: 1, resource: { buffer: this.#partials } },
        { binding: 2, resource: { buffer: this.#sums } },
        { binding: 3, resource: { buffer: this.#totals } },
      ],
    });
    return this.#bindGroup;
  }

  /**
   * Records the draws and the combination of the partials for `arms` arms into a caller's pass,
   * from the uniforms `run` wrote for this call (`totals` must have been cleared before the pass).
   */
  encode(pass: GPUComputePassEncoder, arms: number, workgroups: number): void {
    const pipelines = this.#pipelinesFor(arms);
    pass.setBindGroup(0, this.#ensurePartials(workgroups * arms * 16));
    pass.setPipeline(pipelines.accumulate);
    pass.dispatchWorkgroups(workgroups);
    pass.setPipeline(pipelines.combine);
    pass.dispatchWorkgroups(1);
  }

  #checkHealthy(): void {
    if (this.#disposed) throw new Error('GpuGradientLab used after dispose()');
    if (this.#lostReason) throw new GpuUnavailableError(this.#lostReason);
  }

  /**
   * `samples` estimates at the problem's policy, drawn as estimateGradientsCpu draws them (the
   * same random numbers: call `frame`, sample i), histograms over `range`.
   */
  async run(problem: LabProblem, samples: number, frame: number, range: HistogramRange): Promise<LabEstimate> {
    this.#checkHealthy();
    if (!Number.isInteger(samples) || samples < 1 || samples > kMaxLabSamples) throw new RangeError(`gradient lab: samples: must be an integer in [1, 2^31], got ${samples}`);
    if (!Number.isInteger(frame) || frame < 0 || frame > 0xffffffff) throw new RangeError(`gradient lab: frame: must be a u32, got ${frame}`);
    const analysis = analyzeLab(problem);
    const k = analysis.arms;
    const { workgroups, samplesPerInvocation } = labGrid(samples);
    packLabUniforms(new DataView(this.#uniformData), analysis, { samples, frame, workgroups, samplesPerInvocation, range });
    this.#device.queue.writeBuffer(this.#uniforms, 0, this.#uniformData);

    const sumsBytes = k * 16;
    const staging = this.#pool.acquire(kSumsBytes + kTotalsBytes);
    const encoder = this.#device.createCommandEncoder({ label: 'GpuGradientLab.run' });
    encoder.clearBuffer(this.#totals);
    const pass = encoder.beginComputePass({ label: 'GpuGradientLab.pass' });
    this.encode(pass, k, workgroups);
    pass.end();
    encoder.copyBufferToBuffer(this.#sums, 0, staging, 0, sumsBytes);
    encoder.copyBufferToBuffer(this.#totals, 0, staging, kSumsBytes, kTotalsBytes);
    this.#device.queue.submit([encoder.finish()]);

    // No ReadbackPacer (GpuEngine's, for Dawn's busy-polling maps in Node): it models a call's
    // time as proportional to its work, which a lab of a few calls of very different sizes (and a
    // pipeline compiled on each new arm count) does not fit; a wrong estimate sleeps for seconds.
    try {
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, kSumsBytes + kTotalsBytes);
      } catch (error) {
        this.#checkHealthy();
        throw new GpuUnavailableError(`GPU readback failed: ${(error as Error).message}`);
      }
      const mapped = staging.getMappedRange(0, kSumsBytes + kTotalsBytes);
      const noise = new Float32Array(mapped, 0, 4 * k);
      const totals = new Uint32Array(mapped, kSumsBytes, kTotalsBytes / 4);
      const sums = emptyLabSums(k, samples);
      sums.noise.set(noise);
      sums.histograms.set(totals.subarray(0, kOutsideAt));
      sums.outside.set(totals.subarray(kOutsideAt, kCountsAt));
      sums.counts.set(totals.subarray(kCountsAt, kCountsAt + k));
      return finishLabEstimate(analysis, sums, frame, range);
    } finally {
      this.#pool.release(staging);
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#uniforms.destroy();
    this.#sums.destroy();
    this.#totals.destroy();
    this.#partials?.destroy();
    this.#pool.destroy();
  }
}

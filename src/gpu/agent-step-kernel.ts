/**
 * The fused agent kernel (shaders/agent_step.wgsl): its pipeline, bind group and the buffers it
 * writes for the statistics (partial records, histograms), built once; `encode` records one
 * dispatch into a caller's pass.
 */
import { kHistogramBins } from '../core/shared-constants.ts';
import type { AgentBuffers } from './agent-buffers.ts';
import { armCapacity, kStepUniformsBytes, packStepUniforms } from './layout.ts';
import type { GpuPlan, Piece } from './plan.ts';
import { composeAgentStep, kUnrollMaxArms, unrollArmLoops } from './shaders.ts';

/** Uniform slots are this far apart so each dispatch of one submit reads its own (dynamic offset). */
const kUniformSlotBytes = 256;
/** Dispatches one submit can hold: one uniform slot each. */
export const kUniformSlots = 64;

export class AgentStepKernel {
  /** [group * rowsPerDispatch + row] histograms of pi(optimal arm) after the row's last step. */
  readonly histograms: GPUBuffer;
  readonly #partials: GPUBuffer;
  readonly #uniforms: GPUBuffer;
  readonly #uniformData = new ArrayBuffer(kUniformSlots * kUniformSlotBytes);
  readonly #uniformView = new DataView(this.#uniformData);
  readonly #pipeline: GPUComputePipeline;
  readonly #pipelineNoStats: GPUComputePipeline;
  readonly #bindGroup: GPUBindGroup;
  readonly #plan: GpuPlan;
  readonly #device: GPUDevice;

  constructor(device: GPUDevice, plan: GpuPlan, agents: AgentBuffers) {
    this.#device = device;
    this.#plan = plan;
    const k = plan.arms;
    const S = GPUBufferUsage;
    const make = (label: string, size: number, usage: number) =>
      device.createBuffer({ label: `AgentStepKernel.${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    this.#uniforms = make('uniforms', this.#uniformData.byteLength, S.UNIFORM | S.COPY_DST);
    this.#partials = make('partials', plan.withStats ? plan.rowsPerDispatch * plan.recordBytes : 16, S.STORAGE);
    const groupRows = plan.placements.length * plan.rowsPerDispatch;
    this.histograms = make('histograms', groupRows * kHistogramBins * 4, S.STORAGE | S.COPY_DST | S.COPY_SRC);

    const subgroups = plan.reduction === 'subgroups';
    const source = composeAgentStep(armCapacity(k), subgroups);
    const module = device.createShaderModule({
      label: 'AgentStepKernel.module',
      code: k <= kUnrollMaxArms ? unrollArmLoops(source, k) : source,
    });
    const storage = (type: GPUBufferBindingType): GPUBufferBindingLayout => ({ type });
    const layout = device.createBindGroupLayout({
      label: 'AgentStepKernel.bindGroupLayout',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: kStepUniformsBytes } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: storage('read-only-storage') },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: storage('storage') },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: storage('storage') },
        { binding: 4, visibility: GPUShaderStage.COMPUTE, buffer: storage('storage') },
        { binding: 5, visibility: GPUShaderStage.COMPUTE, buffer: storage('storage') },
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ label: 'AgentStepKernel.pipelineLayout', bindGroupLayouts: [layout] });
    const pipeline = (stats: boolean) => device.createComputePipeline({
      label: stats ? 'AgentStepKernel.pipeline' : 'AgentStepKernel.pipelineNoStats',
      layout: pipelineLayout,
      compute: {
        module,
        entryPoint: 'main',
        constants: {
          kArms: k,
          kStats: stats ? 1 : 0,
          kLastStepRows: plan.lastStepRows ? 1 : 0,
          kGeneralStep: plan.generalStep ? 1 : 0,
          kValueStep: plan.valueStep ? 1 : 0,
          kContextStep: plan.contextStep ? 1 : 0,
          kGaussianStep: plan.gaussianStep ? 1 : 0,
          kRecordsPerWorkgroup: plan.recordsPerWorkgroup,
        },
      },
    });
    // Steps of rows nobody records run without statistics, so a run with them has both.
    this.#pipelineNoStats = pipeline(false);
    this.#pipeline = plan.withStats ? pipeline(true) : this.#pipelineNoStats;
    this.#bindGroup = device.createBindGroup({
      label: 'AgentStepKernel.bindGroup',
      layout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniforms, size: kStepUniformsBytes } },
        { binding: 1, resource: { buffer: agents.groups } },
        { binding: 2, resource: { buffer: agents.state } },
        { binding: 3, resource: { buffer: this.#partials } },
        { binding: 4, resource: { buffer: this.histograms } },
        { binding: 5, resource: { buffer: agents.divergedAt } },
      ],
    });
  }

  /** The partial records the finalize kernel combines. */
  get partials(): GPUBuffer {
    return this.#partials;
  }

  /** Uploads one uniform slot per piece (at most kUniformSlots): piece i runs from slot i. */
  writeUniforms(pieces: readonly Piece[], seed: number): void {
    const plan = this.#plan;
    pieces.forEach((piece, slot) => {
      packStepUniforms(this.#uniformView, slot * kUniformSlotBytes, {
        firstStep: piece.firstStep,
        steps: piece.steps,
        window: plan.window,
        continuing: piece.continuing,
        seed,
        groupCount: plan.placements.length,
        workgroupCount: plan.workgroupCount,
        stateStride: plan.stateStride,
        rowsPerDispatch: plan.rowsPerDispatch,
      });
    });
    this.#device.queue.writeBuffer(this.#uniforms, 0, this.#uniformData, 0, pieces.length * kUniformSlotBytes);
  }

  /**
   * Records the dispatch of uniform slot `slot` (a 2D grid past the per-dimension limit);
   * `stats`: with statistics (the run's plan must have them).
   */
  encode(pass: GPUComputePassEncoder, slot: number, stats: boolean): void {
    pass.setPipeline(stats ? this.#pipeline : this.#pipelineNoStats);
    pass.setBindGroup(0, this.#bindGroup, [slot * kUniformSlotBytes]);
    const workgroups = this.#plan.workgroupCount;
    const x = Math.min(workgroups, this.#device.limits.maxComputeWorkgroupsPerDimension);
    pass.dispatchWorkgroups(x, Math.ceil(workgroups / x));
  }

  destroy(): void {
    this.#uniforms.destroy();
    this.#partials.destroy();
    this.histograms.destroy();
  }
}

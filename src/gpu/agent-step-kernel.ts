/** The fused agent kernel (shaders/agent_step.wgsl): pipeline built once, recorded into passes. */
import { armCapacity, kStepUniformsBytes } from './layout.ts';
import { composeAgentStep, kUnrollMaxArms, unrollArmLoops } from './shaders.ts';

/** Uniform slots are this far apart so each dispatch of one submit reads its own (dynamic offset). */
export const kUniformSlotBytes = 256;

export interface AgentStepBuffers {
  uniforms: GPUBuffer;
  groups: GPUBuffer;
  state: GPUBuffer;
  partials: GPUBuffer;
  histograms: GPUBuffer;
  divergedAt: GPUBuffer;
}

export interface AgentStepOptions {
  withStats: boolean;
  /** Rows hold each window's last step only (windowStats 'last'). */
  lastStepRows: boolean;
  /** Reduce statistics with subgroup operations (the device must have the feature). */
  subgroups: boolean;
  /** Partial records per workgroup and row: 1, or kWorkgroupSize / the smallest subgroup size. */
  recordsPerWorkgroup: number;
}

export class AgentStepKernel {
  readonly pipeline: GPUComputePipeline;
  readonly #layout: GPUBindGroupLayout;

  constructor(device: GPUDevice, arms: number, options: AgentStepOptions) {
    const { withStats, subgroups } = options;
    const source = composeAgentStep(armCapacity(arms), subgroups);
    const module = device.createShaderModule({
      label: 'AgentStepKernel.module',
      code: arms <= kUnrollMaxArms ? unrollArmLoops(source, arms) : source,
    });
    const storage = (type: GPUBufferBindingType): GPUBufferBindingLayout => ({ type });
    this.#layout = device.createBindGroupLayout({
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
    this.pipeline = device.createComputePipeline({
      label: withStats ? 'AgentStepKernel.pipeline' : 'AgentStepKernel.pipelineNoStats',
      layout: device.createPipelineLayout({ label: 'AgentStepKernel.pipelineLayout', bindGroupLayouts: [this.#layout] }),
      compute: { module, entryPoint: 'main', constants: { kArms: arms, kStats: withStats ? 1 : 0, kLastStepRows: options.lastStepRows ? 1 : 0, kRecordsPerWorkgroup: options.recordsPerWorkgroup } },
    });
  }

  createBindGroup(device: GPUDevice, b: AgentStepBuffers): GPUBindGroup {
    return device.createBindGroup({
      label: 'AgentStepKernel.bindGroup',
      layout: this.#layout,
      entries: [
        { binding: 0, resource: { buffer: b.uniforms, size: kStepUniformsBytes } },
        { binding: 1, resource: { buffer: b.groups } },
        { binding: 2, resource: { buffer: b.state } },
        { binding: 3, resource: { buffer: b.partials } },
        { binding: 4, resource: { buffer: b.histograms } },
        { binding: 5, resource: { buffer: b.divergedAt } },
      ],
    });
  }

  /** Records one dispatch over `workgroups` workgroups (a 2D grid past the per-dimension limit). */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, uniformSlot: number, workgroups: number, maxPerDimension: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup, [uniformSlot * kUniformSlotBytes]);
    const x = Math.min(workgroups, maxPerDimension);
    pass.dispatchWorkgroups(x, Math.ceil(workgroups / x));
  }
}

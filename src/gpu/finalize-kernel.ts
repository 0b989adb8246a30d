/** Second-level reduction (shaders/finalize_stats.wgsl): per (row, group, statistic), across partial records. */
import { armCapacity } from './layout.ts';
import { composeShader, kShaderSources } from './shaders.ts';

export class FinalizeStatsKernel {
  readonly pipeline: GPUComputePipeline;

  /** `recordsPerWorkgroup`: partial records each agent-kernel workgroup writes per row. */
  constructor(device: GPUDevice, arms: number, recordsPerWorkgroup: number) {
    const module = device.createShaderModule({
      label: 'FinalizeStatsKernel.module',
      code: composeShader(kShaderSources.finalizeStats, armCapacity(arms)),
    });
    this.pipeline = device.createComputePipeline({
      label: 'FinalizeStatsKernel.pipeline',
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { kArms: arms, kRecordsPerWorkgroup: recordsPerWorkgroup } },
    });
  }

  createBindGroup(device: GPUDevice, uniforms: GPUBuffer, partials: GPUBuffer, rows: GPUBuffer): GPUBindGroup {
    return device.createBindGroup({
      label: 'FinalizeStatsKernel.bindGroup',
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniforms } },
        { binding: 1, resource: { buffer: partials } },
        { binding: 2, resource: { buffer: rows } },
      ],
    });
  }

  /** One workgroup per (row, group, statistic). */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, rows: number, groups: number, stats: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(rows, groups, stats);
  }
}

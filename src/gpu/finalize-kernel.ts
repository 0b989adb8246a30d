/** Second-level reduction (shaders/finalize_stats.wgsl): per row and group, across partial records. */
import { armCapacity, gpuStatCount } from './layout.ts';
import { composeShader, kShaderSources } from './shaders.ts';

export class FinalizeStatsKernel {
  readonly pipeline: GPUComputePipeline;

  readonly parallel: boolean;
  readonly #stats: number;

  /**
   * `recordsPerWorkgroup`: partial records each agent-kernel workgroup writes per row.
   * `parallel`: one workgroup per (row, group, statistic) rather than per (row, group).
   */
  constructor(device: GPUDevice, arms: number, recordsPerWorkgroup: number, parallel: boolean) {
    this.parallel = parallel;
    this.#stats = gpuStatCount(arms);
    const module = device.createShaderModule({
      label: 'FinalizeStatsKernel.module',
      code: composeShader(kShaderSources.finalizeStats, armCapacity(arms)),
    });
    this.pipeline = device.createComputePipeline({
      label: 'FinalizeStatsKernel.pipeline',
      layout: 'auto',
      compute: { module, entryPoint: parallel ? 'combinePerStatistic' : 'combineSerially', constants: { kArms: arms, kRecordsPerWorkgroup: recordsPerWorkgroup } },
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

  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, rows: number, groups: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(rows, groups, this.parallel ? this.#stats : 1);
  }
}

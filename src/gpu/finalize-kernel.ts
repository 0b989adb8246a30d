/** Second-level reduction (shaders/finalize_stats.wgsl): per row and group, across partial records. */
import { armCapacity, gpuStatCount } from './layout.ts';
import { composeShader, kShaderSources } from './shaders.ts';

/** Records per block in the parallel finalize's first pass (see finalize_stats.wgsl). */
export const kDefaultBlockRecords = 32;

export class FinalizeStatsKernel {
  readonly parallel: boolean;
  /** Records each first-pass workgroup merges (parallel only). */
  readonly blockRecords: number;
  readonly #pipelines: GPUComputePipeline[];
  readonly #layout: GPUBindGroupLayout;
  readonly #stats: number;
  /** First-pass blocks: the largest group's (the dispatch's width) and all groups' together. */
  readonly #widestGroupBlocks: number;
  readonly #allBlocks: number;

  /**
   * `recordsPerWorkgroup`: partial records each agent-kernel workgroup writes per row;
   * `groupWorkgroups`: each group's agent-kernel workgroups.
   * `parallel`: two passes over many workgroups (blocks of records, then per statistic) rather
   * than one workgroup per (row, group). `blockRecords` is raised where the largest group would
   * need more first-pass workgroups than a dispatch dimension allows.
   */
  constructor(
    device: GPUDevice,
    arms: number,
    recordsPerWorkgroup: number,
    groupWorkgroups: readonly number[],
    parallel: boolean,
    blockRecords = kDefaultBlockRecords,
  ) {
    this.parallel = parallel;
    this.#stats = gpuStatCount(arms);
    const groupRecords = groupWorkgroups.map((w) => w * recordsPerWorkgroup);
    const maxBlocks = device.limits.maxComputeWorkgroupsPerDimension;
    this.blockRecords = Math.max(blockRecords, Math.ceil(Math.max(...groupRecords) / maxBlocks));
    const blocks = groupRecords.map((records) => Math.ceil(records / this.blockRecords));
    this.#widestGroupBlocks = Math.max(...blocks);
    this.#allBlocks = blocks.reduce((sum, b) => sum + b, 0);
    const module = device.createShaderModule({
      label: 'FinalizeStatsKernel.module',
      code: composeShader(kShaderSources.finalizeStats, armCapacity(arms)),
    });
    // One explicit layout, so that one bind group serves every entry point.
    const storage = (type: GPUBufferBindingType, binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    this.#layout = device.createBindGroupLayout({
      label: 'FinalizeStatsKernel.layout',
      entries: [storage('uniform', 0), storage('read-only-storage', 1), storage('storage', 2), storage('storage', 3)],
    });
    const layout = device.createPipelineLayout({ label: 'FinalizeStatsKernel.pipelineLayout', bindGroupLayouts: [this.#layout] });
    const constants = { kArms: arms, kRecordsPerWorkgroup: recordsPerWorkgroup, kBlockRecords: this.blockRecords };
    const entryPoints = parallel ? ['combineBlocks', 'combineBlockResults'] : ['combineSerially'];
    this.#pipelines = entryPoints.map((entryPoint) =>
      device.createComputePipeline({ label: `FinalizeStatsKernel.${entryPoint}`, layout, compute: { module, entryPoint, constants } }),
    );
  }

  /** Bytes of the first pass's results for `rows` rows (16 where the pass is serial). */
  blockResultsBytes(rows: number): number {
    return this.parallel ? rows * this.#stats * this.#allBlocks * 3 * 4 : 16;
  }

  createBindGroup(device: GPUDevice, buffers: { uniforms: GPUBuffer; partials: GPUBuffer; rows: GPUBuffer; blockResults: GPUBuffer }): GPUBindGroup {
    return device.createBindGroup({
      label: 'FinalizeStatsKernel.bindGroup',
      layout: this.#layout,
      entries: [
        { binding: 0, resource: { buffer: buffers.uniforms } },
        { binding: 1, resource: { buffer: buffers.partials } },
        { binding: 2, resource: { buffer: buffers.rows } },
        { binding: 3, resource: { buffer: buffers.blockResults } },
      ],
    });
  }

  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, rows: number, groups: number): void {
    pass.setBindGroup(0, bindGroup);
    pass.setPipeline(this.#pipelines[0]);
    if (!this.parallel) {
      pass.dispatchWorkgroups(rows, groups, 1);
      return;
    }
    pass.dispatchWorkgroups(this.#widestGroupBlocks, rows, groups);
    pass.setPipeline(this.#pipelines[1]);
    pass.dispatchWorkgroups(rows, groups, this.#stats);
  }
}

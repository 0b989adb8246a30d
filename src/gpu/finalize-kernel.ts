/**
 * Second-level reduction (shaders/finalize_stats.wgsl): per row and group, across the partial
 * records the agent kernel wrote. Owns its pipelines, bind group, uniforms and the finished rows
 * it writes; `encode` records its passes into a caller's pass.
 */
import { armCapacity, kFinalizeUniformsBytes, packFinalizeUniforms } from './layout.ts';
import type { GpuPlan } from './plan.ts';
import { composeShader, kShaderSources } from './shaders.ts';

/** Records per block in the parallel finalize's first pass (see finalize_stats.wgsl). */
export const kDefaultBlockRecords = 32;

export class FinalizeStatsKernel {
  readonly parallel: boolean;
  /** Records each first-pass workgroup merges (parallel only). */
  readonly blockRecords: number;
  /** [group * rowsPerDispatch + row] finished records: a count, means, variances (see `kAcc`). */
  readonly rows: GPUBuffer;
  readonly #buffers: GPUBuffer[];
  readonly #pipelines: GPUComputePipeline[];
  readonly #bindGroup: GPUBindGroup;
  readonly #stats: number;
  readonly #groups: number;
  /** First-pass blocks: the largest group's (the dispatch's width). */
  readonly #widestGroupBlocks: number;

  /**
   * `partials`: the agent kernel's partial records. The parallel variant runs two passes over
   * many workgroups (blocks of records, then per statistic) rather than one workgroup per (row,
   * group); its block size is raised where the largest group would need more first-pass
   * workgroups than a dispatch dimension allows.
   */
  constructor(device: GPUDevice, plan: GpuPlan, partials: GPUBuffer) {
    this.parallel = plan.finalize === 'parallel';
    this.#stats = plan.statCount;
    this.#groups = plan.placements.length;
    const groupRecords = plan.placements.map((p) => p.workgroups * plan.recordsPerWorkgroup);
    const maxBlocks = device.limits.maxComputeWorkgroupsPerDimension;
    this.blockRecords = Math.max(plan.finalizeBlockRecords ?? kDefaultBlockRecords, Math.ceil(Math.max(...groupRecords) / maxBlocks));
    const blocks = groupRecords.map((records) => Math.ceil(records / this.blockRecords));
    this.#widestGroupBlocks = Math.max(...blocks);
    const allBlocks = blocks.reduce((sum, b) => sum + b, 0);

    const S = GPUBufferUsage;
    const make = (label: string, size: number, usage: number) =>
      device.createBuffer({ label: `FinalizeStatsKernel.${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    const uniforms = make('uniforms', kFinalizeUniformsBytes, S.UNIFORM | S.COPY_DST);
    this.rows = make('rows', this.#groups * plan.rowsPerDispatch * plan.statCount * 4, S.STORAGE | S.COPY_SRC);
    const blockResults = make('blockResults', this.parallel ? plan.rowsPerDispatch * this.#stats * allBlocks * 3 * 4 : 16, S.STORAGE);
    this.#buffers = [uniforms, this.rows, blockResults];
    const uniformData = new ArrayBuffer(kFinalizeUniformsBytes);
    packFinalizeUniforms(new DataView(uniformData), plan.workgroupCount, plan.rowsPerDispatch, plan.placements);
    device.queue.writeBuffer(uniforms, 0, uniformData);

    const module = device.createShaderModule({
      label: 'FinalizeStatsKernel.module',
      code: composeShader(kShaderSources.finalizeStats, armCapacity(plan.arms)),
    });
    // One explicit layout, so that one bind group serves every entry point.
    const entry = (type: GPUBufferBindingType, binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    const bindGroupLayout = device.createBindGroupLayout({
      label: 'FinalizeStatsKernel.layout',
      entries: [entry('uniform', 0), entry('read-only-storage', 1), entry('storage', 2), entry('storage', 3)],
    });
    const layout = device.createPipelineLayout({ label: 'FinalizeStatsKernel.pipelineLayout', bindGroupLayouts: [bindGroupLayout] });
    const constants = { kArms: plan.arms, kRecordsPerWorkgroup: plan.recordsPerWorkgroup, kBlockRecords: this.blockRecords };
    const entryPoints = this.parallel ? ['combineBlocks', 'combineBlockResults'] : ['combineSerially'];
    this.#pipelines = entryPoints.map((entryPoint) =>
      device.createComputePipeline({ label: `FinalizeStatsKernel.${entryPoint}`, layout, compute: { module, entryPoint, constants } }),
    );
    this.#bindGroup = device.createBindGroup({
      label: 'FinalizeStatsKernel.bindGroup',
      layout: bindGroupLayout,
      entries: [
        { binding: 0, resource: { buffer: uniforms } },
        { binding: 1, resource: { buffer: partials } },
        { binding: 2, resource: { buffer: this.rows } },
        { binding: 3, resource: { buffer: blockResults } },
      ],
    });
  }

  /** Records the passes that finish `rows` rows of every group. */
  encode(pass: GPUComputePassEncoder, rows: number): void {
    pass.setBindGroup(0, this.#bindGroup);
    pass.setPipeline(this.#pipelines[0]);
    if (!this.parallel) {
      pass.dispatchWorkgroups(rows, this.#groups, 1);
      return;
    }
    pass.dispatchWorkgroups(this.#widestGroupBlocks, rows, this.#groups);
    pass.setPipeline(this.#pipelines[1]);
    pass.dispatchWorkgroups(rows, this.#groups, this.#stats);
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}

/**
 * The GPU engine: every agent of every group advances in one fused dispatch per chunk of steps
 * (shaders/agent_step.wgsl); statistics are reduced on the GPU in two levels and only the small
 * per-row block comes back, through a pool of staging buffers. Agent state leaves the GPU only
 * when asked (readAgents, the inspector).
 */
import { type StepConstants, stepConstants } from '../core/agent.ts';
import { type ExperimentConfig, resolveGroups, validateConfig } from '../core/config.ts';
import { type ParamChange, checkLivePatch, replayAgent } from '../core/cpu-engine.ts';
import type { AgentStates, Engine, LiveParams, Trajectory } from '../core/engine.ts';
import { ConfigError, type Params } from '../core/schema.ts';
import { StatsLayout, type StatsSink, kHistogramBins, scalarIndex, writeQuantiles } from '../core/stats.ts';
import { AgentStepKernel, kUniformSlotBytes } from './agent-step-kernel.ts';
import { GpuUnavailableError, type GpuContext } from './device.ts';
import { FinalizeStatsKernel } from './finalize-kernel.ts';
import {
  type GroupPlacement,
  gpuStatCount,
  kFinalizeUniformsBytes,
  kGroupParamsBytes,
  kMaxGpuGroups,
  kWorkgroupSize,
  packFinalizeUniforms,
  packGroupParams,
  packStepUniforms,
} from './layout.ts';
import { ReadbackPacer } from './readback-pacer.ts';
import { ReadbackPool } from './readback-pool.ts';

export interface GpuEngineOptions {
  /** Reduce statistics (default). Without, the kernel is the pure compute bound (benchmark). */
  stats?: boolean;
  /** Most steps one dispatch advances (default 256). 1 gives the naive one-dispatch-per-step variant. */
  maxStepsPerDispatch?: number;
  /** Most stats rows one dispatch produces (default 16); lowered further to fit device memory. */
  maxRowsPerDispatch?: number;
  /** Reduce with subgroup operations (default: where the device has them); false forces the fallback. */
  subgroups?: boolean;
  /** Most bytes of partial records per dispatch (default 64 MiB); tests lower it to force the fallback. */
  partialsBudgetBytes?: number;
  /** How rows are combined across partial records (default: by how many records a row has). */
  finalize?: 'serial' | 'parallel';
  /** Records per first-pass workgroup of the parallel finalize (default 32; tests vary it). */
  finalizeBlockRecords?: number;
  /**
   * Time every pass on the GPU with timestamp queries, totals in `GpuEngine.timing` (the
   * benchmark's --timing). The step and finalize dispatches then run in passes of their own.
   */
  timing?: boolean;
}

/** GPU time by pass, summed over every submit since the engine was made (nanoseconds). */
export interface GpuTiming {
  /** The agent kernel's passes (steps, statistics and the per-workgroup reduction). */
  stepNs: number;
  /** The finalize passes (partial records into rows). */
  finalizeNs: number;
  /** From each submit's first pass beginning to its last pass ending: the passes plus the gaps between them. */
  spanNs: number;
  steps: number;
  rows: number;
}

const kUniformSlots = 64;
/** Timestamps per piece with `timing`: step pass begin and end, finalize pass begin and end. */
const kQueriesPerPiece = 4;
const kNeverDiverged = 0xffffffff;
/** Stays under every device's limits and keeps the partial records of a dispatch modest. */
const kPartialsBudgetBytes = 64 * 1024 * 1024;
/**
 * Records per row up to which one workgroup combines a row on a GPU. H200 (subgroups of 32, 2
 * records per workgroup): at 2,000 agents (64 records) both passes ran alike; at 10^6 (31,250
 * records) the serial pass made statistics every step 8x slower (5.7e8 against 4.6e9).
 */
const kSerialFinalizeRecords = 256;

interface Piece {
  firstStep: number;
  steps: number;
  continuing: boolean;
  /** Rows finished by this piece (window ends inside it). */
  rows: number;
}

/** Splits `steps` steps after `done` into dispatches: a window never spans a row slot change. */
export function planPieces(done: number, steps: number, window: number, maxSteps: number, maxRows: number, stats: boolean): Piece[] {
  const pieces: Piece[] = [];
  let at = done;
  let remaining = steps;
  while (remaining > 0) {
    let length: number;
    const intoWindow = at % window;
    if (!stats) length = Math.min(remaining, maxSteps);
    else if (intoWindow !== 0) length = Math.min(remaining, window - intoWindow, maxSteps);
    else if (remaining >= window && window <= maxSteps) {
      length = Math.min(Math.floor(remaining / window), maxRows, Math.floor(maxSteps / window)) * window;
    } else length = Math.min(remaining, maxSteps, window);
    const rows = stats ? Math.floor((at + length) / window) - Math.floor(at / window) : 0;
    pieces.push({ firstStep: at + 1, steps: length, continuing: stats && intoWindow !== 0, rows });
    at += length;
    remaining -= length;
  }
  return pieces;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

export class GpuEngine implements Engine {
  readonly kind = 'gpu' as const;
  readonly description: string;
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  /** How the kernel adds up statistics within a workgroup: subgroupAdd, or workgroup memory. */
  readonly reduction: 'subgroups' | 'workgroup';
  /** How the finalize combines a row's partial records: one workgroup per row, or two parallel passes. */
  readonly finalize: 'serial' | 'parallel';
  readonly #context: GpuContext;
  readonly #device: GPUDevice;
  readonly #arms: number;
  readonly #window: number;
  readonly #withStats: boolean;
  readonly #maxSteps: number;
  readonly #rowsPerDispatch: number;
  readonly #params: Params[];
  readonly #constants: StepConstants[];
  readonly #placements: GroupPlacement[];
  readonly #workgroupCount: number;
  readonly #stateStride: number;
  readonly #statCount: number;
  readonly #recordsPerWorkgroup: number;
  readonly #stepKernel: AgentStepKernel;
  readonly #finalizeKernel: FinalizeStatsKernel | null;
  readonly #timestamps: { querySet: GPUQuerySet; resolved: GPUBuffer } | null = null;
  /** Filled only with the `timing` option. */
  readonly timing: GpuTiming = { stepNs: 0, finalizeNs: 0, spanNs: 0, steps: 0, rows: 0 };
  readonly #buffers: GPUBuffer[] = [];
  readonly #uniforms: GPUBuffer;
  readonly #groupsBuffer: GPUBuffer;
  readonly #state: GPUBuffer;
  readonly #histograms: GPUBuffer;
  readonly #divergedAtBuffer: GPUBuffer;
  readonly #rowsBuffer: GPUBuffer;
  readonly #stepBindGroup: GPUBindGroup;
  readonly #finalizeBindGroup: GPUBindGroup | null;
  readonly #pool: ReadbackPool;
  readonly #pacer: ReadbackPacer | null;
  readonly #uniformData = new ArrayBuffer(kUniformSlots * kUniformSlotBytes);
  readonly #uniformView = new DataView(this.#uniformData);
  readonly #groupData: ArrayBuffer;
  readonly #rowValues: Float64Array;
  readonly #rowHistogram = new Uint32Array(kHistogramBins);
  readonly #changes: ParamChange[] = [];
  readonly #divergedAt: number[];
  #stepsDone = 0;
  #lostReason: string | null = null;
  #disposed = false;

  private constructor(config: ExperimentConfig, context: GpuContext, options: GpuEngineOptions) {
    this.config = structuredClone(validateConfig(config));
    this.#context = context;
    const device = context.device;
    this.#device = device;
    this.description = context.adapterDescription;
    const k = this.config.params.arms;
    this.#arms = k;
    this.#window = this.config.params.window;
    this.#withStats = options.stats ?? true;
    this.#maxSteps = Math.max(1, Math.floor(options.maxStepsPerDispatch ?? 256));
    this.layout = new StatsLayout(k);
    this.#params = resolveGroups(this.config);
    if (this.#params.length > kMaxGpuGroups) {
      throw new ConfigError([{ field: 'groups', message: `the GPU engine runs at most ${kMaxGpuGroups} groups` }]);
    }
    this.#constants = this.#params.map(stepConstants);
    this.#divergedAt = this.#params.map(() => 0);
    let firstWorkgroup = 0;
    this.#placements = this.#params.map((p) => {
      const workgroups = Math.ceil(p.agents / kWorkgroupSize);
      const placement = { agents: p.agents, firstWorkgroup, workgroups, halted: false };
      firstWorkgroup += workgroups;
      return placement;
    });
    this.#workgroupCount = firstWorkgroup;
    this.#stateStride = firstWorkgroup * kWorkgroupSize;
    this.#statCount = gpuStatCount(k);
    this.#rowValues = new Float64Array(this.layout.count);

    const limits = device.limits;
    const bindingLimit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const stateBytes = this.#stateStride * (k + 2) * 4;
    if (stateBytes > bindingLimit) {
      const most = Math.floor(bindingLimit / ((k + 2) * 4) / kWorkgroupSize) * kWorkgroupSize;
      throw new ConfigError([{
        field: 'agents',
        message: `${this.#stateStride} agents x ${k} arms need ${mib(stateBytes)} of agent state; this GPU allows ${mib(bindingLimit)} per buffer, so at most ${most} agents in all groups together`,
      }]);
    }
    const partialsLimit = Math.min(bindingLimit, options.partialsBudgetBytes ?? kPartialsBudgetBytes);
    // One partial record per subgroup where the device has subgroups and a row of them fits in
    // the budget; else one per workgroup, reduced through workgroup memory. (Even at one row per
    // dispatch the subgroup records won on SwiftShader at 1,000,000 agents: window 10, 1.7e6
    // against 0.74e6 agent-steps/s; window 1, 3.2e5 against 3.8e5.)
    const subgroupRecords = Math.max(1, Math.floor(kWorkgroupSize / Math.max(1, context.subgroupMinSize)));
    const rowsFitting = (records: number) => Math.floor(partialsLimit / (this.#workgroupCount * records * this.#statCount * 4));
    const useSubgroups = context.subgroups && (options.subgroups ?? true) && rowsFitting(subgroupRecords) >= 1;
    this.#recordsPerWorkgroup = useSubgroups ? subgroupRecords : 1;
    this.reduction = useSubgroups ? 'subgroups' : 'workgroup';
    const recordBytes = this.#workgroupCount * this.#recordsPerWorkgroup * this.#statCount * 4;
    this.#rowsPerDispatch = Math.max(1, Math.min(options.maxRowsPerDispatch ?? 16, rowsFitting(this.#recordsPerWorkgroup)));
    if (this.#withStats && recordBytes > bindingLimit) {
      throw new ConfigError([{ field: 'agents', message: `too many agents for statistics on this GPU (${mib(recordBytes)} per row)` }]);
    }

    const make = (label: string, size: number, usage: number) => {
      const buffer = device.createBuffer({ label: `GpuEngine.${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
      this.#buffers.push(buffer);
      return buffer;
    };
    const S = GPUBufferUsage;
    this.#uniforms = make('uniforms', kUniformSlots * kUniformSlotBytes, S.UNIFORM | S.COPY_DST);
    this.#groupData = new ArrayBuffer(kMaxGpuGroups * kGroupParamsBytes);
    this.#groupsBuffer = make('groups', this.#groupData.byteLength, S.STORAGE | S.COPY_DST);
    this.#state = make('state', stateBytes, S.STORAGE | S.COPY_DST | S.COPY_SRC);
    const partials = make('partials', this.#withStats ? this.#rowsPerDispatch * recordBytes : 16, S.STORAGE);
    const groupRows = this.#params.length * this.#rowsPerDispatch;
    this.#histograms = make('histograms', groupRows * kHistogramBins * 4, S.STORAGE | S.COPY_DST | S.COPY_SRC);
    this.#divergedAtBuffer = make('divergedAt', kMaxGpuGroups * 4, S.STORAGE | S.COPY_DST | S.COPY_SRC);
    this.#rowsBuffer = make('rows', groupRows * this.#statCount * 4, S.STORAGE | S.COPY_SRC);
    const finalizeUniforms = make('finalizeUniforms', kFinalizeUniformsBytes, S.UNIFORM | S.COPY_DST);

    this.#stepKernel = new AgentStepKernel(device, k, {
      withStats: this.#withStats,
      lastStepRows: this.config.params.windowStats === 'last',
      subgroups: useSubgroups,
      recordsPerWorkgroup: this.#recordsPerWorkgroup,
    });
    this.#stepBindGroup = this.#stepKernel.createBindGroup(device, {
      uniforms: this.#uniforms,
      groups: this.#groupsBuffer,
      state: this.#state,
      partials,
      histograms: this.#histograms,
      divergedAt: this.#divergedAtBuffer,
    });
    // A serial pass over a row's records where they are few, or on a CPU (SwiftShader), where
    // each workgroup costs tens of microseconds. Measured there (bench --gpu-options, two
    // interleaved runs), the two parallel passes made statistics every step slower: 4.7-5.0e5 ->
    // 2.6-2.9e5 agent-steps/s at 2,000 agents, 5.5e5 -> 4.8-4.9e5 at 100,000.
    const recordsPerRow = this.#workgroupCount * this.#recordsPerWorkgroup;
    const parallelFinalize = options.finalize
      ? options.finalize === 'parallel'
      : !context.software && recordsPerRow > kSerialFinalizeRecords;
    this.finalize = parallelFinalize ? 'parallel' : 'serial';
    const groupWorkgroups = this.#placements.map((p) => p.workgroups);
    const finalizeKernel = this.#withStats
      ? new FinalizeStatsKernel(device, k, this.#recordsPerWorkgroup, groupWorkgroups, parallelFinalize, options.finalizeBlockRecords)
      : null;
    this.#finalizeKernel = finalizeKernel;
    this.#finalizeBindGroup = finalizeKernel
      ? finalizeKernel.createBindGroup(device, {
          uniforms: finalizeUniforms,
          partials,
          rows: this.#rowsBuffer,
          blockResults: make('finalizeBlockResults', finalizeKernel.blockResultsBytes(this.#rowsPerDispatch), S.STORAGE),
        })
      : null;
    if (options.timing) {
      if (!context.timestamps) throw new GpuUnavailableError('timing needs the timestamp-query feature, which this device lacks');
      const querySet = device.createQuerySet({ label: 'GpuEngine.timestamps', type: 'timestamp', count: kQueriesPerPiece * kUniformSlots });
      this.#timestamps = { querySet, resolved: make('timestamps', kQueriesPerPiece * kUniformSlots * 8, S.QUERY_RESOLVE | S.COPY_SRC) };
    }
    this.#pool = new ReadbackPool(device, 'GpuEngine.readback');
    this.#pacer = context.busyPollingMaps ? new ReadbackPacer() : null;

    for (let g = 0; g < this.#params.length; g++) this.#writeGroupParams(g);
    device.queue.writeBuffer(this.#divergedAtBuffer, 0, new Uint32Array(kMaxGpuGroups).fill(kNeverDiverged));
    const finalizeData = new ArrayBuffer(kFinalizeUniformsBytes);
    packFinalizeUniforms(new DataView(finalizeData), this.#workgroupCount, this.#rowsPerDispatch, this.#placements);
    device.queue.writeBuffer(finalizeUniforms, 0, finalizeData);
    this.#params.forEach((p, g) => {
      if (p.baselineInit === 0) return;
      const placement = this.#placements[g];
      const offset = ((k + 1) * this.#stateStride + placement.firstWorkgroup * kWorkgroupSize) * 4;
      device.queue.writeBuffer(this.#state, offset, new Float32Array(p.agents).fill(p.baselineInit));
    });
    void context.lost.then((reason) => {
      this.#lostReason = reason;
    });
  }

  /** Builds the engine; a config the device cannot hold is refused with a ConfigError. */
  static async create(config: ExperimentConfig, context: GpuContext, options: GpuEngineOptions = {}): Promise<GpuEngine> {
    const device = context.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let engine: GpuEngine | null = null;
    let failure: unknown = null;
    try {
      engine = new GpuEngine(config, context, options);
    } catch (error) {
      failure = error;
    }
    const outOfMemory = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    if (failure) throw failure;
    const problem = outOfMemory ?? invalid;
    if (problem) {
      engine?.dispose();
      throw new GpuUnavailableError(`GPU engine set-up failed: ${problem.message}`);
    }
    return engine as GpuEngine;
  }

  get stepsDone(): number {
    return this.#stepsDone;
  }

  divergedAt(group: number): number {
    return this.#divergedAt[group];
  }

  #writeGroupParams(g: number): void {
    packGroupParams(new DataView(this.#groupData), g * kGroupParamsBytes, this.#constants[g], this.#placements[g]);
    this.#device.queue.writeBuffer(this.#groupsBuffer, g * kGroupParamsBytes, this.#groupData, g * kGroupParamsBytes, kGroupParamsBytes);
  }

  #checkHealthy(): void {
    if (this.#disposed) throw new Error('GPU engine used after dispose()');
    if (this.#lostReason) throw new GpuUnavailableError(this.#lostReason);
    const uncaptured = this.#context.takeUncapturedError();
    if (uncaptured) throw new GpuUnavailableError(`GPU error: ${uncaptured}`);
  }

  async advance(steps: number, sink: StatsSink): Promise<void> {
    this.#checkHealthy();
    const pieces = planPieces(this.#stepsDone, Math.max(0, Math.floor(steps)), this.#window, this.#maxSteps, this.#rowsPerDispatch, this.#withStats);
    this.#stepsDone += pieces.reduce((sum, p) => sum + p.steps, 0);
    const pending: Promise<void>[] = [];
    // Agent-steps up to the end of each submit: the GPU runs the submits one after another.
    let agentStepsSoFar = 0;
    for (let first = 0; first < pieces.length; first += kUniformSlots) {
      const batch = pieces.slice(first, first + kUniformSlots);
      agentStepsSoFar += batch.reduce((sum, p) => sum + p.steps, 0) * this.#stateStride;
      pending.push(this.#submit(batch, sink, agentStepsSoFar, first + kUniformSlots >= pieces.length));
    }
    await Promise.all(pending);
  }

  /** `agentSteps`: the work queued up to the end of this submit; `last`: the advance's last submit. */
  async #submit(pieces: Piece[], sink: StatsSink, agentSteps: number, last: boolean): Promise<void> {
    const device = this.#device;
    const view = this.#uniformView;
    pieces.forEach((piece, slot) => {
      packStepUniforms(view, slot * kUniformSlotBytes, {
        firstStep: piece.firstStep,
        steps: piece.steps,
        window: this.#window,
        continuing: piece.continuing,
        seed: this.config.params.seed,
        groupCount: this.#params.length,
        workgroupCount: this.#workgroupCount,
        stateStride: this.#stateStride,
        rowsPerDispatch: this.#rowsPerDispatch,
      });
    });
    device.queue.writeBuffer(this.#uniforms, 0, this.#uniformData, 0, pieces.length * kUniformSlotBytes);

    const groups = this.#params.length;
    const rowFloats = groups * this.#rowsPerDispatch * this.#statCount;
    const histogramWords = groups * this.#rowsPerDispatch * kHistogramBins;
    const pieceBytes = (rowFloats + histogramWords) * 4;
    let reportingPieces = 0;
    for (const piece of pieces) if (piece.rows > 0) reportingPieces++;
    const timestamps = this.#timestamps;
    const timingAt = reportingPieces * pieceBytes + kMaxGpuGroups * 4;
    const timingBytes = timestamps ? pieces.length * kQueriesPerPiece * 8 : 0;
    const stagingBytes = timingAt + timingBytes;
    const staging = this.#pool.acquire(stagingBytes);

    const encoder = device.createCommandEncoder({ label: 'GpuEngine.advance' });
    let reported = 0;
    let pass: GPUComputePassEncoder | null = null;
    pieces.forEach((piece, slot) => {
      if (this.#withStats) encoder.clearBuffer(this.#histograms);
      // With timing, every piece ends its passes (below), so each step pass is a timed one.
      pass ??= this.#beginPass(encoder, 'GpuEngine.stepPass', slot * kQueriesPerPiece);
      this.#stepKernel.encode(pass, this.#stepBindGroup, slot, this.#workgroupCount, device.limits.maxComputeWorkgroupsPerDimension);
      if (piece.rows > 0 && this.#finalizeKernel && this.#finalizeBindGroup) {
        if (timestamps) {
          pass.end();
          pass = this.#beginPass(encoder, 'GpuEngine.finalizePass', slot * kQueriesPerPiece + 2);
        }
        this.#finalizeKernel.encode(pass, this.#finalizeBindGroup, piece.rows, groups);
      }
      if (this.#withStats || timestamps) {
        pass.end();
        pass = null;
      }
      if (piece.rows > 0) {
        const at = reported * pieceBytes;
        encoder.copyBufferToBuffer(this.#rowsBuffer, 0, staging, at, rowFloats * 4);
        encoder.copyBufferToBuffer(this.#histograms, 0, staging, at + rowFloats * 4, histogramWords * 4);
        reported++;
      }
    });
    (pass as GPUComputePassEncoder | null)?.end();
    encoder.copyBufferToBuffer(this.#divergedAtBuffer, 0, staging, reported * pieceBytes, kMaxGpuGroups * 4);
    if (timestamps) {
      encoder.resolveQuerySet(timestamps.querySet, 0, pieces.length * kQueriesPerPiece, timestamps.resolved, 0);
      encoder.copyBufferToBuffer(timestamps.resolved, 0, staging, timingAt, timingBytes);
    }
    device.queue.submit([encoder.finish()]);

    try {
      const start = await this.#pacer?.beforeReadback(agentSteps);
      await staging.mapAsync(GPUMapMode.READ, 0, stagingBytes);
      if (last && start !== undefined) this.#pacer?.afterReadback(agentSteps, start);
    } catch (error) {
      this.#checkHealthy();
      throw new GpuUnavailableError(`GPU readback failed: ${(error as Error).message}`);
    }
    try {
      this.#checkHealthy();
      const mapped = staging.getMappedRange(0, stagingBytes);
      // One float view and one word view over the whole block; pieces are offsets into them.
      const floats = new Float32Array(mapped);
      const words = new Uint32Array(mapped);
      if (timestamps) this.#addTiming(pieces, new DataView(mapped, timingAt, timingBytes));
      const divergedBase = (reported * pieceBytes) / 4;
      let newlyDiverged = 0;
      for (let g = 0; g < groups; g++) {
        if (words[divergedBase + g] !== kNeverDiverged && this.#divergedAt[g] === 0) {
          this.#divergedAt[g] = words[divergedBase + g];
          newlyDiverged |= 1 << g;
        }
      }
      let index = 0;
      for (const piece of pieces) {
        if (piece.rows === 0) continue;
        const floatBase = (index * pieceBytes) / 4;
        const histogramBase = floatBase + rowFloats;
        index++;
        const firstRowEnd = (Math.floor((piece.firstStep - 1) / this.#window) + 1) * this.#window;
        for (let g = 0; g < groups; g++) {
          for (let r = 0; r < piece.rows; r++) {
            const rowEnd = firstRowEnd + r * this.#window;
            const diverged = this.#divergedAt[g];
            if (diverged > 0 && rowEnd >= diverged) break;
            const slot = g * this.#rowsPerDispatch + r;
            this.#emitRow(g, rowEnd, floats, floatBase + slot * this.#statCount, words, histogramBase + slot * kHistogramBins, sink);
          }
        }
      }
      for (let g = 0; g < groups; g++) {
        if ((newlyDiverged & (1 << g)) === 0) continue;
        this.#placements[g].halted = true;
        this.#writeGroupParams(g);
        sink.diverged?.(g, this.#divergedAt[g], `group ${g} diverged at step ${this.#divergedAt[g]}: preferences became non-finite (lower lr or the reward scale)`);
      }
    } finally {
      this.#pool.release(staging);
    }
  }

  /** A compute pass; with `timing`, one that writes timestamps `query` and `query + 1`. */
  #beginPass(encoder: GPUCommandEncoder, label: string, query: number): GPUComputePassEncoder {
    const timestamps = this.#timestamps;
    if (!timestamps) return encoder.beginComputePass({ label });
    return encoder.beginComputePass({
      label,
      timestampWrites: { querySet: timestamps.querySet, beginningOfPassWriteIndex: query, endOfPassWriteIndex: query + 1 },
    });
  }

  /** Sums the pieces' pass times (timestamps as written: pieces without a finalize pass have none). */
  #addTiming(pieces: Piece[], times: DataView): void {
    const at = (query: number) => Number(times.getBigUint64(query * 8, true));
    const withFinalize = (piece: Piece) => piece.rows > 0 && this.#finalizeKernel !== null;
    let first = Infinity;
    let last = 0;
    pieces.forEach((piece, slot) => {
      const q = slot * kQueriesPerPiece;
      this.timing.stepNs += at(q + 1) - at(q);
      first = Math.min(first, at(q));
      last = Math.max(last, at(q + 1));
      if (withFinalize(piece)) {
        this.timing.finalizeNs += at(q + 3) - at(q + 2);
        last = Math.max(last, at(q + 3));
      }
      this.timing.steps += piece.steps;
      this.timing.rows += piece.rows;
    });
    if (pieces.length > 0) this.timing.spanNs += last - first;
  }

  #emitRow(group: number, rowEnd: number, floats: Float32Array, base: number, words: Uint32Array, histogramBase: number, sink: StatsSink): void {
    const k = this.#arms;
    const values = this.#rowValues;
    const layout = this.layout;
    // GPU slots: count, reward, optimal, baseline, advantage, expected, regret, entropy,
    // prob optimal, exact var, squared norm (mean), squared norm (variance), then per arm.
    values[scalarIndex('mean_reward')] = floats[base + 1];
    values[scalarIndex('frac_optimal')] = floats[base + 2];
    values[scalarIndex('mean_baseline')] = floats[base + 3];
    values[scalarIndex('mean_advantage')] = floats[base + 4];
    values[scalarIndex('mean_expected_reward')] = floats[base + 5];
    values[scalarIndex('mean_regret')] = floats[base + 6];
    values[scalarIndex('mean_entropy')] = floats[base + 7];
    values[scalarIndex('mean_prob_optimal')] = floats[base + 8];
    values[scalarIndex('exact_grad_var')] = floats[base + 9];
    values[scalarIndex('grad_sqnorm_mean')] = floats[base + 10];
    values[scalarIndex('grad_sqnorm_var')] = floats[base + 11];
    let totalVariance = 0;
    for (let j = 0; j < k; j++) {
      values[layout.probOffset + j] = floats[base + 12 + j];
      values[layout.gradMeanOffset + j] = floats[base + 12 + k + j];
      const variance = floats[base + 12 + 2 * k + j];
      values[layout.gradVarOffset + j] = variance;
      totalVariance += variance;
    }
    values[scalarIndex('grad_var')] = totalVariance;
    for (let b = 0; b < kHistogramBins; b++) this.#rowHistogram[b] = words[histogramBase + b];
    writeQuantiles(values, this.#rowHistogram);
    sink.record(group, rowEnd, values, this.#rowHistogram);
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    if (!this.#params[group]) throw new ConfigError([{ field: 'group', message: `no group ${group}` }]);
    this.#params[group] = checkLivePatch(this.#params[group], patch, group);
    this.#constants[group] = stepConstants(this.#params[group]);
    this.#writeGroupParams(group);
    this.#changes.push({ afterStep: this.#stepsDone, group, patch: { ...patch } });
  }

  async trajectory(group: number, agent: number): Promise<Trajectory> {
    return replayAgent(this.config, this.#changes, group, agent, this.#stepsDone);
  }

  /** Copies `group`'s planes of the state buffer out: prefs (arm-major on the GPU), reward mean, ema. */
  async readAgents(group: number): Promise<AgentStates> {
    this.#checkHealthy();
    const k = this.#arms;
    const placement = this.#placements[group];
    const n = placement.agents;
    const first = placement.firstWorkgroup * kWorkgroupSize;
    const planeBytes = n * 4;
    const staging = this.#pool.acquire(planeBytes * (k + 2));
    const encoder = this.#device.createCommandEncoder({ label: 'GpuEngine.readAgents' });
    for (let plane = 0; plane < k + 2; plane++) {
      encoder.copyBufferToBuffer(this.#state, (plane * this.#stateStride + first) * 4, staging, plane * planeBytes, planeBytes);
    }
    this.#device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, planeBytes * (k + 2));
    try {
      const planes = new Float32Array(staging.getMappedRange(0, planeBytes * (k + 2)));
      const prefs = new Float32Array(n * k);
      for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) prefs[i * k + j] = planes[j * n + i];
      return { prefs, rewardMean: planes.slice(k * n, (k + 1) * n), ema: planes.slice((k + 1) * n, (k + 2) * n) };
    } finally {
      this.#pool.release(staging);
    }
  }

  /** Overwrites a group's agent state (tests start both engines from one state this way). */
  writeAgents(group: number, states: AgentStates): void {
    const k = this.#arms;
    const placement = this.#placements[group];
    const n = placement.agents;
    const first = placement.firstWorkgroup * kWorkgroupSize;
    const plane = new Float32Array(n);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < n; i++) plane[i] = states.prefs[i * k + j];
      this.#device.queue.writeBuffer(this.#state, (j * this.#stateStride + first) * 4, plane);
    }
    this.#device.queue.writeBuffer(this.#state, (k * this.#stateStride + first) * 4, Float32Array.from(states.rewardMean));
    this.#device.queue.writeBuffer(this.#state, ((k + 1) * this.#stateStride + first) * 4, Float32Array.from(states.ema));
  }

  /** Sets the step counter (tests that run one step from a given state at step t use it). */
  seekStep(stepsDone: number): void {
    this.#stepsDone = stepsDone;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const buffer of this.#buffers) buffer.destroy();
    this.#timestamps?.querySet.destroy();
    this.#pool.destroy();
  }
}

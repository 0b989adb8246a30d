/**
 * The GPU engine: every agent of every group advances in one fused dispatch per piece of steps
 * (AgentStepKernel); statistics are reduced on the GPU in two levels (the kernel's partial
 * records, then FinalizeStatsKernel) and only the small per-row block comes back, through a pool
 * of staging buffers. The engine decides the order of work; the plan (plan.ts) decides its
 * shape, AgentBuffers own the agents' state, ReadbackLayout says where results sit.
 */
import { type ExperimentConfig, validateConfig } from '../core/config.ts';
import { type AgentState, type AgentStates, type Engine, type LiveParams, type Trajectory, checkRowEvery } from '../core/engine.ts';
import { LiveGroups, type ParamChange, divergenceMessage } from '../core/groups.ts';
import { replayAgent } from '../core/replay.ts';
import { RowWriter, StatsLayout, type StatsSink } from '../core/stats.ts';
import { AgentBuffers, kNeverDiverged } from './agent-buffers.ts';
import { AgentStepKernel, kUniformSlots } from './agent-step-kernel.ts';
import { GpuUnavailableError, type GpuContext } from './device.ts';
import { FinalizeStatsKernel } from './finalize-kernel.ts';
import { PassTimer } from './pass-timer.ts';
import { type GpuEngineOptions, type GpuPlan, type Piece, planGpuRun, planPieces } from './plan.ts';
import { ReadbackLayout } from './readback-layout.ts';
import { ReadbackPacer } from './readback-pacer.ts';
import { ReadbackPool } from './readback-pool.ts';

export type { GpuEngineOptions } from './plan.ts';
export type { GpuTiming } from './pass-timer.ts';

export class GpuEngine implements Engine {
  readonly kind = 'gpu' as const;
  readonly description: string;
  readonly config: ExperimentConfig;
  readonly layout: StatsLayout;
  readonly plan: GpuPlan;
  readonly #context: GpuContext;
  readonly #device: GPUDevice;
  readonly #live: LiveGroups;
  readonly #agents: AgentBuffers;
  readonly #step: AgentStepKernel;
  readonly #finalize: FinalizeStatsKernel | null;
  readonly #timer: PassTimer;
  readonly #readback: ReadbackLayout;
  readonly #rows: RowWriter;
  readonly #pool: ReadbackPool;
  readonly #pacer: ReadbackPacer | null;
  readonly #divergedAt: number[];
  #stepsDone = 0;
  /** Whether the window the last advance left unfinished is measured (decided where it began). */
  #openWindowRecorded = true;
  #lostReason: string | null = null;
  #disposed = false;

  private constructor(config: ExperimentConfig, context: GpuContext, options: GpuEngineOptions) {
    this.config = structuredClone(validateConfig(config));
    this.#context = context;
    const device = context.device;
    this.#device = device;
    this.description = context.adapterDescription;
    this.layout = new StatsLayout(this.config.params.arms);
    this.#live = new LiveGroups(this.config);
    this.#divergedAt = this.#live.params.map(() => 0);
    const limits = device.limits;
    this.plan = planGpuRun(this.config, {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      subgroups: context.subgroups,
      subgroupMinSize: context.subgroupMinSize,
      software: context.software,
    }, options);
    this.#timer = new PassTimer(device, options.timing ?? false, context.timestamps, kUniformSlots);
    this.#agents = new AgentBuffers(device, this.plan, this.#live.params, this.#live.constants);
    this.#step = new AgentStepKernel(device, this.plan, this.#agents);
    this.#finalize = this.plan.withStats ? new FinalizeStatsKernel(device, this.plan, this.#step.partials) : null;
    this.#readback = new ReadbackLayout(this.plan);
    this.#rows = new RowWriter(this.layout);
    this.#pool = new ReadbackPool(device, 'GpuEngine.readback');
    this.#pacer = context.busyPollingMaps ? new ReadbackPacer() : null;
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

  /** How the kernel adds up statistics within a workgroup: subgroupAdd, or workgroup memory. */
  get reduction(): GpuPlan['reduction'] {
    return this.plan.reduction;
  }

  /** How the finalize combines a row's partial records: one workgroup per row, or two parallel passes. */
  get finalize(): GpuPlan['finalize'] {
    return this.plan.finalize;
  }

  /** GPU time per pass (filled only with the `timing` option). */
  get timing() {
    return this.#timer.timing;
  }

  divergedAt(group: number): number {
    return this.#divergedAt[group];
  }

  #checkHealthy(): void {
    if (this.#disposed) throw new Error('GPU engine used after dispose()');
    if (this.#lostReason) throw new GpuUnavailableError(this.#lostReason);
    const uncaptured = this.#context.takeUncapturedError();
    if (uncaptured) throw new GpuUnavailableError(`GPU error: ${uncaptured}`);
  }

  async advance(steps: number, sink: StatsSink, rowEvery = 1): Promise<void> {
    this.#checkHealthy();
    const plan = this.plan;
    const pieces = planPieces(this.#stepsDone, Math.max(0, Math.floor(steps)), plan.window, plan.maxStepsPerDispatch, plan.rowsPerDispatch,
      plan.withStats, checkRowEvery(rowEvery), this.#openWindowRecorded);
    this.#stepsDone += pieces.reduce((sum, p) => sum + p.steps, 0);
    if (pieces.length > 0 && this.#stepsDone % plan.window !== 0) this.#openWindowRecorded = pieces[pieces.length - 1].stats;
    const pending: Promise<void>[] = [];
    // Agent-steps up to the end of each submit: the GPU runs the submits one after another.
    let agentStepsSoFar = 0;
    for (let first = 0; first < pieces.length; first += kUniformSlots) {
      const batch = pieces.slice(first, first + kUniformSlots);
      agentStepsSoFar += batch.reduce((sum, p) => sum + p.steps, 0) * plan.stateStride;
      pending.push(this.#submit(batch, sink, agentStepsSoFar, first + kUniformSlots >= pieces.length));
    }
    await Promise.all(pending);
  }

  /** `agentSteps`: the work queued up to the end of this submit; `last`: the advance's last submit. */
  async #submit(pieces: Piece[], sink: StatsSink, agentSteps: number, last: boolean): Promise<void> {
    this.#step.writeUniforms(pieces, this.config.params.seed);
    let reporting = 0;
    for (const piece of pieces) if (piece.rows > 0) reporting++;
    const at = this.#readback.offsets(reporting, this.#timer.bytes(pieces.length));
    const staging = this.#pool.acquire(at.total);
    const encoder = this.#device.createCommandEncoder({ label: 'GpuEngine.advance' });
    this.#encodePieces(encoder, pieces, staging);
    encoder.copyBufferToBuffer(this.#agents.divergedAt, 0, staging, at.divergedAt, this.#divergedAt.length * 4);
    this.#timer.resolve(encoder, pieces.length, staging, at.timing);
    this.#device.queue.submit([encoder.finish()]);

    try {
      const start = await this.#pacer?.beforeReadback(agentSteps);
      await staging.mapAsync(GPUMapMode.READ, 0, at.total);
      if (last && start !== undefined) this.#pacer?.afterReadback(agentSteps, start);
    } catch (error) {
      this.#checkHealthy();
      throw new GpuUnavailableError(`GPU readback failed: ${(error as Error).message}`);
    }
    try {
      this.#checkHealthy();
      const mapped = staging.getMappedRange(0, at.total);
      if (this.#timer.enabled) this.#timer.add(pieces, new DataView(mapped, at.timing), (piece) => piece.rows > 0 && this.#finalize !== null);
      const newlyDiverged = this.#takeDivergence(new Uint32Array(mapped, at.divergedAt, this.#divergedAt.length));
      this.#readback.emitRows(mapped, pieces, this.#divergedAt, this.#rows, sink);
      for (let g = 0; g < this.#divergedAt.length; g++) {
        if ((newlyDiverged & (1 << g)) === 0) continue;
        this.#agents.halt(g, this.#live.constants[g]);
        sink.diverged?.(g, this.#divergedAt[g], divergenceMessage(g, this.#divergedAt[g]));
      }
    } finally {
      this.#pool.release(staging);
    }
  }

  /**
   * Each piece's step dispatch, then its finalize where it finishes rows, then the copies of its
   * rows. A measured piece's passes end before its copies; with timing, every dispatch runs in a
   * timed pass of its own; otherwise unmeasured dispatches share one pass.
   */
  #encodePieces(encoder: GPUCommandEncoder, pieces: readonly Piece[], staging: GPUBuffer): void {
    const timed = this.#timer.enabled;
    let reported = 0;
    let pass: GPUComputePassEncoder | null = null;
    for (let slot = 0; slot < pieces.length; slot++) {
      const piece = pieces[slot];
      const withStats = piece.stats;
      if (withStats) {
        // Unmeasured pieces before it share a pass, which must end before the clear.
        pass?.end();
        pass = null;
        encoder.clearBuffer(this.#step.histograms);
      }
      pass ??= this.#timer.beginStepPass(encoder, slot);
      this.#step.encode(pass, slot, withStats);
      if (piece.rows > 0 && this.#finalize) {
        if (timed) {
          pass.end();
          pass = this.#timer.beginFinalizePass(encoder, slot);
        }
        this.#finalize.encode(pass, piece.rows);
      }
      if (withStats || timed) {
        pass.end();
        pass = null;
      }
      if (piece.rows > 0 && this.#finalize) this.#readback.copyPiece(encoder, reported++, this.#finalize.rows, this.#step.histograms, staging);
    }
    (pass as GPUComputePassEncoder | null)?.end();
  }

  /** Records the groups that diverged in this submit (read from its staging block); returns them as bits. */
  #takeDivergence(words: Uint32Array): number {
    let newly = 0;
    for (let g = 0; g < this.#divergedAt.length; g++) {
      if (words[g] !== kNeverDiverged && this.#divergedAt[g] === 0) {
        this.#divergedAt[g] = words[g];
        newly |= 1 << g;
      }
    }
    return newly;
  }

  setGroupParams(group: number, patch: Partial<LiveParams>): void {
    this.#live.set(group, patch, this.#stepsDone);
    this.#agents.writeGroup(group, this.#live.constants[group]);
  }

  get paramChanges(): readonly ParamChange[] {
    return this.#live.changes;
  }

  async trajectory(group: number, agent: number, fromStep = 1): Promise<Trajectory> {
    return replayAgent(this.config, this.#live.changes, group, agent, this.#stepsDone, fromStep);
  }

  async readAgents(group: number): Promise<AgentStates> {
    this.#checkHealthy();
    return this.#agents.read(group, this.#pool);
  }

  /** Copies one agent's k + 2 words out: queued after every advance submitted before the call. */
  async readAgent(group: number, agent: number): Promise<AgentState> {
    this.#checkHealthy();
    return this.#agents.readAgent(group, agent, this.#pool);
  }

  /** Overwrites a group's agent state (tests start both engines from one state this way). */
  writeAgents(group: number, states: AgentStates): void {
    this.#agents.write(group, states);
  }

  /** Sets the step counter (tests that run one step from a given state at step t use it). */
  seekStep(stepsDone: number): void {
    this.#stepsDone = stepsDone;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#agents.destroy();
    this.#step.destroy();
    this.#finalize?.destroy();
    this.#timer.destroy();
    this.#pool.destroy();
  }
}

/**
 * Runs the gradient-estimator lab for the page: draws REINFORCE estimates at one frozen policy,
 * call after call, and keeps their running total (addLabSums), so that the histograms and
 * moments sharpen while the learner watches. On the GPU (GpuGradientLab) one call is in flight at
 * a time and the next starts when it resolves; on the CPU (accumulateLabSamplesCpu) one small
 * batch runs per animation frame, sized to leave the page its frames. Either way the call sizes
 * adapt to what a call took. Nothing runs while the host says it is inactive (the panel closed,
 * the learner paused it) or the page is hidden; a new problem (policy, constant baseline, bandit)
 * starts a new total.
 *
 * Call k of a total draws frame k (the random numbers of sample i are (frame, i)), so every call
 * draws new samples, and the list of calls (`calls`) lets anyone redraw the same total.
 *
 * Also here, the few numbers the lab's table shows per baseline (labRows), so that the Lit
 * component only formats.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  type HistogramRange,
  type LabAnalysis,
  type LabBaselineId,
  type LabEstimate,
  type LabProblem,
  type LabSums,
  accumulateLabSamplesCpu,
  addLabSums,
  analyzeLab,
  emptyLabSums,
  finishLabEstimate,
  kMaxLabSumsSamples,
  pickHistogramRange,
  samplesForAccuracy,
} from '../core/gradient-lab.ts';
import { GpuGradientLab } from '../gpu/gradient-lab-kernel.ts';
import { type Backend, errorText } from './engine-backend.ts';

/** GPU call sizes: from 2^16 (the first call also compiles the pipelines), doubled while a call takes under kGrowMs. */
const kGpuFirstBatch = 2 ** 16;
const kGpuMinBatch = 2 ** 14;
const kGpuMaxBatch = 2 ** 24;
/** CPU batches: one per frame, kept under kCpuFrameMs of the main thread. */
const kCpuFirstBatch = 2 ** 12;
const kCpuMinBatch = 2 ** 8;
const kCpuMaxBatch = 2 ** 16;
const kCpuFrameMs = 8;
/** A GPU call shorter than this doubles the next one; longer than kShrinkMs halves it (the page stays lively either way). */
const kGrowMs = 30;
const kShrinkMs = 120;

/** One finished call: the frame it drew and how many samples. */
export interface LabCall {
  frame: number;
  samples: number;
}

export type LabEngineKind = 'gpu' | 'cpu';

/** One baseline's line in the lab's table. */
export interface LabRow {
  id: LabBaselineId;
  label: string;
  /** The baseline subtracted. */
  value: number;
  /** Sample mean of the projection g . u (u: the unit direction of grad J) and its standard error. */
  projectionMean: number;
  projectionSe: number;
  /** |grad J|: what every baseline's projection averages to. */
  exactMean: number;
  /** Exact and sampled total variance tr Cov[g], the sampled one with its standard error. */
  exactVariance: number;
  sampledVariance: number;
  sampledVarianceSe: number;
  /** Exact sd of the projection (the histogram's spread). */
  projectionSd: number;
  /** Samples for a standard error of `accuracy` |grad J| (samplesForAccuracy, exact variance). */
  samplesNeeded: number;
  histogram: Uint32Array;
  /** Share of the samples beyond the histogram's range (counted in its edge bins). */
  outsideShare: number;
}

/**
 * The table's rows for an estimate. The projection's mean is the mean estimate's component along
 * u (projection is linear); its standard error uses the exact sd of the projection, which the
 * analysis knows, over sqrt(samples).
 */
export function labRows(estimate: LabEstimate, accuracy: number): LabRow[] {
  const a = estimate.analysis;
  const n = estimate.samples;
  return estimate.baselines.map((b, m) => {
    const exact = a.baselines[m];
    let projectionMean = 0;
    for (let j = 0; j < a.arms; j++) projectionMean += b.mean[j] * a.direction[j];
    return {
      id: b.id,
      label: exact.label,
      value: b.value,
      projectionMean,
      projectionSe: exact.projectionSd / Math.sqrt(Math.max(1, n)),
      exactMean: exact.projectionMean,
      exactVariance: exact.totalVariance,
      sampledVariance: b.totalVariance,
      sampledVarianceSe: b.totalVarianceSe,
      projectionSd: exact.projectionSd,
      samplesNeeded: samplesForAccuracy(exact.totalVariance, accuracy, a.gradNorm),
      histogram: b.histogram,
      outsideShare: n > 0 ? b.outside / n : 0,
    };
  });
}

/** Where the running total stands, for the panel's status line. */
export interface LabProgress {
  kind: LabEngineKind;
  samples: number;
  /** Wall-clock seconds the lab has run for this total (paused time not counted). */
  seconds: number;
  /** samples / seconds: what the learner's machine really did, calls, readbacks and frames included. */
  samplesPerSecond: number;
  running: boolean;
  /** Why the GPU is not used, or that the total is full; null when there is nothing to say. */
  note: string | null;
}

export class LabRunner implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #backend: Backend | null = null;
  #gpu: GpuGradientLab | null = null;
  /** Set once the GPU failed under the lab: it stays on the CPU until the page's backend changes. */
  #gpuFailure: string | null = null;
  /** Why the current problem cannot be sampled (analyzeLab refused it), or null. */
  #problemError: string | null = null;
  #problem: LabProblem | null = null;
  #problemKey = '';
  #analysis: LabAnalysis | null = null;
  #range: HistogramRange | null = null;
  #sums: LabSums | null = null;
  #estimate: LabEstimate | null = null;
  #calls: LabCall[] = [];
  #frame = 0;
  /** Bumped by every new total: a call that finishes for an older one is dropped. */
  #generation = 0;
  #wanted = false;
  #connected = false;
  #inflight = false;
  #raf = 0;
  #renderQueued = 0;
  #gpuBatch = kGpuFirstBatch;
  #cpuBatch = kCpuFirstBatch;
  /** Active time of this total: finished stretches plus the current one since #since (0 when stopped). */
  #elapsedMs = 0;
  #since = 0;
  /** Active time when the last call finished: the rate counts samples that have arrived. */
  #elapsedAtLastMs = 0;
  readonly #onVisibility = () => this.#pump();

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#pump();
  }

  hostDisconnected(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#stopClock();
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
    cancelAnimationFrame(this.#renderQueued);
    this.#renderQueued = 0;
    this.#generation++;
    this.#gpu?.dispose();
    this.#gpu = null;
  }

  /** Whether the host wants samples drawn (panel open and not paused); the page's visibility is checked here too. */
  set active(value: boolean) {
    if (value === this.#wanted) return;
    this.#wanted = value;
    this.#pump();
  }

  get active(): boolean {
    return this.#wanted;
  }

  /**
   * The page's backend and the problem to sample. A different problem (compared by value)
   * starts a new total; a different backend a new GPU lab on it.
   */
  configure(backend: Backend | null, problem: LabProblem | null): void {
    if (backend !== this.#backend) {
      this.#backend = backend;
      this.#gpu?.dispose();
      this.#gpu = null;
      this.#gpuFailure = null;
      this.#gpuBatch = kGpuFirstBatch;
      // The in-flight call (if any) was on the old device: its total goes with it.
      this.#restart();
    }
    const key = problem ? JSON.stringify(problem) : '';
    if (key !== this.#problemKey) {
      this.#problemKey = key;
      this.#problem = problem;
      this.#analysis = null;
      this.#range = null;
      this.#problemError = null;
      if (problem) {
        try {
          this.#analysis = analyzeLab(problem);
          this.#range = pickHistogramRange(this.#analysis);
        } catch (error) {
          // The component builds problems from validated configs; if one still fails, say so.
          this.#analysis = null;
          this.#problemError = `This policy cannot be sampled: ${errorText(error)}`;
        }
      }
      this.#restart();
    }
    this.#pump();
  }

  get kind(): LabEngineKind {
    return this.#backend?.kind === 'gpu' && this.#gpuFailure === null ? 'gpu' : 'cpu';
  }

  /** The analysis of the current problem (exact results), before any draw. */
  get analysis(): LabAnalysis | null {
    return this.#analysis;
  }

  get range(): HistogramRange | null {
    return this.#range;
  }

  get problem(): LabProblem | null {
    return this.#problem;
  }

  /** The estimate of every draw of this total so far (null before the first call returns). */
  get estimate(): LabEstimate | null {
    if (!this.#estimate && this.#sums && this.#analysis && this.#range && this.#sums.samples > 0) {
      this.#estimate = finishLabEstimate(this.#analysis, this.#sums, this.#frame, this.#range);
    }
    return this.#estimate;
  }

  /** The finished calls of this total, in order: redrawing them gives the same sums. */
  get calls(): readonly LabCall[] {
    return this.#calls;
  }

  /** A call is in flight (GPU) or scheduled (CPU). */
  get busy(): boolean {
    return this.#inflight || this.#raf !== 0;
  }

  get progress(): LabProgress {
    const samples = this.#sums?.samples ?? 0;
    const seconds = this.#elapsedAtLastMs / 1000;
    let note = this.#problemError;
    if (this.#gpuFailure) note = `The GPU failed under the lab (${this.#gpuFailure}); it draws on the CPU now.`;
    if (samples >= kMaxLabSumsSamples) note = `Stopped at ${samples.toLocaleString('en-US')} samples: the counts are 32-bit, and the standard errors are tiny by now.`;
    return { kind: this.kind, samples, seconds, samplesPerSecond: seconds > 0 ? samples / seconds : 0, running: this.#shouldRun(), note };
  }

  #restart(): void {
    this.#generation++;
    this.#sums = null;
    this.#estimate = null;
    this.#calls = [];
    this.#frame = 0;
    this.#elapsedMs = 0;
    this.#elapsedAtLastMs = 0;
    this.#since = this.#since !== 0 ? performance.now() : 0;
    // A CPU batch scheduled for the old total is still fine to run: it reads the new state.
    this.#queueRender();
  }

  #shouldRun(): boolean {
    return (
      this.#connected && this.#wanted && this.#analysis !== null && this.#backend !== null &&
      document.visibilityState !== 'hidden' && (this.#sums?.samples ?? 0) < kMaxLabSumsSamples
    );
  }

  #startClock(): void {
    if (this.#since === 0) this.#since = performance.now();
  }

  #stopClock(): void {
    if (this.#since === 0) return;
    this.#elapsedMs += performance.now() - this.#since;
    this.#since = 0;
  }

  #activeMs(): number {
    return this.#elapsedMs + (this.#since !== 0 ? performance.now() - this.#since : 0);
  }

  /** Starts the next call if the lab should run and none is pending; stops the clock if it should not. */
  #pump(): void {
    if (!this.#shouldRun()) {
      this.#stopClock();
      this.#queueRender();
      return;
    }
    this.#startClock();
    if (this.#inflight || this.#raf !== 0) return;
    if (this.kind === 'gpu') void this.#gpuCall();
    else this.#raf = requestAnimationFrame(() => this.#cpuCall());
  }

  /** How many samples the next call may draw: its batch, but not past the u32 counts. */
  #size(batch: number): number {
    return Math.max(1, Math.min(batch, kMaxLabSumsSamples - (this.#sums?.samples ?? 0)));
  }

  #add(sums: LabSums, frame: number, samples: number): void {
    if (!this.#analysis) return;
    this.#sums = addLabSums(this.#sums ?? emptyLabSums(this.#analysis.arms, 0), sums);
    this.#estimate = null;
    this.#calls.push({ frame, samples });
    this.#elapsedAtLastMs = this.#activeMs();
    this.#queueRender();
  }

  async #gpuCall(): Promise<void> {
    const backend = this.#backend;
    const problem = this.#problem;
    const range = this.#range;
    if (backend?.kind !== 'gpu' || !problem || !range) return;
    this.#inflight = true;
    const generation = this.#generation;
    const frame = this.#frame++;
    const samples = this.#size(this.#gpuBatch);
    const started = performance.now();
    try {
      this.#gpu ??= GpuGradientLab.create(backend.context);
      const estimate = await this.#gpu.run(problem, samples, frame, range);
      if (generation !== this.#generation) return;
      const took = performance.now() - started;
      if (took < kGrowMs) this.#gpuBatch = Math.min(kGpuMaxBatch, this.#gpuBatch * 2);
      else if (took > kShrinkMs) this.#gpuBatch = Math.max(kGpuMinBatch, this.#gpuBatch / 2);
      this.#add(estimate.sums, frame, samples);
    } catch (error) {
      if (backend !== this.#backend) return; // the page moved on to another backend meanwhile
      // A lost device or a failing kernel: the CPU draws the same samples, so the total goes on there.
      this.#gpuFailure = errorText(error);
      this.#gpu?.dispose();
      this.#gpu = null;
      this.#queueRender();
    } finally {
      this.#inflight = false;
      this.#pump();
    }
  }

  #cpuCall(): void {
    this.#raf = 0;
    if (!this.#shouldRun() || !this.#analysis || !this.#range) {
      this.#pump();
      return;
    }
    const frame = this.#frame++;
    const samples = this.#size(this.#cpuBatch);
    const started = performance.now();
    const sums = accumulateLabSamplesCpu(this.#analysis, samples, frame, this.#range);
    const took = performance.now() - started;
    if (took < kCpuFrameMs / 2) this.#cpuBatch = Math.min(kCpuMaxBatch, this.#cpuBatch * 2);
    else if (took > kCpuFrameMs) this.#cpuBatch = Math.max(kCpuMinBatch, this.#cpuBatch / 2);
    this.#add(sums, frame, samples);
    this.#pump();
  }

  /** One host update per animation frame at most, however fast the calls come back. */
  #queueRender(): void {
    if (this.#renderQueued !== 0 || !this.#connected) return;
    this.#renderQueued = requestAnimationFrame(() => {
      this.#renderQueued = 0;
      this.#host.requestUpdate();
    });
  }
}

/**
 * GPU time per pass from timestamp queries, the one owner of the query set. Off (the default),
 * it begins plain passes and reads nothing; on, every piece of a submit has four timestamps
 * (step pass begin and end, finalize pass begin and end), resolved into the submit's staging
 * buffer and added up in `timing`.
 */
import { GpuUnavailableError } from './device.ts';
import type { Piece } from './plan.ts';

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

const kQueriesPerPiece = 4;

export class PassTimer {
  readonly timing: GpuTiming = { stepNs: 0, finalizeNs: 0, spanNs: 0, steps: 0, rows: 0 };
  readonly #queries: { set: GPUQuerySet; resolved: GPUBuffer } | null;

  /** `pieces`: the most pieces one submit holds. Throws where timing is asked for and the device lacks it. */
  constructor(device: GPUDevice, enabled: boolean, available: boolean, pieces: number) {
    if (!enabled) {
      this.#queries = null;
      return;
    }
    if (!available) throw new GpuUnavailableError('timing needs the timestamp-query feature, which this device lacks');
    const count = kQueriesPerPiece * pieces;
    this.#queries = {
      set: device.createQuerySet({ label: 'PassTimer.querySet', type: 'timestamp', count }),
      resolved: device.createBuffer({ label: 'PassTimer.resolved', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
    };
  }

  get enabled(): boolean {
    return this.#queries !== null;
  }

  /** Staging bytes the timestamps of `pieces` pieces take (0 when off). */
  bytes(pieces: number): number {
    return this.#queries ? pieces * kQueriesPerPiece * 8 : 0;
  }

  #pass(encoder: GPUCommandEncoder, label: string, query: number): GPUComputePassEncoder {
    const queries = this.#queries;
    if (!queries) return encoder.beginComputePass({ label });
    return encoder.beginComputePass({
      label,
      timestampWrites: { querySet: queries.set, beginningOfPassWriteIndex: query, endOfPassWriteIndex: query + 1 },
    });
  }

  /** A compute pass for piece `slot`'s steps (timed when on). */
  beginStepPass(encoder: GPUCommandEncoder, slot: number): GPUComputePassEncoder {
    return this.#pass(encoder, 'GpuEngine.stepPass', slot * kQueriesPerPiece);
  }

  /** A compute pass for piece `slot`'s finalize (timed when on). */
  beginFinalizePass(encoder: GPUCommandEncoder, slot: number): GPUComputePassEncoder {
    return this.#pass(encoder, 'GpuEngine.finalizePass', slot * kQueriesPerPiece + 2);
  }

  /** Copies the timestamps of `pieces` pieces into `staging` at `at`. */
  resolve(encoder: GPUCommandEncoder, pieces: number, staging: GPUBuffer, at: number): void {
    const queries = this.#queries;
    if (!queries) return;
    encoder.resolveQuerySet(queries.set, 0, pieces * kQueriesPerPiece, queries.resolved, 0);
    encoder.copyBufferToBuffer(queries.resolved, 0, staging, at, this.bytes(pieces));
  }

  /** Adds up the pieces' pass times (pieces without a finalize pass wrote no finalize timestamps). */
  add(pieces: readonly Piece[], times: DataView, finalized: (piece: Piece) => boolean): void {
    const at = (query: number) => Number(times.getBigUint64(query * 8, true));
    let first = Infinity;
    let last = 0;
    pieces.forEach((piece, slot) => {
      const q = slot * kQueriesPerPiece;
      this.timing.stepNs += at(q + 1) - at(q);
      first = Math.min(first, at(q));
      last = Math.max(last, at(q + 1));
      if (finalized(piece)) {
        this.timing.finalizeNs += at(q + 3) - at(q + 2);
        last = Math.max(last, at(q + 3));
      }
      this.timing.steps += piece.steps;
      this.timing.rows += piece.rows;
    });
    if (pieces.length > 0) this.timing.spanNs += last - first;
  }

  destroy(): void {
    this.#queries?.set.destroy();
    this.#queries?.resolved.destroy();
  }
}

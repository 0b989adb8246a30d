/**
 * Where a submit's results sit in its staging buffer, and how they turn back into rows: per piece
 * that finishes rows, every group's finished records then their histograms; after the pieces,
 * each group's divergence step; then, with timing, the timestamps.
 */
import { kHistogramBins, kMaxGroups } from '../core/shared-constants.ts';
import type { RowWriter, StatsSink } from '../core/stats.ts';
import type { GpuPlan, Piece } from './plan.ts';

export interface SubmitOffsets {
  /** Byte offset of the groups' divergence steps (u32 each). */
  divergedAt: number;
  /** Byte offset of the timestamps. */
  timing: number;
  total: number;
}

export class ReadbackLayout {
  readonly #plan: GpuPlan;
  /** Floats of every group's finished records for one piece. */
  readonly #rowFloats: number;
  readonly #histogramWords: number;
  readonly #pieceBytes: number;

  constructor(plan: GpuPlan) {
    this.#plan = plan;
    const groupRows = plan.placements.length * plan.rowsPerDispatch;
    this.#rowFloats = groupRows * plan.statCount;
    this.#histogramWords = groupRows * kHistogramBins;
    this.#pieceBytes = (this.#rowFloats + this.#histogramWords) * 4;
  }

  offsets(reportingPieces: number, timingBytes: number): SubmitOffsets {
    const divergedAt = reportingPieces * this.#pieceBytes;
    const timing = divergedAt + kMaxGroups * 4;
    return { divergedAt, timing, total: timing + timingBytes };
  }

  /** Copies the rows and histograms of the `index`-th reporting piece of a submit. */
  copyPiece(encoder: GPUCommandEncoder, index: number, rows: GPUBuffer, histograms: GPUBuffer, staging: GPUBuffer): void {
    const at = index * this.#pieceBytes;
    encoder.copyBufferToBuffer(rows, 0, staging, at, this.#rowFloats * 4);
    encoder.copyBufferToBuffer(histograms, 0, staging, at + this.#rowFloats * 4, this.#histogramWords * 4);
  }

  /**
   * Hands every row of the submit's pieces to `sink`, in piece order, groups within a piece, rows
   * within a group; a group's rows stop at its divergence step (`divergedAt[g]`, 0 for never).
   */
  emitRows(mapped: ArrayBuffer, pieces: readonly Piece[], divergedAt: readonly number[], writer: RowWriter, sink: StatsSink): void {
    const { window, rowsPerDispatch, statCount } = this.#plan;
    const groups = this.#plan.placements.length;
    // One float view and one word view over the whole block; pieces are offsets into them.
    const floats = new Float32Array(mapped);
    const words = new Uint32Array(mapped);
    let index = 0;
    for (const piece of pieces) {
      if (piece.rows === 0) continue;
      const floatBase = (index * this.#pieceBytes) / 4;
      const histogramBase = floatBase + this.#rowFloats;
      index++;
      const firstRowEnd = (Math.floor((piece.firstStep - 1) / window) + 1) * window;
      for (let g = 0; g < groups; g++) {
        for (let r = 0; r < piece.rows; r++) {
          const rowEnd = firstRowEnd + r * window;
          if (divergedAt[g] > 0 && rowEnd >= divergedAt[g]) break;
          const slot = g * rowsPerDispatch + r;
          writer.emit(sink, g, rowEnd, floats, floatBase + slot * statCount, words, histogramBase + slot * kHistogramBins);
        }
      }
    }
  }
}

/**
 * Rows of statistics packed into four typed arrays, so that a batch crosses to another thread as
 * transferable buffers: a StatsSink on the side that computes (`record`, `diverged`), and a
 * replay into another sink on the side that receives.
 */
import { type StatsSink, kHistogramBins } from './stats.ts';

/** A batch as plain data: what a worker posts (the typed arrays' buffers are transferable). */
export interface RowBatchData {
  /** Row r is groups[r], steps[r], values[r * stats ..], histograms[r * kHistogramBins ..]. */
  count: number;
  groups: Int32Array<ArrayBuffer>;
  steps: Float64Array<ArrayBuffer>;
  values: Float64Array<ArrayBuffer>;
  histograms: Uint32Array<ArrayBuffer>;
  divergences: { group: number; step: number; message: string }[];
}

export class RowBatch implements StatsSink {
  readonly data: RowBatchData;
  readonly #stats: number;

  /** An empty batch with room for `capacity` rows of `stats` statistics. */
  constructor(stats: number, capacity: number) {
    this.#stats = stats;
    this.data = {
      count: 0,
      groups: new Int32Array(capacity),
      steps: new Float64Array(capacity),
      values: new Float64Array(capacity * stats),
      histograms: new Uint32Array(capacity * kHistogramBins),
      divergences: [],
    };
  }

  get transferables(): ArrayBuffer[] {
    const d = this.data;
    return [d.groups.buffer, d.steps.buffer, d.values.buffer, d.histograms.buffer];
  }

  record(group: number, step: number, values: Float64Array, histogram: Uint32Array): void {
    const d = this.data;
    const r = d.count++;
    d.groups[r] = group;
    d.steps[r] = step;
    d.values.set(values, r * this.#stats);
    d.histograms.set(histogram, r * kHistogramBins);
  }

  diverged(group: number, step: number, message: string): void {
    this.data.divergences.push({ group, step, message });
  }
}

/**
 * Hands a received batch's rows to `sink` through `row` and `histogram` (reused, as an engine
 * does), then its divergences.
 */
export function replayRowBatch(data: RowBatchData, sink: StatsSink, row: Float64Array, histogram: Uint32Array): void {
  const stats = row.length;
  for (let r = 0; r < data.count; r++) {
    for (let c = 0; c < stats; c++) row[c] = data.values[r * stats + c];
    for (let b = 0; b < kHistogramBins; b++) histogram[b] = data.histograms[r * kHistogramBins + b];
    sink.record(data.groups[r], data.steps[r], row, histogram);
  }
  for (const { group, step, message } of data.divergences) sink.diverged?.(group, step, message);
}

import { describe, expect, it } from 'vitest';
import { RowBatch, replayRowBatch } from '../../src/core/row-batch.ts';
import { type StatsSink, kHistogramBins } from '../../src/core/stats.ts';

describe('RowBatch', () => {
  it('replays the rows and divergences it recorded, in order, through reused arrays', () => {
    const stats = 5;
    const batch = new RowBatch(stats, 3);
    const values = new Float64Array(stats);
    const histogram = new Uint32Array(kHistogramBins);
    for (let r = 0; r < 3; r++) {
      values.fill(r + 0.5);
      histogram.fill(0);
      histogram[r] = 10 + r;
      batch.record(r % 2, 7 * (r + 1), values, histogram);
    }
    batch.diverged(1, 20, 'group 1 diverged');
    expect(batch.transferables).toHaveLength(4);

    const seen: { group: number; step: number; values: number[]; bin: number }[] = [];
    const diverged: string[] = [];
    const sink: StatsSink = {
      record: (group, step, v, h) => seen.push({ group, step, values: Array.from(v), bin: h.findIndex((c) => c > 0) }),
      diverged: (group, step, message) => diverged.push(`${group}@${step}: ${message}`),
    };
    // Through a structured clone, as a worker message travels.
    replayRowBatch(structuredClone(batch.data), sink, new Float64Array(stats), new Uint32Array(kHistogramBins));
    expect(seen).toEqual([
      { group: 0, step: 7, values: [0.5, 0.5, 0.5, 0.5, 0.5], bin: 0 },
      { group: 1, step: 14, values: [1.5, 1.5, 1.5, 1.5, 1.5], bin: 1 },
      { group: 0, step: 21, values: [2.5, 2.5, 2.5, 2.5, 2.5], bin: 2 },
    ]);
    expect(diverged).toEqual(['1@20: group 1 diverged']);
  });
});

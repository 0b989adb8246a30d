import { describe, expect, it } from 'vitest';
import { ecdfAtEdges, fractionBelow, histogramTotal, snapThreshold, spreadOf } from '../../src/ui/distribution.ts';

describe('snapThreshold', () => {
  it('moves a threshold to the nearest bin edge and says whether it moved', () => {
    expect(snapThreshold(0.5, 64)).toEqual({ edge: 0.5, bin: 32, moved: false });
    // 0.51 * 64 = 32.64: edge 33/64.
    expect(snapThreshold(0.51, 64)).toEqual({ edge: 33 / 64, bin: 33, moved: true });
    expect(snapThreshold(0.9, 64)).toEqual({ edge: 58 / 64, bin: 58, moved: true });
    expect(snapThreshold(-1, 64)).toEqual({ edge: 0, bin: 0, moved: true });
    expect(snapThreshold(2, 4)).toEqual({ edge: 1, bin: 4, moved: true });
    // Not a number: the default 0.5.
    expect(snapThreshold(Number.NaN, 4).edge).toBe(0.5);
  });
});

describe('ECDF and fraction below from a histogram', () => {
  // Two rows of 4 bins; row 1 counts 10 agents: 1 in [0, .25), 2 in [.25, .5), 3 in [.5, .75), 4 in [.75, 1].
  const counts = new Uint32Array([9, 9, 9, 9, 1, 2, 3, 4]);

  it('counts the agents below each edge of the row asked for', () => {
    expect(histogramTotal(counts, 4, 4)).toBe(10);
    expect(fractionBelow(counts, 4, 4, 0)).toBe(0);
    expect(fractionBelow(counts, 4, 4, 2)).toBeCloseTo(0.3, 12);
    expect(fractionBelow(counts, 4, 4, 4)).toBe(1);
    expect(fractionBelow(counts, 0, 4, 1)).toBe(0.25);
    const out = new Array<number>(5);
    ecdfAtEdges(counts, 4, 4, out);
    expect(out.map((v) => Number(v.toFixed(12)))).toEqual([0, 0.1, 0.3, 0.6, 1]);
  });

  it('says NaN for a row that counts nobody', () => {
    const empty = new Uint32Array(4);
    expect(fractionBelow(empty, 0, 4, 2)).toBeNaN();
    const out = new Float64Array(5);
    ecdfAtEdges(empty, 0, 4, out);
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
  });
});

describe('spreadOf', () => {
  it('gives the mean and the values of rank round(q (n - 1)), diverged values left out', () => {
    // Eleven values 0..10 shuffled, and a NaN: ranks 1, 5, 9.
    const values = [7, 3, Number.NaN, 10, 0, 5, 1, 9, 2, 8, 4, 6];
    expect(spreadOf(values)).toEqual({ count: 11, mean: 5, p10: 1, p50: 5, p90: 9 });
    expect(spreadOf([Number.NaN]).count).toBe(0);
    expect(spreadOf([Number.NaN]).mean).toBeNaN();
  });
});

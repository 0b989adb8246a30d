import { describe, it, expect } from 'vitest';
import {
  StatsLayout,
  histogramBin,
  histogramQuantile,
  kHistogramBins,
  kQuantileLevels,
  kScalarStats,
  scalarIndex,
  writeQuantiles,
} from '../../src/core/stats.ts';

describe('stats layout and histogram helpers', () => {
  it('lays out scalars, then probabilities, gradient means and variances per arm', () => {
    const layout = new StatsLayout(3);
    expect(layout.count).toBe(kScalarStats.length + 9);
    expect(layout.index('mean_reward')).toBe(0);
    expect(layout.index('mean_prob_0')).toBe(layout.probOffset);
    expect(layout.index('grad_mean_2')).toBe(layout.gradMeanOffset + 2);
    expect(layout.index('grad_var_1')).toBe(layout.gradVarOffset + 1);
    expect(layout.names[layout.count - 1]).toBe('grad_var_2');
    for (const name of kScalarStats) expect(layout.index(name)).toBe(scalarIndex(name));
    expect(() => layout.index('mean_prob_3')).toThrow(/unknown statistic/);
  });

  it('bins probabilities into 64 bins with 1 in the last', () => {
    expect(kHistogramBins).toBe(64);
    expect(histogramBin(0)).toBe(0);
    expect(histogramBin(1 / 64 - 1e-12)).toBe(0);
    expect(histogramBin(1 / 64)).toBe(1);
    expect(histogramBin(0.5)).toBe(32);
    expect(histogramBin(1)).toBe(63);
    expect(histogramBin(-1e-9)).toBe(0);
    expect(histogramBin(1 + 1e-9)).toBe(63);
  });

  it('reads quantiles off the histogram, interpolating inside a bin', () => {
    const histogram = new Uint32Array(64);
    histogram[10] = 4;
    // All mass in bin 10 = [10/64, 11/64), spread evenly: the median is the bin's middle.
    expect(histogramQuantile(histogram, 0.5)).toBe(10.5 / 64);
    expect(histogramQuantile(histogram, 0.25)).toBe(10.25 / 64);
    histogram[20] = 4;
    // Half the mass below 11/64 and half in bin 20: the 0.75 quantile is the middle of bin 20.
    expect(histogramQuantile(histogram, 0.75)).toBe(20.5 / 64);
    expect(histogramQuantile(new Uint32Array(64), 0.5)).toBeNaN();
    const values = new Float64Array(kScalarStats.length);
    writeQuantiles(values, histogram);
    kQuantileLevels.forEach((level, i) => {
      expect(values[scalarIndex('prob_optimal_p10') + i]).toBe(histogramQuantile(histogram, level));
    });
  });
});

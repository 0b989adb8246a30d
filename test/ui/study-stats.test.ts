import { describe, expect, it } from 'vitest';
import { decodeConfigQuery } from '../../src/core/config.ts';
import { getPreset } from '../../src/core/presets.ts';
import { kHistogramBins } from '../../src/core/stats.ts';
import { withSweep } from '../../src/ui/config-edit.ts';
import { StatsHistory } from '../../src/ui/stats-history.ts';
import { boundedSe, histogramDescribesRow, histogramMeanSe, studyAxis, studyPoint } from '../../src/ui/study-stats.ts';

const base = () => decodeConfigQuery('agents=500').config;

/** A histogram row with `counts[b]` agents in bin b. */
function histogram(counts: Record<number, number>): Uint32Array {
  const h = new Uint32Array(kHistogramBins);
  for (const [bin, n] of Object.entries(counts)) h[Number(bin)] = n;
  return h;
}

describe('the parameter study: axis', () => {
  it('puts the swept number on x, log where it spans two decades, in ascending order', () => {
    const log = studyAxis(withSweep(base(), 'lr', [1, 0.01, 0.1], 'replace'));
    expect(log).toMatchObject({ key: 'lr', problem: '', x: [1, 0.01, 0.1], log: true, order: [1, 2, 0], ticks: [] });
    expect(studyAxis(withSweep(base(), 'lr', [0.1, 0.4, 5], 'replace')).log).toBe(false); // 50x: under two decades
    expect(studyAxis(withSweep(base(), 'offset', [-1, 0, 100], 'replace')).log).toBe(false); // not all positive
  });

  it('puts options side by side in the schema\'s order', () => {
    const axis = studyAxis(getPreset('mistake-no-baseline'));
    expect(axis).toMatchObject({ key: 'baseline', ticks: ['none', 'average'], x: [1, 0], order: [1, 0] });
  });

  it('says what it needs for one group, no difference, or several', () => {
    expect(studyAxis(base()).problem).toMatch(/^One group: nothing to compare; make a sweep to compare values/);
    const same = { ...base(), groups: [{}, {}] };
    expect(studyAxis(same)).toMatchObject({ key: null, x: [] });
    expect(studyAxis(same).problem).toContain('do not differ');
    const two = studyAxis(getPreset('testbed-baseline'));
    expect(two.key).toBeNull();
    expect(two.problem).toContain('differ in lr, baseline');
    expect(studyAxis(withSweep(base(), 'means', [[0, 1], [1, 0]], 'replace')).problem).toContain('a list, which has no axis');
  });
});

describe('the parameter study: standard errors', () => {
  it('reads the across-agent SE from a histogram row at the bins\' midpoints', () => {
    // 50 agents in the lowest bin, 50 in the highest: midpoints 0.5/64 and 63.5/64, mean 0.5,
    // each agent 31.5/64 from it, sample variance (31.5/64)^2 * 100/99.
    const h = histogram({ 0: 50, [kHistogramBins - 1]: 50 });
    const { mean, se, count } = histogramMeanSe(h, 0);
    expect(count).toBe(100);
    expect(mean).toBeCloseTo(0.5, 12);
    expect(se).toBeCloseTo(Math.sqrt(((31.5 / 64) ** 2 * 100) / 99 / 100), 12);
    // Every agent in one bin: no spread.
    expect(histogramMeanSe(histogram({ 10: 7 }), 0).se).toBe(0);
  });

  it('binomial SE for a fraction', () => {
    expect(boundedSe(0.5, 100)).toBeCloseTo(0.05, 15);
    expect(boundedSe(0, 100)).toBe(0);
    expect(boundedSe(0.5, 0)).toBeNaN();
  });

  it('a point is the latest kept row, or the mean of the last rows with the mean of their SEs', () => {
    const history = new StatsHistory(2, [100], 1, 8);
    const values = new Float64Array(history.layout.count);
    const frac = history.layout.index('frac_optimal');
    const prob = history.layout.index('mean_prob_optimal');
    const rows = [
      { frac: 0.5, prob: 0.5, h: histogram({ 0: 50, 63: 50 }) },
      { frac: 0.9, prob: 0.9, h: histogram({ 57: 100 }) },
    ];
    rows.forEach((row, i) => {
      values[frac] = row.frac;
      values[prob] = row.prob;
      history.record(0, i + 1, values, row.h);
    });
    const out = new Float64Array(2);
    studyPoint(history, 0, 'frac_optimal', 1, true, out);
    expect(out[0]).toBe(0.9);
    expect(out[1]).toBeCloseTo(0.03, 15);
    studyPoint(history, 0, 'frac_optimal', 10, true, out); // more rows asked than kept: both
    expect(out[0]).toBeCloseTo(0.7, 15);
    expect(out[1]).toBeCloseTo((0.05 + Math.sqrt(0.09 / 100)) / 2, 15);
    studyPoint(history, 0, 'mean_prob_optimal', 2, true, out);
    expect(out[0]).toBeCloseTo(0.7, 15);
    expect(out[1]).toBeCloseTo(histogramMeanSe(rows[0].h, 0).se / 2, 15); // row 2's histogram has no spread
    // Rows that average a window's steps: the histogram does not describe them; the [0, 1] bound does.
    expect(histogramDescribesRow({ window: 10, windowStats: 'mean' })).toBe(false);
    expect(histogramDescribesRow({ window: 10, windowStats: 'last' })).toBe(true);
    studyPoint(history, 0, 'mean_prob_optimal', 1, false, out);
    expect(out[1]).toBeCloseTo(Math.sqrt((0.9 * 0.1) / 100), 15);
    const empty = new StatsHistory(2, [100], 1, 8);
    studyPoint(empty, 0, 'frac_optimal', 1, true, out);
    expect([...out]).toEqual([Number.NaN, Number.NaN]);
  });
});

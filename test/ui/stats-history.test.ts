import { describe, expect, it } from 'vitest';
import { StatsLayout, kHistogramBins } from '../../src/core/stats.ts';
import { StatsHistory } from '../../src/ui/stats-history.ts';

const arms = 3;
const layout = new StatsLayout(arms);

/** A row whose every value is the step (and histogram bin 0 counts the step). */
function row(step: number): { values: Float64Array; histogram: Uint32Array } {
  const histogram = new Uint32Array(kHistogramBins);
  histogram[0] = step;
  return { values: new Float64Array(layout.count).fill(step), histogram };
}

function feed(history: StatsHistory, groups: number, fromStep: number, toStep: number, window = 1): void {
  // As the engines do: a chunk of rows of group 0, then the same steps of group 1.
  for (let g = 0; g < groups; g++) {
    for (let s = fromStep; s <= toStep; s += window) {
      const { values, histogram } = row(s);
      history.record(g, s, values, histogram);
    }
  }
}

describe('StatsHistory', () => {
  it('keeps every row until full, with groups in lock-step', () => {
    const history = new StatsHistory(arms, [10, 10], 1, 8);
    feed(history, 2, 1, 5);
    expect(history.steps).toEqual([1, 2, 3, 4, 5]);
    expect(history.column(1, 'mean_reward')).toEqual([1, 2, 3, 4, 5]);
    expect(history.counts).toEqual([5, 5]);
    expect(history.latestStep).toEqual([5, 5]);
  });

  it('thins to the rows at multiples of a doubling stride when full, bounded and evenly spaced for a long run', () => {
    const capacity = 8;
    const history = new StatsHistory(arms, [10, 10], 1, capacity);
    for (let chunk = 0; chunk < 100; chunk++) feed(history, 2, chunk * 7 + 1, chunk * 7 + 7);
    expect(history.length).toBeLessThanOrEqual(capacity);
    expect(history.length).toBeGreaterThanOrEqual(capacity / 2);
    const steps = history.steps;
    expect(steps[0]).toBe(history.stride);
    const gaps = new Set(steps.slice(1).map((s, i) => s - steps[i]));
    expect(gaps).toEqual(new Set([history.stride]));
    // Rows are picked, never averaged: each kept value and histogram is its own step's.
    for (const g of [0, 1]) {
      expect(history.column(g, 'frac_optimal')).toEqual(steps);
      expect(Array.from({ length: history.counts[g] }, (_, r) => history.histograms[g][r * kHistogramBins])).toEqual(steps);
    }
    expect(history.latestStep).toEqual([700, 700]);
    expect(history.latest[1][0]).toBe(700);
  });

  it('numbers rows by window', () => {
    const history = new StatsHistory(arms, [5], 10, 4);
    feed(history, 1, 10, 100, 10);
    expect(history.steps).toEqual([40, 80]);
    expect(history.stride).toBe(4);
  });

  it('takes sparse rows (multiples of growing powers of two) and thins them to multiples of its stride', () => {
    const history = new StatsHistory(arms, [10, 10], 1, 8);
    // As the page asks the engine: every step at first, then every 4th, then every 32nd.
    const steps = [1, 2, 3, 4, 8, 12, 16, 20, 24, 32, 64, 96, 128];
    for (const step of steps) {
      for (const g of [0, 1]) {
        const { values, histogram } = row(step);
        history.record(g, step, values, histogram);
      }
    }
    // 24 finds it full: stride 2 keeps 2, 4, 8, ..., 20, then 24 and 32 fill it; 64: stride 4
    // keeps 4, 8, ..., 24, 32, then 64 fills it; 96: stride 8 keeps 8, 16, 24, 32, 64.
    expect(history.stride).toBe(8);
    expect(history.steps).toEqual([8, 16, 24, 32, 64, 96, 128]);
    for (const g of [0, 1]) {
      expect(history.column(g, 'frac_optimal')).toEqual(history.steps);
      expect(Array.from({ length: history.counts[g] }, (_, r) => history.histograms[g][r * kHistogramBins])).toEqual(history.steps);
    }
  });

  it('refuses a row out of lock-step', () => {
    const history = new StatsHistory(arms, [5, 5], 1, 8);
    feed(history, 1, 1, 3);
    const { values, histogram } = row(7);
    expect(() => history.record(1, 7, values, histogram)).toThrow(/expected/);
  });
});

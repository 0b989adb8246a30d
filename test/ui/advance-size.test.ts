import { describe, expect, it } from 'vitest';
import { kAdvanceGrowth, kAdvanceTargetMs, nextAdvanceSteps, progressText, rowSchedule, updateMsPerStep } from '../../src/ui/advance-size.ts';

/**
 * A model engine: an advance of n steps takes overhead + n * cost milliseconds. The frame loop's
 * use of the two functions, run for `advances` advances; returns each advance's size and time.
 */
function simulate(costAt: (advance: number) => number, overheadMs: number, advances: number, cap = Infinity) {
  let msPerStep: number | null = null;
  let previous = 0;
  const sizes: number[] = [];
  const times: number[] = [];
  for (let a = 0; a < advances; a++) {
    const steps = nextAdvanceSteps(msPerStep, previous, cap);
    const elapsed = overheadMs + steps * costAt(a);
    msPerStep = updateMsPerStep(msPerStep, steps, elapsed);
    previous = steps;
    sizes.push(steps);
    times.push(elapsed);
  }
  return { sizes, times };
}

describe('advance sizing by time', () => {
  it('the first advance is one step, whatever the cap', () => {
    expect(nextAdvanceSteps(null, 0, Infinity)).toBe(1);
    expect(nextAdvanceSteps(null, 500, 1000)).toBe(1);
  });

  it('known answers: as many steps as fit in the target, at most twice the last, at most the cap, at least one', () => {
    expect(nextAdvanceSteps(0.1, 1000, Infinity)).toBe(400); // 40 ms / 0.1 ms
    expect(nextAdvanceSteps(0.1, 100, Infinity)).toBe(200); // growth limit
    expect(nextAdvanceSteps(0.1, 1000, 5)).toBe(5); // the user's cap
    expect(nextAdvanceSteps(2100, 1000, Infinity)).toBe(1); // a step longer than the target: one
    expect(nextAdvanceSteps(0.1, 1000, Infinity, 10)).toBe(100); // another target
  });

  it('a dearer measurement replaces the estimate; a cheaper one moves it three quarters of the way', () => {
    expect(updateMsPerStep(null, 4, 80)).toBe(20);
    expect(updateMsPerStep(1, 10, 30)).toBe(3);
    expect(updateMsPerStep(4, 10, 20)).toBe(2.5); // 4 + 0.75 * (2 - 4)
  });

  it('a measurement that is no measurement leaves the estimate as it was', () => {
    expect(updateMsPerStep(2, 0, 10)).toBe(2);
    expect(updateMsPerStep(2, Number.NaN, 10)).toBe(2);
    expect(updateMsPerStep(2, 3, Number.NaN)).toBe(2);
    expect(updateMsPerStep(2, 3, -1)).toBe(2);
    expect(updateMsPerStep(null, 3, Number.POSITIVE_INFINITY)).toBeNull();
    // Too quick to time is not free: the next advance still grows by the growth limit only.
    const estimate = updateMsPerStep(null, 8, 0);
    expect(estimate).toBeGreaterThan(0);
    expect(nextAdvanceSteps(estimate, 8, Infinity)).toBe(16);
  });

  it('a bad cap means one step per advance, not a runaway', () => {
    expect(nextAdvanceSteps(0.01, 100, Number.NaN)).toBe(1);
    expect(nextAdvanceSteps(0.01, 100, 0)).toBe(1);
    expect(nextAdvanceSteps(0.01, 100, 2.7)).toBe(2);
  });

  it('settles where a whole advance, its fixed overhead included, takes about the target', () => {
    // 0.05 ms per step and 4 ms of readback round trip: (40 - 4) / 0.05 = 720 steps.
    const { sizes, times } = simulate(() => 0.05, 4, 30);
    expect(sizes[0]).toBe(1);
    for (let a = 1; a < sizes.length; a++) expect(sizes[a]).toBeLessThanOrEqual(kAdvanceGrowth * sizes[a - 1]);
    const settled = times.slice(-10);
    // Whole steps and the averaging keep it a few steps off the fixed point: within 1 ms (20 steps).
    for (const t of settled) expect(Math.abs(t - kAdvanceTargetMs)).toBeLessThanOrEqual(1);
    // Reached from one step in about log2(720) + a few advances.
    expect(sizes.findIndex((n) => n >= 700)).toBeLessThanOrEqual(14);
  });

  it('steps that get 10x dearer shrink the next advance at once; cheaper ones grow it back within a few', () => {
    const cost = (a: number) => (a >= 20 && a < 40 ? 1 : 0.1);
    const { sizes, times } = simulate(cost, 0, 60);
    // The estimate approaches 0.1 ms from above: 390-400 steps fit.
    expect(sizes[19]).toBeGreaterThanOrEqual(390);
    expect(sizes[19]).toBeLessThanOrEqual(400);
    expect(times[20]).toBe(sizes[20]); // the one advance that meets the dearer steps unprepared (1 ms a step)
    expect(sizes[21]).toBe(40);
    expect(times[21]).toBe(kAdvanceTargetMs);
    // Cheaper again at advance 40: the size doubles while the estimate falls (1 -> 0.325 -> 0.156
    // -> 0.114 ms), within 4 advances 90 % of the 400 steps that fit, and never over 400.
    expect(sizes.slice(40, 44)).toEqual([40, 80, 160, 320]);
    expect(sizes[44]).toBeGreaterThanOrEqual(350);
    expect(Math.max(...sizes.slice(40))).toBeLessThanOrEqual(400);
  });

  it('a step longer than the target: one step per advance, Pause never waits for more than one step', () => {
    const { sizes } = simulate(() => 2100, 0, 5);
    expect(sizes).toEqual([1, 1, 1, 1, 1]);
  });

  it('the cap holds at every advance (learners: 1, 2, 5 steps per frame)', () => {
    for (const cap of [1, 2, 5]) {
      const { sizes } = simulate(() => 0.01, 1, 20, cap);
      expect(Math.max(...sizes)).toBe(cap);
      expect(sizes.slice(-5)).toEqual([cap, cap, cap, cap, cap]);
    }
  });
});

describe('the progress of a long advance', () => {
  it('names the steps, the time so far and what a step took, with no percentage', () => {
    expect(progressText(12, 12, 1400, 2100)).toBe('computing step 12 … 1.4 s (a step took about 2.1 s)');
    expect(progressText(1, 1, 450, null)).toBe('computing step 1 … 450 ms');
    expect(progressText(1001, 1008, 2000, 180)).toBe('computing steps 1,001–1,008 … 2.0 s (a step took about 180 ms)');
  });
});

describe('rowSchedule', () => {
  it('every row when asked, or where the budget has few rows (the presets: up to 1,000 steps)', () => {
    expect(rowSchedule(5000, 1, 1e6, true)).toEqual({ rowEvery: 1, until: Infinity });
    expect(rowSchedule(400, 1, 500, false)).toEqual({ rowEvery: 1, until: Infinity });
    expect(rowSchedule(400, 1, 1999, false)).toEqual({ rowEvery: 1, until: Infinity });
  });

  it('every row for 32 windows, then a spacing doubling every 16 rows, up to the budget\'s cap', () => {
    // Budget 10^5 steps: no fewer than 1,000 rows, so a spacing of at most 64.
    expect(rowSchedule(0, 1, 1e5, false)).toEqual({ rowEvery: 1, until: 32 });
    expect(rowSchedule(31, 1, 1e5, false)).toEqual({ rowEvery: 1, until: 32 });
    expect(rowSchedule(32, 1, 1e5, false)).toEqual({ rowEvery: 2, until: 64 });
    expect(rowSchedule(64, 1, 1e5, false)).toEqual({ rowEvery: 4, until: 128 });
    expect(rowSchedule(1024, 1, 1e5, false)).toEqual({ rowEvery: 64, until: Infinity });
    expect(rowSchedule(50_000, 1, 1e5, false)).toEqual({ rowEvery: 64, until: Infinity });
    // In windows: window 10, 64 windows done, a budget of 10^6 steps (cap 64 windows).
    expect(rowSchedule(640, 10, 1e6, false)).toEqual({ rowEvery: 4, until: 1280 });
  });

  it('gives the same rows whatever the advances, if none crosses `until`', () => {
    const rowsOf = (sizes: () => number) => {
      const rows: number[] = [];
      let done = 0;
      while (done < 5000) {
        const { rowEvery, until } = rowSchedule(done, 1, 1e5, false);
        const steps = Math.min(sizes(), until - done, 5000 - done);
        for (let s = done + 1; s <= done + steps; s++) if (s % rowEvery === 0) rows.push(s);
        done += steps;
      }
      return rows;
    };
    let x = 7;
    const a = rowsOf(() => 1);
    const b = rowsOf(() => (x = (x * 13 + 5) % 97) + 1);
    expect(b).toEqual(a);
    // About 16 rows per doubling, then one per 64 steps.
    expect(a.slice(0, 33)).toEqual([...Array.from({ length: 31 }, (_, i) => i + 1), 32, 34]);
    expect(a.length).toBeLessThan(200);
  });
});

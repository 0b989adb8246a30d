import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadbackPacer } from '../../src/gpu/readback-pacer.ts';

/** One readback: the pacer's timer, then `gpuMs` more of (fake) GPU time before the map resolves. */
async function readback(pacer: ReadbackPacer, units: number, gpuMs: number): Promise<number> {
  const submitted = performance.now();
  const pending = pacer.beforeReadback(units);
  await vi.runAllTimersAsync();
  const start = await pending;
  const slept = performance.now() - submitted;
  vi.advanceTimersByTime(Math.max(0, gpuMs - slept));
  pacer.afterReadback(units, start);
  return slept;
}

describe('ReadbackPacer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sleeps through most of the measured GPU time, scaled by the work, and learns a change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const pacer = new ReadbackPacer();
    // The first readback (pipeline compilation, 10x slower) is not learnt from.
    expect(await readback(pacer, 1000, 1000)).toBe(0);
    expect(await readback(pacer, 1000, 100)).toBe(0);
    expect(await readback(pacer, 1000, 100)).toBeCloseTo(85, 0);
    expect(await readback(pacer, 2000, 200)).toBeCloseTo(170, 0);
    // The GPU got slower: the readback waited after the timer, so the new time is taken as is.
    await readback(pacer, 1000, 300);
    expect(await readback(pacer, 1000, 300)).toBeCloseTo(255, 0);
  });

  it('comes back down within a few readbacks when the work was done before the timer ran out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const pacer = new ReadbackPacer();
    await readback(pacer, 1000, 5);
    // A submit 100x slower than the rest (the GPU was busy elsewhere, say).
    await readback(pacer, 1000, 1000);
    let slept = 0;
    // Halving: 850 ms of sleep falls under the real 10 ms in 7 readbacks, then it is measured.
    for (let i = 0; i < 10; i++) slept = await readback(pacer, 1000, 10);
    expect(slept).toBeLessThanOrEqual(10);
  });
});

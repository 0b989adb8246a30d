/**
 * Waits out most of a submit's expected GPU time on a timer before its readback is requested.
 *
 * Why: Dawn's Node binding checks for finished GPU work by rescheduling itself with setImmediate
 * for as long as any map is pending, a busy loop on the main thread. On a software GPU, which
 * runs on the same cores, that loop takes CPU time from the GPU work itself (the README's
 * benchmark section has the figures). Browsers wait in another process and need no pacing.
 *
 * The expected time comes from the last submit whose readback still had to wait after the
 * timer (so its time is known); a readback that was ready at once halves the estimate, so that
 * one that grew too large comes back down within a few calls; an estimate halved too far costs
 * one call of polling, which then measures the real time again. The first readback is not learnt
 * from: it includes pipeline compilation, which can be many times the work of a call.
 */
export class ReadbackPacer {
  /** Milliseconds per unit of work (e.g. per agent-step); 0 until measured. */
  #msPerUnit = 0;
  #sawFirst = false;
  /** Fraction of the expected time spent on the timer: the rest is polled, as before. */
  static readonly kSleepFraction = 0.85;
  /** A readback that took longer than the timer by this much had to wait: its time is the GPU's. */
  static readonly kWaitedMs = 1;

  /** Call right after the submit; resolves when it is time to request the readback. */
  async beforeReadback(units: number): Promise<number> {
    const start = performance.now();
    const sleepMs = ReadbackPacer.kSleepFraction * units * this.#msPerUnit;
    if (sleepMs >= 1) await new Promise((resolve) => setTimeout(resolve, sleepMs));
    return start;
  }

  /** Call when the readback resolved, with what beforeReadback returned. */
  afterReadback(units: number, start: number): void {
    if (units <= 0) return;
    // The first readback includes pipeline compilation: learning from it oversleeps the next one.
    if (!this.#sawFirst) {
      this.#sawFirst = true;
      return;
    }
    const elapsed = performance.now() - start;
    const slept = ReadbackPacer.kSleepFraction * units * this.#msPerUnit;
    if (slept < 1 || elapsed > slept + ReadbackPacer.kWaitedMs) this.#msPerUnit = elapsed / units;
    else this.#msPerUnit *= 0.5;
  }
}

/** Small shared helpers for the core tests (not a test file itself). */
import { philox4x32 } from '../../src/core/philox.ts';
import type { StatsSink } from '../../src/core/stats.ts';

/**
 * A seeded stream of f64 uniforms in [0, 1) with 53 random bits, from Philox with key (seed, 0xC0FFEE)
 * and an incrementing counter: reproducible test inputs, independent of `Math.random`.
 */
export function testRng(seed: number): () => number {
  const out = new Uint32Array(4);
  let counter = 0;
  return () => {
    philox4x32(counter++, 0, 0, 0xc0ffee, seed, 0xc0ffee, out);
    return ((out[0] >>> 5) * 67108864 + (out[1] >>> 6)) / 9007199254740992;
  };
}

/** f64 softmax of prefs / temperature (max-subtracted), the reference the f32 code is held to. */
export function softmaxF64(prefs: ArrayLike<number>, temperature = 1): number[] {
  const x = Array.from(prefs, (p) => p / temperature);
  const max = Math.max(...x);
  const w = x.map((v) => Math.exp(v - max));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

export interface RecordedRow {
  group: number;
  step: number;
  values: Float64Array;
  histogram: Uint32Array;
}

/** A sink that keeps copies of every row and every divergence report. */
export class RecordingSink implements StatsSink {
  readonly rows: RecordedRow[] = [];
  readonly divergences: { group: number; step: number; message: string }[] = [];
  record(group: number, step: number, values: Float64Array, histogram: Uint32Array): void {
    this.rows.push({ group, step, values: values.slice(), histogram: histogram.slice() });
  }
  diverged(group: number, step: number, message: string): void {
    this.divergences.push({ group, step, message });
  }
  ofGroup(group: number): RecordedRow[] {
    return this.rows.filter((r) => r.group === group);
  }
}

/** The bit patterns of an f32 array: equality of these is equality bit for bit (-0, NaN included). */
export function f32Bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

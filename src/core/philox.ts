/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; the
 * generator of Random123, cuRAND, PyTorch and numpy's `Philox`).
 *
 * Counter-based: the output is a pure function of a 128-bit counter and a 64-bit key, so any
 * agent at any step can draw its numbers without a running stream. The 32x32->64 multiply is
 * built from 16-bit halves because WGSL has no 64-bit integers; `shaders/common.wgsl` does the
 * very same operations, so both produce identical words.
 */

const kPhiloxM0 = 0xd2511f53;
const kPhiloxM1 = 0xcd9e8d57;
const kPhiloxW0 = 0x9e3779b9;
const kPhiloxW1 = 0xbb67ae85;

const kM0Lo = kPhiloxM0 & 0xffff;
const kM0Hi = kPhiloxM0 >>> 16;
const kM1Lo = kPhiloxM1 & 0xffff;
const kM1Hi = kPhiloxM1 >>> 16;

/**
 * High 32 bits of a * b for a constant b given as 16-bit halves (Hacker's Delight `mulhu`).
 * Every intermediate stays below 2^32, so plain double arithmetic is exact here and u32
 * arithmetic is exact in WGSL.
 */
function mulHi(a: number, bLo: number, bHi: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const lowProduct = aLo * bLo;
  const cross = aHi * bLo + (lowProduct >>> 16);
  const cross2 = (cross & 0xffff) + aLo * bHi;
  return (aHi * bHi + (cross >>> 16) + (cross2 >>> 16)) >>> 0;
}

/**
 * Writes Philox4x32-10(counter = (c0, c1, c2, c3), key = (k0, k1)) into out[0..3].
 * Allocation-free: callers pass a reusable Uint32Array.
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + kPhiloxW0) >>> 0;
      key1 = (key1 + kPhiloxW1) >>> 0;
    }
    const hi0 = mulHi(x0, kM0Lo, kM0Hi);
    const lo0 = Math.imul(x0, kPhiloxM0) >>> 0;
    const hi1 = mulHi(x2, kM1Lo, kM1Hi);
    const lo1 = Math.imul(x2, kPhiloxM1) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const kTwoPow24Inv = 1 / 16777216;

/** Uniform in [0, 1) from the top 24 bits: exactly representable in f32, same in WGSL. */
export function uniformFromU32(word: number): number {
  return (word >>> 8) * kTwoPow24Inv;
}

/** Uniform in (0, 1]: safe to take the logarithm of. */
export function uniformOpenFromU32(word: number): number {
  return ((word >>> 8) + 1) * kTwoPow24Inv;
}

const f32 = Math.fround;
const kTwoPiF32 = f32(2 * Math.PI);

/**
 * One standard normal by Box-Muller, in f32 steps as the shader does it: the cosine branch, or
 * with `branch` 'sin' the sine branch (the pair's other, independent normal). The words are
 * bit-identical on CPU and GPU; `log`, `sqrt`, `cos` and `sin` may differ in the last bits between
 * platforms, so normals agree to f32 tolerance, not bit for bit.
 */
export function normalFromU32Pair(word0: number, word1: number, branch: 'cos' | 'sin' = 'cos'): number {
  const u1 = uniformOpenFromU32(word0);
  const u2 = uniformFromU32(word1);
  const radius = f32(Math.sqrt(f32(-2 * f32(Math.log(u1)))));
  // cos(2 pi u2) as -cos(2 pi (u2 - 1/2)), sin likewise: WGSL bounds their error only on [-pi, pi].
  const angle = f32(kTwoPiF32 * f32(u2 - 0.5));
  return f32(-f32(radius * f32(branch === 'cos' ? Math.cos(angle) : Math.sin(angle))));
}

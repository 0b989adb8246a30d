// Shared by every kernel: the counter-based random numbers. Bit-exact twin of
// src/core/philox.ts: change both together (test/gpu/rng.test.ts checks). The constants shared
// with the CPU engine (statistic slots kAcc*, enum codes, sizes, random-number purposes) come
// before this file, written by the shader composer from src/core/shared-constants.ts.

const kPhiloxM0: u32 = 0xd2511f53u;
const kPhiloxM1: u32 = 0xcd9e8d57u;
const kPhiloxW0: u32 = 0x9e3779b9u;
const kPhiloxW1: u32 = 0xbb67ae85u;

// High 32 bits of a * b for a constant b given as 16-bit halves (Hacker's Delight mulhu):
// WGSL has no 64-bit integers, and every intermediate here stays below 2^32.
fn mulHi(a: u32, bLo: u32, bHi: u32) -> u32 {
  let aLo = a & 0xffffu;
  let aHi = a >> 16u;
  let lowProduct = aLo * bLo;
  let cross = aHi * bLo + (lowProduct >> 16u);
  let cross2 = (cross & 0xffffu) + aLo * bHi;
  return aHi * bHi + (cross >> 16u) + (cross2 >> 16u);
}

fn philoxRound(x: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let hi0 = mulHi(x.x, kPhiloxM0 & 0xffffu, kPhiloxM0 >> 16u);
  let hi1 = mulHi(x.z, kPhiloxM1 & 0xffffu, kPhiloxM1 >> 16u);
  return vec4<u32>(hi1 ^ x.y ^ key.x, x.z * kPhiloxM1, hi0 ^ x.w ^ key.y, x.x * kPhiloxM0);
}

// Philox4x32-10: counter = (step, purpose, index, 0), key = (seed, agent).
fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let bump = vec2<u32>(kPhiloxW0, kPhiloxW1);
  var x = philoxRound(counter, key);
  var k = key + bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k); k += bump;
  x = philoxRound(x, k);
  return x;
}

const kTwoPow24Inv: f32 = 1.0 / 16777216.0;
const kTwoPi: f32 = 6.2831854820251465;

// Uniform in [0, 1) from the top 24 bits: exact in f32, the same value as on the CPU.
fn uniformFromU32(word: u32) -> f32 {
  return f32(word >> 8u) * kTwoPow24Inv;
}

// Box-Muller (cosine branch). The words match the CPU bit for bit; log/sqrt/cos may differ in
// the last bits between platforms.
fn normalFromU32Pair(word0: u32, word1: u32) -> f32 {
  let u1 = f32((word0 >> 8u) + 1u) * kTwoPow24Inv;
  let u2 = uniformFromU32(word1);
  let radius = sqrt(-2.0 * log(u1));
  // cos(2 pi u2) as -cos(2 pi (u2 - 1/2)): WGSL bounds cos's error only on [-pi, pi].
  return -(radius * cos(kTwoPi * (u2 - 0.5)));
}

// Both Box-Muller normals of a pair of words: (cosine branch, sine branch), as above.
fn normalPairFromU32Pair(word0: u32, word1: u32) -> vec2<f32> {
  let u1 = f32((word0 >> 8u) + 1u) * kTwoPow24Inv;
  let u2 = uniformFromU32(word1);
  let radius = sqrt(-2.0 * log(u1));
  let angle = kTwoPi * (u2 - 0.5);
  return vec2<f32>(-(radius * cos(angle)), -(radius * sin(angle)));
}

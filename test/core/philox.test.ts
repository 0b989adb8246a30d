import { describe, it, expect } from 'vitest';
import { normalFromU32Pair, philox4x32, uniformFromU32, uniformOpenFromU32 } from '../../src/core/philox.ts';

function philox(counter: readonly number[], key: readonly number[]): number[] {
  const out = new Uint32Array(4);
  philox4x32(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
  return Array.from(out);
}

/**
 * An independent Philox4x32-10 written with BigInt 64-bit products (no 16-bit-halves trick),
 * straight from the Random123 definition, to cross-check the production code on random inputs.
 */
function philoxBigInt(counter: readonly number[], key: readonly number[]): number[] {
  const mask = 0xffffffffn;
  let [x0, x1, x2, x3] = counter.map((v) => BigInt(v >>> 0));
  let [k0, k1] = key.map((v) => BigInt(v >>> 0));
  for (let round = 0; round < 10; round++) {
    const p0 = 0xd2511f53n * x0;
    const p1 = 0xcd9e8d57n * x2;
    [x0, x1, x2, x3] = [((p1 >> 32n) ^ x1 ^ k0) & mask, p1 & mask, ((p0 >> 32n) ^ x3 ^ k1) & mask, p0 & mask];
    k0 = (k0 + 0x9e3779b9n) & mask;
    k1 = (k1 + 0xbb67ae85n) & mask;
  }
  return [x0, x1, x2, x3].map(Number);
}

describe('philox4x32-10', () => {
  // Known-answer vectors published with Random123 (kat_vectors, philox4x32 10 rounds).
  const vectors: { counter: number[]; key: number[]; expected: number[] }[] = [
    { counter: [0, 0, 0, 0], key: [0, 0], expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
    {
      counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      key: [0xffffffff, 0xffffffff],
      expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    },
    {
      counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      key: [0xa4093822, 0x299f31d0],
      expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    },
  ];
  for (const { counter, key, expected } of vectors) {
    it(`matches Random123 for counter ${counter.map((c) => c.toString(16)).join(' ')}`, () => {
      expect(philox(counter, key)).toEqual(expected);
    });
  }

  it('agrees with a BigInt reference implementation on 2000 pseudo-random inputs', () => {
    // Inputs from the generator itself (chained), so they cover all bit patterns of the words.
    let counter = [1, 2, 3, 4];
    let key = [5, 6];
    for (let i = 0; i < 2000; i++) {
      const words = philox(counter, key);
      expect(words).toEqual(philoxBigInt(counter, key));
      counter = words;
      key = [words[0] ^ words[3], words[1] ^ words[2]];
    }
  });

  it('takes its inputs modulo 2^32 (negative or signed-int words give the same output)', () => {
    expect(philox([-1, -1, -1, -1], [-1, -1])).toEqual(philox([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]));
  });

  it('gives different words for different agent keys, steps and purposes', () => {
    const seen = new Set<string>();
    for (let agent = 0; agent < 64; agent++) {
      for (let step = 0; step < 4; step++) {
        for (let purpose = 0; purpose < 2; purpose++) seen.add(philox([step, purpose, 0, 0], [7, agent]).join(','));
      }
    }
    expect(seen.size).toBe(64 * 4 * 2);
    // Seeds are the first key word: a different seed changes every word of the same counter.
    const a = philox([1, 0, 0, 0], [1, 0]);
    const b = philox([1, 0, 0, 0], [2, 0]);
    for (let w = 0; w < 4; w++) expect(a[w]).not.toBe(b[w]);
  });

  it('neighbouring agent keys give uncorrelated uniforms', () => {
    // Pearson correlation of u(agent i) and u(agent i + 1) at the same counter, n = 1e5 pairs.
    // Under independence r has standard error 1/sqrt(n) = 0.00316; allow 4 SE = 0.0126.
    const n = 100_000;
    const out = new Uint32Array(4);
    let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (let i = 0; i < n; i++) {
      philox4x32(3, 0, 0, 0, 11, i, out);
      const x = uniformFromU32(out[0]);
      philox4x32(3, 0, 0, 0, 11, i + 1, out);
      const y = uniformFromU32(out[0]);
      sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
    }
    const cov = sxy / n - (sx / n) * (sy / n);
    const r = cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    expect(Math.abs(r)).toBeLessThan(4 / Math.sqrt(n));
  });
});

describe('uniforms from a word', () => {
  it('maps the top 24 bits to [0, 1) exactly', () => {
    expect(uniformFromU32(0)).toBe(0);
    expect(uniformFromU32(0xff)).toBe(0); // the low 8 bits are dropped
    expect(uniformFromU32(0x100)).toBe(2 ** -24);
    expect(uniformFromU32(0x80000000)).toBe(0.5);
    expect(uniformFromU32(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniformFromU32(-1)).toBe(1 - 2 ** -24); // a signed word is read as u32
  });

  it('maps to (0, 1] for the open variant', () => {
    expect(uniformOpenFromU32(0)).toBe(2 ** -24);
    expect(uniformOpenFromU32(0xffffffff)).toBe(1);
    expect(uniformOpenFromU32(0x80000000)).toBe(0.5 + 2 ** -24);
  });

  it('stays in range and is an exact f32 for every word drawn', () => {
    const out = new Uint32Array(4);
    const failures: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      philox4x32(i, 0, 0, 0, 1, 2, out);
      for (const word of out) {
        const u = uniformFromU32(word);
        const v = uniformOpenFromU32(word);
        const ok = u >= 0 && u < 1 && v > 0 && v <= 1 && Math.fround(u) === u && Math.fround(v) === v && v - u === 2 ** -24;
        if (!ok) failures.push(word.toString(16));
      }
    }
    expect(failures).toEqual([]);
  });

  it('has mean 1/2 and variance 1/12 over 1e5 counter draws', () => {
    // U(0,1): SE of the mean = sqrt(1/12 / n) = 9.1e-4 at n = 1e5; 4 SE = 3.7e-3.
    // SE of the sample variance = sqrt((mu4 - sigma^4) / n) with mu4 = 1/80: sqrt((1/80 - 1/144) / n) = 2.4e-4.
    const n = 100_000;
    const out = new Uint32Array(4);
    let sum = 0, sumSq = 0;
    for (let i = 0; i < n; i++) {
      philox4x32(i, 0, 0, 0, 99, 0, out);
      const u = uniformFromU32(out[0]);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });
});

describe('normalFromU32Pair, sine branch', () => {
  it('has mean 0 and variance 1, and is uncorrelated with the cosine normal of the same words', () => {
    const n = 100_000;
    const out = new Uint32Array(4);
    let sum = 0, sumSq = 0, cross = 0, sumCos = 0;
    for (let i = 0; i < n; i++) {
      philox4x32(i, 1, 0, 0, 1234, 5, out);
      const c = normalFromU32Pair(out[0], out[1]);
      const s = normalFromU32Pair(out[0], out[1], 'sin');
      expect(Number.isFinite(s) && Math.fround(s) === s).toBe(true);
      sum += s;
      sumSq += s * s;
      cross += c * s;
      sumCos += c;
    }
    const mean = sum / n;
    // SE of a mean of unit normals: 1 / sqrt(n) = 3.2e-3; of a variance: sqrt(2 / n) = 4.5e-3;
    // of a correlation of independent normals: 1 / sqrt(n). 4 SE each.
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - mean * mean - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(cross / n - mean * (sumCos / n))).toBeLessThan(4 / Math.sqrt(n));
  });
});

describe('normalFromU32Pair', () => {
  it('is finite at the extreme words and an exact f32', () => {
    for (const w0 of [0, 1, 0xff, 0x100, 0x7fffffff, 0xffffffff]) {
      for (const w1 of [0, 0x40000000, 0x80000000, 0xffffffff]) {
        const z = normalFromU32Pair(w0, w1);
        expect(Number.isFinite(z)).toBe(true);
        expect(Math.fround(z)).toBe(z);
      }
    }
    // u1 = 1 (word 0xffffffff) gives radius sqrt(-2 log 1) = 0 (as -0: -2 * 0 is -0, harmless
    // since x + -0 = x); u1 = 2^-24 gives the largest radius.
    expect(Math.abs(normalFromU32Pair(0xffffffff, 0x12345678))).toBe(0);
    expect(normalFromU32Pair(0, 0)).toBeCloseTo(Math.sqrt(-2 * Math.log(2 ** -24)), 5);
  });

  it('has mean 0, variance 1 and normal tails over 1e5 counter draws', () => {
    const n = 100_000;
    const out = new Uint32Array(4);
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      philox4x32(i, 1, 0, 0, 1234, 5, out);
      z[i] = normalFromU32Pair(out[0], out[1]);
    }
    let sum = 0;
    for (const v of z) sum += v;
    const mean = sum / n;
    let m2 = 0, m4 = 0, beyond2 = 0;
    for (const v of z) {
      const d = (v - mean) ** 2;
      m2 += d;
      m4 += d * d;
      if (Math.abs(v) > 2) beyond2++;
    }
    m2 /= n;
    m4 /= n;
    // Mean: SE = sigma / sqrt(n) = 1 / sqrt(1e5) = 3.2e-3; allow 4 SE.
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    // Variance: SE of the sample variance = sqrt((mu4 - sigma^4) / n), mu4 estimated from the
    // same draws (= 3 for a normal, so about sqrt(2 / n) = 4.5e-3); allow 4 SE.
    expect(Math.abs(m2 - 1)).toBeLessThan(4 * Math.sqrt((m4 - m2 * m2) / n));
    // Kurtosis of a normal is 3; a uniform or a broken Box-Muller would be far off. The SE of the
    // sample kurtosis of a normal is about sqrt(24 / n) = 0.0155; allow 4 SE.
    expect(Math.abs(m4 / (m2 * m2) - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
    // P(|Z| > 2) = 0.0455003; binomial SE sqrt(p (1 - p) / n) = 6.6e-4; allow 4 SE.
    const p = 0.04550026;
    expect(Math.abs(beyond2 / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });
});

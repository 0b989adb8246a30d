import { describe, expect, it } from 'vitest';
import { normalFromU32Pair, philox4x32, uniformFromU32, uniformOpenFromU32 } from '../../src/core/philox.ts';
import { kShaderSources } from '../../src/gpu/shaders.ts';
import { testGpu, withErrorScopes } from './harness.ts';

// Varied counters and keys per index, covering all bits (including the 0xffffffff edges).
const kCounterKeyKernel = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> normals: array<f32>;
fn inputsOf(i: u32) -> array<u32, 6> {
  return array<u32, 6>(i, i * 2654435761u, i ^ 0xdeadbeefu, 0xffffffffu - i, i * 40503u + 7u, ~i);
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&words)) { return; }
  let v = inputsOf(i);
  let out = philox4x32(vec4<u32>(v[0], v[1], v[2], v[3]), vec2<u32>(v[4], v[5]));
  words[i] = out;
  // The steps' normal, then both normals of the pair (arm values).
  let pair = normalPairFromU32Pair(out.x, out.y);
  normals[3u * i] = normalFromU32Pair(out.x, out.y);
  normals[3u * i + 1u] = pair.x;
  normals[3u * i + 2u] = pair.y;
}`;

function inputsOf(i: number): number[] {
  return [i, Math.imul(i, 2654435761) >>> 0, (i ^ 0xdeadbeef) >>> 0, (0xffffffff - i) >>> 0, (Math.imul(i, 40503) + 7) >>> 0, ~i >>> 0];
}

describe('Philox4x32-10 in WGSL', () => {
  it('gives the same words as the TypeScript generator for 10^5 counters, bit for bit', async () => {
    const { device } = await testGpu();
    const count = 100_000;
    const { words, normals } = await withErrorScopes(device, async () => {
      const module = device.createShaderModule({ label: 'rngTest.module', code: `${kShaderSources.common}\n${kCounterKeyKernel}` });
      const pipeline = device.createComputePipeline({ label: 'rngTest.pipeline', layout: 'auto', compute: { module, entryPoint: 'main' } });
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const wordsBuffer = device.createBuffer({ label: 'rngTest.words', size: count * 16, usage });
      const normalsBuffer = device.createBuffer({ label: 'rngTest.normals', size: count * 12, usage });
      const staging = device.createBuffer({ label: 'rngTest.staging', size: count * 28, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: wordsBuffer } }, { binding: 1, resource: { buffer: normalsBuffer } }],
      }));
      pass.dispatchWorkgroups(Math.ceil(count / 64));
      pass.end();
      encoder.copyBufferToBuffer(wordsBuffer, 0, staging, 0, count * 16);
      encoder.copyBufferToBuffer(normalsBuffer, 0, staging, count * 16, count * 12);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const mapped = staging.getMappedRange();
      const result = { words: new Uint32Array(mapped, 0, count * 4).slice(), normals: new Float32Array(mapped, count * 16, count * 3).slice() };
      staging.unmap();
      for (const b of [wordsBuffer, normalsBuffer, staging]) b.destroy();
      return result;
    });

    const expected = new Uint32Array(4);
    let mismatches = 0;
    let firstMismatch = '';
    let worstNormalError = 0;
    for (let i = 0; i < count; i++) {
      const v = inputsOf(i);
      philox4x32(v[0], v[1], v[2], v[3], v[4], v[5], expected);
      for (let w = 0; w < 4; w++) {
        if (words[i * 4 + w] !== expected[w]) {
          mismatches++;
          firstMismatch ||= `index ${i} word ${w}: gpu ${words[i * 4 + w].toString(16)} cpu ${expected[w].toString(16)}`;
        }
      }
      // Uniforms are exact functions of the words; normals go through log/sqrt/cos.
      expect(uniformFromU32(words[i * 4])).toBe(uniformFromU32(expected[0]));
      // Tolerance from WGSL's accuracy rules: log has absolute error <= 2^-21 on [0.5, 2], so
      // r = sqrt(-2 log u1) may be off by sqrt(2^-20) ~ 1e-3 where r is near 0, and by about
      // 2^-20 / (2r) elsewhere; cos and sin have absolute error <= 2^-11 on [-pi, pi], times r.
      const radius = Math.sqrt(-2 * Math.log(uniformOpenFromU32(expected[0])));
      const tolerance = Math.min(2 ** -10, 2 ** -20 / (2 * radius)) + radius * 2 ** -11 + 1e-6;
      const cosine = normalFromU32Pair(expected[0], expected[1]);
      const sine = normalFromU32Pair(expected[0], expected[1], 'sin');
      for (const [got, want] of [[normals[3 * i], cosine], [normals[3 * i + 1], cosine], [normals[3 * i + 2], sine]]) {
        worstNormalError = Math.max(worstNormalError, Math.abs(got - want) / tolerance);
      }
    }
    expect(firstMismatch).toBe('');
    expect(mismatches).toBe(0);
    console.log(`normals: worst difference / WGSL-derived tolerance = ${worstNormalError.toFixed(3)}`);
    expect(worstNormalError).toBeLessThanOrEqual(1);
  });
});

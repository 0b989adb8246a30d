import { describe, it } from 'vitest';
import { goldenFile, kGoldenCases, kGpuVariants } from '../golden/cases.ts';
import { expectGolden } from '../golden/compare.ts';
import { goldenCsv } from '../golden/run-case.ts';
import { testGpu, withErrorScopes } from './harness.ts';

describe('sim on the GPU engine (SwiftShader) reproduces the recorded goldens byte for byte', () => {
  for (const golden of kGoldenCases) {
    it(golden.name, async () => {
      const context = await testGpu();
      const csv = await withErrorScopes(context.device, () => goldenCsv(golden, { kind: 'gpu', context, options: {} }));
      expectGolden(csv, goldenFile(golden.name, 'gpu'));
    });
    for (const variant of kGpuVariants.filter((v) => v.cases.includes(golden.name))) {
      it(`${golden.name}, ${variant.name} (${JSON.stringify(variant.options)})`, async () => {
        const context = await testGpu();
        const csv = await withErrorScopes(context.device, () => goldenCsv(golden, { kind: 'gpu', context, options: variant.options }));
        expectGolden(csv, goldenFile(golden.name, `gpu-${variant.name}`));
      });
    }
  }
});

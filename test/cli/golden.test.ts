import { describe, it } from 'vitest';
import { goldenFile, kGoldenCases } from '../golden/cases.ts';
import { expectGolden } from '../golden/compare.ts';
import { goldenCsv } from '../golden/run-case.ts';

describe('sim on the CPU engine reproduces the recorded goldens byte for byte', () => {
  for (const golden of kGoldenCases) {
    it(golden.name, async () => {
      expectGolden(await goldenCsv(golden, { kind: 'cpu' }), goldenFile(golden.name, 'cpu'));
    });
  }
});

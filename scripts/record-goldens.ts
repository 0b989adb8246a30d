/**
 * Records test/golden/*.csv from the code as it is (see test/golden/cases.ts): run it only when
 * a change is meant to alter `sim`'s output, and say so in the commit.
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx scripts/record-goldens.ts
 */
import { writeFileSync } from 'node:fs';
import { registerRawLoader } from '../src/cli/raw-loader.ts';
import { kGoldenCases, kGpuVariants, goldenFile } from '../test/golden/cases.ts';

registerRawLoader();
const { openNodeGpu } = await import('../src/gpu/node-gpu.ts');
const { goldenCsv } = await import('../test/golden/run-case.ts');
const context = await openNodeGpu({ allowSoftware: true });
for (const golden of kGoldenCases) {
  writeFileSync(goldenFile(golden.name, 'cpu'), await goldenCsv(golden, { kind: 'cpu' }));
  writeFileSync(goldenFile(golden.name, 'gpu'), await goldenCsv(golden, { kind: 'gpu', context, options: {} }));
  for (const variant of kGpuVariants) {
    if (!variant.cases.includes(golden.name)) continue;
    writeFileSync(goldenFile(golden.name, `gpu-${variant.name}`), await goldenCsv(golden, { kind: 'gpu', context, options: variant.options }));
  }
  console.log(`recorded ${golden.name}`);
}
context.device.destroy();
process.exit(0);

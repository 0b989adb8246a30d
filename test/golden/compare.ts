import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from 'vitest';
import { kRepoRoot } from '../cli/helpers.ts';

/**
 * Byte-for-byte comparison with a recorded golden; on a difference the actual output goes to
 * test-results/golden/ and the message names the first line that differs.
 */
export function expectGolden(actual: string, file: string): void {
  const want = readFileSync(file, 'utf8');
  if (actual === want) return;
  const outDir = `${kRepoRoot}test-results/golden`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/${basename(file)}`, actual);
  const got = actual.split('\n');
  const expected = want.split('\n');
  const line = got.findIndex((text, i) => text !== expected[i]);
  const at = line < 0 ? expected.length : line;
  expect(got[at], `${basename(file)} line ${at + 1} (actual output in test-results/golden/)`).toBe(expected[at]);
  expect(actual.length).toBe(want.length);
}

import { defineConfig } from 'vitest/config';

// One config for the page (Vite) and the tests (Vitest). Test projects mirror src/:
// core and cli run in plain Node; gpu runs in Node on Dawn (SwiftShader where there is no GPU);
// e2e builds the page, serves it with `vite preview` and drives real Chromium (SwiftShader WebGPU)
// through playwright-core, plus the page's pure helpers (test/ui). It runs after the other
// projects (groupOrder) so its timing checks do not share the two cores with the GPU tests.
export default defineConfig({
  build: { target: 'es2022' },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['test/core/**/*.test.ts', 'test/cli/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          environment: 'node',
          // Dawn's native module is happiest in a child process of its own, one file at a time.
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/ui/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    testTimeout: 60_000,
  },
});

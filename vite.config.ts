import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One config for the page (Vite) and the tests (Vitest). Test projects mirror src/:
// core and cli run in plain Node; gpu runs in Node on Dawn (SwiftShader where there is no GPU);
// e2e builds the page, serves it with `vite preview` and drives real Chromium (SwiftShader WebGPU)
// through playwright-core, plus the page's pure helpers (test/ui). It runs after the other
// projects (groupOrder) so its timing checks do not share the two cores with the GPU tests.
//
// `vite build --mode lib` (the second half of `npm run build`) writes dist/pg-playground.js next to
// the page: one ES module defining <pg-playground>, with the CPU engine's worker inlined (a worker
// file could not be started from a page on another origin) and nothing else beside it.
export default defineConfig(({ mode }) => mode === 'lib' ? {
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false, // the page's build is already there
    copyPublicDir: false,
    lib: { entry: 'src/embed.ts', formats: ['es'], fileName: () => 'pg-playground.js' },
  },
  resolve: {
    alias: [{ find: /^\.\/spawn-cpu-worker\.ts$/, replacement: fileURLToPath(new URL('./src/worker/spawn-cpu-worker.inline.ts', import.meta.url)) }],
  },
} : {
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

import { defineConfig } from 'vitest/config';

// One config for the page (Vite) and the tests (Vitest). Test projects mirror src/:
// core and cli run in plain Node; gpu runs in Node on Dawn (SwiftShader where there is no GPU).
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
    ],
    testTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

// Tests import the workspace packages through their built `dist/` (npm test runs `tsc -b`
// first), so that Piscina worker threads load plain JS exactly as in production.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

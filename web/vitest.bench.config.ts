// The front-end benchmarks (bench/*.run.ts): separate programs that measure and print, run
// with `npm run bench` (or one: `npm run bench -- bench/weight.run.ts`), never in CI's tests.
// They assert nothing about time; the figures go to docs/benchmarks.md.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['bench/**/*.run.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 300_000,
  },
})

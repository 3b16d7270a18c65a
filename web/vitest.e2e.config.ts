// Browser tests: Playwright (playwright-core) driving Debian's Chromium against the real
// server, one file at a time (each starts its own server on a fresh database).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})

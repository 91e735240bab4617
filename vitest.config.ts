import { defineConfig } from 'vitest/config'

// Real brokers, influxd and ffmpeg run inside tests; on a 2-core machine the
// suites that start servers must not all run at once.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
})

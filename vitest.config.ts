import { defineConfig } from 'vitest/config'

// Files that run GStreamer encoders, ffmpeg or Chromium video. Two of them
// side by side starve each other's frame timing on a 2-core machine, so they
// run after everything else, one file at a time. No retries: a test passes
// the first time or it fails. Tests wait for behaviour (testkit/wait.ts)
// and assert no wall-clock latency; that is measured under bench/.
const MEDIA = [
  'tests/devices/camera-sim*.test.ts',
  'tests/edge/cameras*.test.ts',
  'tests/edge/live*.test.ts',
  'tests/edge/supervisor*.test.ts',
  'tests/edge/tunnel*.test.ts',
  'tests/hub/console-browser.test.ts',
  'tests/hub/relay*.test.ts',
  'tests/hub/live-soak.test.ts',
  'tests/faults/cameras-hub.test.ts',
  'tests/deploy/haproxy.test.ts',
]

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['tests/**/*.test.ts'], exclude: MEDIA, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'media', include: MEDIA, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
})

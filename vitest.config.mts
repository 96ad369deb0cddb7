import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native tests open real RocksDB instances and spawn workers; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    // .ci/run reads the counts from here.
    outputFile: { json: 'test-results/vitest.json' },
    // Off unless asked for (`--coverage`): .ci/run measures it on one of its suite runs.
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'test-results/coverage-ts',
    },
  },
})

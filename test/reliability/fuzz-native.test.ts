import path from 'node:path'
import { expect, it } from 'vitest'
import { HEAVY_TIMEOUT, childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

it('10,000 seeded fast-check runs of random calls over the native surface end in results or typed errors, never a crash', () => {
  const result = runScript(path.join(__dirname, 'scripts', 'fuzz-native.ts'))
  expectCleanExit(result)
  const { runs, calls, outcomes } = childReport<{ runs: number; calls: number; outcomes: Record<string, number> }>(result)
  expect(runs).toBe(10_000)
  expect(calls).toBeGreaterThan(30_000)
  // The fuzz reaches every kind of ending: success, wrong types, wrong sizes, RocksDB's refusals, use after close.
  for (const kind of ['ok', 'TypeError', 'RangeError', 'RocksDBError:InvalidArgument', 'ClosedError']) {
    expect(outcomes[kind], kind).toBeGreaterThan(100)
  }
}, HEAVY_TIMEOUT)

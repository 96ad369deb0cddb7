import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HEAVY_TIMEOUT, childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

interface Growth {
  total: number
  afterWarmUp: { fds: number; rssMB: number }
  atEnd: { fds: number; rssMB: number }
}

function measure(mode: string): Growth {
  const result = runScript(path.join(__dirname, 'scripts', 'leaks.ts'), [mode], ['--expose-gc'])
  expectCleanExit(result)
  return childReport<Growth>(result)
}

// Bounds over the 9/10 of the run after warm-up. A leaked database keeps at least its LOCK,
// LOG and MANIFEST open (the descriptor bound) and some 100 KB of memory; a leaked RocksDB
// iterator holds an arena of kilobytes and pins a memtable. 48 MB over 900 cycles is 53 KB a
// cycle; over 900,000 iterators, 56 bytes an iterator: below either leak. The cycles grow RSS
// by 15-35 MB here (10-30 KB a cycle, about linear over 3,000 cycles, the JS heap flat, the
// same with one malloc arena, and as much before the changes of 2026-12); 32 MB failed twice
// in one CI run. Where that growth comes from is not known: docs/reliability.md.
const FD_SLACK = 2
const RSS_SLACK_MB = 48

describe('resources stay flat', () => {
  it('1,000 open/use/close cycles: open file descriptors and RSS', () => {
    const { total, afterWarmUp, atEnd } = measure('open-close')
    expect(total).toBe(1000)
    expect(atEnd.fds - afterWarmUp.fds).toBeLessThanOrEqual(FD_SLACK)
    expect(atEnd.rssMB - afterWarmUp.rssMB).toBeLessThanOrEqual(RSS_SLACK_MB)
  }, HEAVY_TIMEOUT)

  it('1,000,000 iterator creations, one in ten left to GC: open file descriptors and RSS', () => {
    const { total, afterWarmUp, atEnd } = measure('iterators')
    expect(total).toBe(1_000_000)
    expect(atEnd.fds - afterWarmUp.fds).toBeLessThanOrEqual(FD_SLACK)
    expect(atEnd.rssMB - afterWarmUp.rssMB).toBeLessThanOrEqual(RSS_SLACK_MB)
  }, HEAVY_TIMEOUT)
})

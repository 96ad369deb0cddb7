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
// LOG and MANIFEST open and some 100 KB of memory; a leaked RocksDB iterator holds an arena
// of kilobytes and pins a memtable. 32 MB over 900 cycles is 36 KB a cycle; over 900,000
// iterators, 37 bytes an iterator: far below either leak, far above allocator noise.
const FD_SLACK = 2
const RSS_SLACK_MB = 32

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

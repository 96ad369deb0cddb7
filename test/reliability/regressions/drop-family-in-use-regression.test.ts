// Issue 8, "Data loss": dropColumnFamily destroyed the handle while a flush, compactRange,
// ingest or deleteFilesInRange on the thread pool, or an SST writer, still used it (a
// use-after-free: segfault or silent corruption). The child races them many times.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runScript } from '../../helpers/run-script'

describe('dropColumnFamily while the family is in use', () => {
  it('regression: the dropped handle was destroyed under running operations and SST writers', () => {
    const result = runScript(path.join(__dirname, 'scripts', 'drop-while-in-use.ts'), ['40'])
    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    const { rounds, outcomes } = JSON.parse(result.stdout) as { rounds: number; outcomes: string[] }
    expect(rounds).toBe(40)
    // Each operation either completed or got RocksDB's own error for a dropped family
    // (flush and compactRange: ColumnFamilyDropped; ingest: InvalidArgument).
    for (const outcome of outcomes) expect(['ok', 'ColumnFamilyDropped', 'InvalidArgument']).toContain(outcome)
  })
})

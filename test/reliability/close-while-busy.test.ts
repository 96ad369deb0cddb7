import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

interface Run {
  outcomes: Record<string, string>
  closes: string[]
  entries: number
}

const ASYNC_OPERATIONS = [
  'nextvAsync',
  'flush',
  'compactRange',
  'checkpoint',
  'ingest',
  'deleteFilesInRange',
  'sstWriterFinish',
  'createColumnFamily',
  'dropColumnFamily',
]

// Work started before close() completes. The one allowed failure: flushing every column family
// while one of them is being dropped reports RocksDB's ColumnFamilyDropped.
const SETTLED = new Set(['ok', 'RocksDBError:ColumnFamilyDropped'])

function expectSettled(run: Run, closes: number): void {
  for (const [name, result] of Object.entries(run.outcomes)) {
    expect(name === 'flush' ? SETTLED.has(result) : result === 'ok', `${name}: ${result}`).toBe(true)
  }
  expect(run.closes).toEqual(Array(closes).fill('ok'))
  // The 2,000 entries of the fixture, plus the one ingested when ingest ran.
  expect(run.entries).toBe('ingest' in run.outcomes ? 2001 : 2000)
}

it('close() with open iterators, snapshots, batches and SST writers and each async operation in flight, alone, all at once, and called 8 times at once', () => {
  const result = runScript(path.join(__dirname, 'scripts', 'close-while-busy.ts'))
  expectCleanExit(result)
  const { each, all, concurrentCloses } = childReport<{ each: Record<string, Run>; all: Run; concurrentCloses: Run }>(result)
  expect(Object.keys(each)).toEqual(ASYNC_OPERATIONS)
  for (const run of Object.values(each)) expectSettled(run, 1)
  expect(Object.keys(all.outcomes)).toEqual(ASYNC_OPERATIONS)
  expectSettled(all, 1)
  expectSettled(concurrentCloses, 8)
})

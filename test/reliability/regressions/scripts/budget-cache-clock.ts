// Opens a database with a ManualClock under a memory budget, reads the budget cache's entry
// statistics (RocksDB keeps their collector in the cache, with that database's clock), closes it
// and lets V8 collect it and its clock, then reads the statistics from a database opened after.
import path from 'node:path'
import { ManualClock, RocksDB } from '../../../../lib'
import { report, runMain, tempBase } from '../../scripts/support'

const entryStats = (db: RocksDB) => String(db.getProperty('rocksdb.block-cache-entry-stats')).split('\n')[0]

runMain(async () => {
  const base = tempBase('budget-clock', 'memory')
  RocksDB.memoryBudget({ bytes: 64 << 20 })
  await (async () => {
    const clocked = await RocksDB.open(path.join(base, 'clocked'), { clock: new ManualClock(1_000_000) })
    entryStats(clocked)
    await clocked.close()
  })()
  for (let i = 0; i < 5; i++) {
    globalThis.gc!()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  // Small allocations that reuse what the collected clock held.
  const reuse = Array.from({ length: 1000 }, () => Buffer.alloc(64, 0x41))
  const next = await RocksDB.open(path.join(base, 'next'))
  report({ stats: entryStats(next).startsWith('Block cache '), reused: reuse.length })
  await next.close()
})

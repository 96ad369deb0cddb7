// Opens and closes databases with their own block cache in a loop that never lets V8 collect
// (no GC, no turn of the event loop between cycles) and reports how much RSS grew: what a closed
// database still holds stays allocated until its JS object is collected.
import path from 'node:path'
import { RocksDB } from '../../../../lib/native'
import { report, runMain, tempBase } from '../../scripts/support'

const CYCLES = 200

runMain(async () => {
  const dir = path.join(tempBase('closed-cache', 'memory'), 'db')
  const cycle = async () => {
    const db = await RocksDB.open(dir, { wal: false })
    db.columnFamily().get('k')
    await db.close()
  }
  for (let i = 0; i < 10; i++) await cycle() // warm-up: the addon's and RocksDB's statics
  const before = process.memoryUsage.rss()
  for (let i = 0; i < CYCLES; i++) await cycle()
  report({ cycles: CYCLES, grownMiB: Math.round((process.memoryUsage.rss() - before) / 2 ** 20) })
})

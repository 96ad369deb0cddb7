// Forgotten iterators, snapshots, batches and a forgotten open database are released by
// GC without crashing, and the forgotten database's LOCK is given back.
// Argument: the database directory (the test removes it).
import { RocksDB } from '../../../lib'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

async function main() {
  const dir = process.argv[2]
  const db = await RocksDB.open(dir)
  const cf = db.columnFamily()
  for (let i = 0; i < 100; i++) cf.put(`k${i}`, 'v')
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 100; i++) {
      const it = cf.iterator()
      it.nextv(5)
      db.snapshot()
      db.batch().put(cf, 'x', 'y')
    }
    gc!()
    await new Promise((resolve) => setImmediate(resolve))
  }
  await db.close()

  // A database nobody closed: GC closes it, so the directory can be opened again.
  await (async () => {
    const forgotten = await RocksDB.open(dir)
    forgotten.columnFamily().iterator()
  })()
  let reopened: RocksDB | undefined
  for (let attempt = 0; attempt < 50 && reopened === undefined; attempt++) {
    gc!()
    await new Promise((resolve) => setTimeout(resolve, 20))
    reopened = await RocksDB.open(dir).catch(() => undefined)
  }
  if (reopened === undefined) throw new Error('the forgotten database was never released')
  console.log(`reopened ${reopened.columnFamily().get('k1')}`)
  await reopened.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

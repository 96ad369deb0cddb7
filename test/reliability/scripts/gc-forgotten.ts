// Objects of every kind dropped without close: iterators (one mid-iteration, one with a
// nextvAsync in flight), snapshots, batches, SST writers (open with entries, and finishing),
// then whole databases still holding such objects. GC must release them without a crash, and a
// forgotten database must give its directory back. Run with --expose-gc.
import path from 'node:path'
import { RocksDB } from '../../../lib/native'
import { fill, report, runMain, tempBase } from './support'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const ROUNDS = 10
const PER_ROUND = 20

async function collect(): Promise<void> {
  gc!()
  await new Promise((resolve) => setImmediate(resolve))
}

/** Creates one object of every kind on `db` and drops them all. */
function forgetEverything(db: RocksDB, base: string, n: number): void {
  const cf = db.columnFamily()
  cf.iterator().nextv(2)
  void cf.iterator().nextvAsync(10)
  cf.iterator({ snapshot: db.snapshot() })
  db.batch().put(cf, 'a', 'b').delete(cf, 'c')
  db.sstWriter(cf, path.join(base, `open-${n}.sst`)).put('a', 'b')
  const finishing = db.sstWriter(cf, path.join(base, `finishing-${n}.sst`))
  finishing.put('a', 'b')
  void finishing.finish()
}

runMain(async () => {
  const base = tempBase('gc', 'memory')
  const dir = path.join(base, 'db')
  const db = await RocksDB.open(dir, { wal: true })
  fill(db.columnFamily(), 100)
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) forgetEverything(db, base, round * PER_ROUND + i)
    await collect()
  }
  await db.close()

  // Forgotten databases, each with every kind of object open: GC closes them one after another.
  let reopened = 0
  for (let n = 0; n < 5; n++) {
    await (async () => forgetEverything(await RocksDB.open(dir, { wal: true }), base, -1 - n))()
    let again: RocksDB | undefined
    for (let attempt = 0; attempt < 100 && again === undefined; attempt++) {
      await collect()
      again = await RocksDB.open(dir, { wal: true }).catch(() => undefined)
    }
    if (again === undefined) throw new Error('a forgotten database was never released')
    reopened += again.columnFamily().get('k0000099') === undefined ? 0 : 1
    await again.close()
  }
  report({ forgotten: ROUNDS * PER_ROUND, reopened })
})

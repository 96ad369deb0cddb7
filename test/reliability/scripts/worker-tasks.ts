// What a worker thread does before the main thread terminates it (or it exits by itself).
// Bundled by worker-bundle.ts; workerData = { task, dir }. Each long task repeats its
// operation forever and posts 'started' once per round, so a terminate() always lands while
// one is in flight.
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { RocksDB } from '../../../lib/native'
import { binding } from '../../../lib/native/binding'

export const PREFILLED = 20_000
export const OPTIONS = { wal: true }

type Task = (dir: string, started: () => void) => Promise<void>

/** `round` once per round, forever; the database stays open across rounds. */
function repeat(round: (db: RocksDB, dir: string, i: number) => Promise<unknown>): Task {
  return async (dir, started) => {
    const db = await RocksDB.open(dir, OPTIONS)
    for (let i = 0; ; i++) {
      const work = round(db, dir, i)
      started()
      await work
    }
  }
}

function sstFile(db: RocksDB, file: string): Promise<unknown> {
  const writer = db.sstWriter(db.columnFamily(), file)
  for (let i = 0; i < 2000; i++) writer.put(`s${String(i).padStart(6, '0')}`, 'value')
  return writer.finish()
}

export const tasks: Record<string, Task> = {
  nextvAsync: repeat((db) => db.columnFamily().iterator().nextvAsync(PREFILLED)),
  compactRange: repeat((db) => db.compactRange(db.columnFamily())),
  flush: repeat((db, _, i) => {
    db.columnFamily().put(`flushed${i}`, 'v')
    return db.flush()
  }),
  checkpoint: repeat((db, dir, i) => db.checkpoint(path.join(path.dirname(dir), `checkpoint-${i}`))),
  ingest: repeat(async (db, dir, i) => {
    const file = path.join(path.dirname(dir), `ingest-${i}.sst`)
    await sstFile(db, file)
    return db.ingest(db.columnFamily(), [file])
  }),
  sstWriterFinish: repeat((db, dir, i) => sstFile(db, path.join(path.dirname(dir), `finish-${i}.sst`))),
  deleteFilesInRange: repeat((db) => db.deleteFilesInRange(db.columnFamily(), 'k0000000', 'k0001000')),
  createAndDropColumnFamily: repeat(async (db, _, i) => db.dropColumnFamily(await db.createColumnFamily(`family${i}`))),
  listColumnFamilies: repeat((_, dir) => RocksDB.listColumnFamilies(dir)),
  // A full snapshot's native parts: chunks framed on the thread pool into a reused target, each
  // compressed and decompressed with snappy and zstd there too.
  snapshotStream: repeat(async (db) => {
    const snapshot = db.snapshot()
    const stream = new binding.SnapshotStream(snapshot.native, [{ kvStateId: 0, family: db.columnFamily().id }], {
      prefixBytes: 1,
      frameBytes: 16 << 10,
      chunkBytes: 64 << 10,
    })
    snapshot.release()
    const target = Buffer.allocUnsafe(128 << 10)
    try {
      for (;;) {
        const chunk = await stream.next(target)
        const body = chunk.bytes ?? target.subarray(0, chunk.length)
        await binding.snappyDecompress(await binding.snappyCompress(body), body.length)
        await binding.zstdDecompress(await binding.zstdCompress(body, 1), body.length)
        if (chunk.ended) return
      }
    } finally {
      stream.close()
    }
  }),
  close: async (dir, started) => {
    for (;;) {
      const closing = (await RocksDB.open(dir, OPTIONS)).close()
      started()
      await closing
    }
  },
  syncGetLoop: async (dir, started) => {
    const cf = (await RocksDB.open(dir, OPTIONS)).columnFamily()
    for (let i = 0; ; i++) {
      cf.get(`k${String(i % PREFILLED).padStart(7, '0')}`)
      if (i % 10_000 === 0) started()
    }
  },
  syncIteratorLoop: async (dir, started) => {
    const cf = (await RocksDB.open(dir, OPTIONS)).columnFamily()
    for (let i = 0; ; i++) {
      const iterator = cf.iterator({ gte: `k${String(i % PREFILLED).padStart(7, '0')}` })
      iterator.nextv(100)
      iterator.close()
      if (i % 100 === 0) started()
    }
  },
  syncBatchLoop: async (dir, started) => {
    const db = await RocksDB.open(dir, OPTIONS)
    const cf = db.columnFamily()
    for (let i = 0; ; i++) {
      db.write(db.batch().put(cf, `w${i % 100}`, 'v').delete(cf, `w${(i + 50) % 100}`))
      if (i % 1000 === 0) started()
    }
  },
  /** Opens, writes, leaves everything open with work in flight; the main thread terminates it. */
  openUseAndWait: async (dir, started) => {
    const db = await RocksDB.open(dir, OPTIONS)
    const cf = db.columnFamily()
    for (let i = 0; i < 10; i++) cf.put(`w${i}`, 'v')
    cf.iterator().nextv(10)
    db.snapshot()
    void cf.iterator().nextvAsync(100)
    // Stay alive until terminated, even when the work above is done first.
    setInterval(() => {}, 60_000)
    started()
  },
  /** Writes, starts async work and calls process.exit(3), which ends only this worker. */
  exitFromWorker: async (dir) => {
    const db = await RocksDB.open(dir, OPTIONS)
    const cf = db.columnFamily()
    for (let i = 0; i < 100; i++) cf.put(`w${i}`, 'v')
    void db.compactRange(cf)
    void cf.iterator().nextvAsync(PREFILLED)
    process.exit(3)
  },
}

if (parentPort !== null && workerData?.task !== undefined) {
  const { task, dir } = workerData as { task: string; dir: string }
  void tasks[task](dir, () => parentPort!.postMessage('started'))
}

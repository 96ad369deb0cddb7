import { RocksDB, type ColumnFamily } from '../../lib/native/index'
import type { Driver } from './types'

/** "RocksDB <version> (<build>...)": which RocksDB the addon was linked with. */
export function describeOurs(): string {
  return `RocksDB ${RocksDB.version} (${RocksDB.build}${RocksDB.build === 'system' ? ": Debian's librocksdb, assertions ON" : ': static release build'})`
}

/**
 * rocksdb-keyed-state through its public TypeScript API: RocksDB.open, the default column
 * family (no TTL), sync put/get/getMany, a reused WriteBatch, iterator.nextBatch + forEach.
 * WAL on, as the peers have it; `ours-nowal` (the keyed-state backend's setting) turns it off.
 */
export function createDriver(): Driver {
  return createOursDriver('ours', true)
}

export function createOursDriver(name: string, wal: boolean): Driver {
  let db: RocksDB | undefined
  let cf: ColumnFamily
  let batch: ReturnType<RocksDB['batch']>
  return {
    name,
    sync: { put: true, get: true, batchPut: true, getMany: true, scan: true },
    describe: describeOurs,
    notes: [
      wal ? 'WAL on (the default since RocksDB.open keeps acknowledged writes), unsynced like the peers' : 'WAL off (wal: false, as the keyed-state backend opens it)',
      'default column family, no TTL; values stored with the 4-byte TTL stamp',
    ],
    async open(dir) {
      db = await RocksDB.open(dir, { wal })
      cf = db.columnFamily()
      batch = db.batch()
    },
    put(key, value) {
      cf.put(key, value)
    },
    get(key) {
      return cf.get(key)
    },
    batchPut(keys, values, start, end) {
      for (let i = start; i < end; i++) batch.put(cf, keys[i], values[i])
      db!.write(batch)
      batch.clear()
    },
    getMany(keys) {
      return cf.getMany(keys)
    },
    scan(batchSize, visit, limit = Infinity) {
      const iterator = cf.iterator()
      let count = 0
      try {
        while (count < limit) {
          const entries = iterator.nextBatch(Math.min(batchSize, limit - count))
          entries.forEachValue(visit)
          count += entries.count
          if (entries.ended) break
        }
      } finally {
        iterator.close()
      }
      return count
    },
    async close() {
      batch.close()
      await db?.close()
      db = undefined
    },
  }
}

// Every public method of every native-backed object, each called once with valid arguments.
// The use-after-close and close-race scripts run the whole table against objects whose
// database (or which themselves) were closed.
import path from 'node:path'
import { RocksDB, type ColumnFamily, type Iterator, type Snapshot, type SstWriter, type WriteBatch } from '../../../lib/native'
import { fill } from './support'

export interface Fixture {
  base: string
  db: RocksDB
  cf: ColumnFamily
  other: ColumnFamily
  iterator: Iterator
  snapshot: Snapshot
  batch: WriteBatch
  writer: SstWriter
  /** A finished SST file, ready for ingest. */
  sstFile: string
}

export type Call = (f: Fixture) => unknown

/** Opens a database with two column families, data, and one object of every kind. */
export async function openFixture(base: string): Promise<Fixture> {
  const db = await RocksDB.open(path.join(base, 'db'), {
    wal: true,
    columnFamilies: [{ name: 'other', ttlSeconds: 60 }],
  })
  const cf = db.columnFamily()
  const other = db.columnFamily('other')
  fill(cf, 2000)
  fill(other, 100)
  const sstFile = path.join(base, 'ready.sst')
  const ready = db.sstWriter(cf, sstFile)
  ready.put('z1', 'v')
  await ready.finish()
  const iterator = cf.iterator()
  iterator.nextv(2)
  const writer = db.sstWriter(cf, path.join(base, 'open.sst'))
  writer.put('a', 'b')
  return { base, db, cf, other, iterator, snapshot: db.snapshot(), batch: db.batch().put(cf, 'x', 'y'), writer, sstFile }
}

export const databaseCalls: Record<string, Call> = {
  createColumnFamily: (f) => f.db.createColumnFamily('new'),
  createColumnFamilySync: (f) => f.db.createColumnFamilySync('new-sync'),
  dropColumnFamily: (f) => f.db.dropColumnFamily(f.other),
  batch: (f) => f.db.batch(),
  write: (f) => f.db.write(f.batch),
  snapshot: (f) => f.db.snapshot(),
  flush: (f) => f.db.flush(),
  compactRange: (f) => f.db.compactRange(f.cf),
  getProperty: (f) => f.db.getProperty('rocksdb.estimate-num-keys'),
  approximateSize: (f) => f.db.approximateSize(f.cf, 'a', 'z'),
  checkpoint: (f) => f.db.checkpoint(path.join(f.base, 'checkpoint')),
  liveFiles: (f) => f.db.liveFiles(),
  sstWriter: (f) => f.db.sstWriter(f.cf, path.join(f.base, 'late.sst')),
  ingest: (f) => f.db.ingest(f.cf, [f.sstFile]),
  deleteFilesInRange: (f) => f.db.deleteFilesInRange(f.cf, 'a', 'b'),
}

export const columnFamilyCalls: Record<string, Call> = {
  setTtl: (f) => f.other.setTtl(30),
  get: (f) => f.cf.get('k0000001'),
  getWithSnapshot: (f) => f.cf.get('k0000001', { snapshot: f.snapshot }),
  getFresh: (f) => f.cf.getFresh('k0000001'),
  getMany: (f) => f.cf.getMany(['k0000001', 'k0000002']),
  put: (f) => f.cf.put('p', 'v'),
  putRaw: (f) => f.cf.putRaw('p', Buffer.alloc(8)),
  merge: (f) => f.cf.merge('m', 'v'),
  delete: (f) => f.cf.delete('p'),
  deleteRange: (f) => f.cf.deleteRange('a', 'b'),
  iterator: (f) => f.cf.iterator(),
  iteratorWithSnapshot: (f) => f.cf.iterator({ snapshot: f.snapshot }),
}

export const iteratorCalls: Record<string, Call> = {
  seek: (f) => f.iterator.seek('k'),
  nextv: (f) => f.iterator.nextv(10),
  nextvAsync: (f) => f.iterator.nextvAsync(10),
  nextBatch: (f) => f.iterator.nextBatch(10),
  nextBatchAsync: (f) => f.iterator.nextBatchAsync(10),
  forOf: (f) => [...f.iterator],
}

export const snapshotCalls: Record<string, Call> = {
  sequenceNumber: (f) => f.snapshot.sequenceNumber,
}

export const batchCalls: Record<string, Call> = {
  put: (f) => f.batch.put(f.cf, 'a', 'b'),
  putRaw: (f) => f.batch.putRaw(f.cf, 'a', Buffer.alloc(8)),
  merge: (f) => f.batch.merge(f.cf, 'a', 'b'),
  delete: (f) => f.batch.delete(f.cf, 'a'),
  deleteRange: (f) => f.batch.deleteRange(f.cf, 'a', 'b'),
  clear: (f) => f.batch.clear(),
  count: (f) => f.batch.count,
  byteSize: (f) => f.batch.byteSize,
}

export const writerCalls: Record<string, Call> = {
  put: (f) => f.writer.put('b', 'c'),
  putRaw: (f) => f.writer.putRaw('c', Buffer.alloc(8)),
  finish: (f) => f.writer.finish(),
}

/** The whole surface that needs an open database, named `Object.method`. */
export const everyCall: Record<string, Call> = Object.fromEntries(
  Object.entries({
    RocksDB: databaseCalls,
    ColumnFamily: columnFamilyCalls,
    Iterator: iteratorCalls,
    Snapshot: snapshotCalls,
    WriteBatch: batchCalls,
    SstWriter: writerCalls,
  }).flatMap(([object, calls]) => Object.entries(calls).map(([method, call]) => [`${object}.${method}`, call])),
)

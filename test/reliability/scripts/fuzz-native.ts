// fast-check, fixed seed: sequences of random calls over the whole native surface, with random
// byte keys and values (empty included) and wrong types, sizes and orders for every argument.
// A call may succeed or throw a typed error (TypeError, RangeError, the library's errors);
// anything else, a crash, or a database that stops accepting writes fails the run.
// `fuzz-native.ts [runs] [seed]` reports { runs, calls, outcomes }.
import fc from 'fast-check'
import path from 'node:path'
import { RocksDB, type ColumnFamily, type Iterator, type Snapshot, type SstWriter, type WriteBatch } from '../../../lib/native'
import { isTypedError, outcome, report, runMain, tempBase } from './support'

const SEED = Number(process.argv[3] ?? 20261129)
const RUNS = Number(process.argv[2] ?? 10_000)
const POOL = 16

interface World {
  base: string
  db: RocksDB
  closed: boolean
  families: ColumnFamily[]
  dropped: ColumnFamily[]
  iterators: { iterator: Iterator; skipExpired: boolean }[]
  snapshots: Snapshot[]
  batches: WriteBatch[]
  writers: SstWriter[]
  sstFiles: string[]
  files: number
}

// ---- arguments ----------------------------------------------------------------------------

const junk = fc.constantFrom<unknown>(
  undefined, null, 0, -1, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53, 10n, true, 'text', {}, [], [1, 2], { length: 3 },
  () => 0, Symbol('s'), new ArrayBuffer(4), new Uint16Array(2), new DataView(new ArrayBuffer(2)),
)
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 3 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', new Uint8Array(0), Buffer.alloc(0), Buffer.alloc(1 << 16, 1)),
)
/** A valid value most of the time, a wrong one sometimes. */
const maybe = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: junk, weight: 1 })
const key = maybe(bytes)
const size = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 64 }), weight: 5 },
  { arbitrary: fc.constantFrom(0, -1, 0.5, NaN, Infinity, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53), weight: 1 },
)
/** Picks a column family: an open one, the last dropped one, a made-up id, or junk. */
const family = fc.oneof(
  { arbitrary: fc.tuple(fc.constant('open'), fc.nat()), weight: 6 },
  fc.tuple(fc.constant('dropped'), fc.constant(0)),
  fc.tuple(fc.constant('fake'), fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(2 ** 32, 0.5, NaN))),
  fc.tuple(fc.constant('junk'), junk),
)
type FamilyPick = [string, unknown]

function pickFamily(w: World, [kind, value]: FamilyPick): ColumnFamily {
  if (kind === 'open') return w.families[(value as number) % w.families.length]
  if (kind === 'dropped') return w.dropped.at(-1) ?? w.families[0]
  if (kind === 'fake') return { id: value, name: `fake${String(value)}` } as unknown as ColumnFamily
  return value as ColumnFamily
}

const pick = <T>(pool: T[], index: number): T | undefined => pool[index % Math.max(pool.length, 1)]
/** Picks an object that the call then closes: it leaves the pool (the call itself is the use after close when it is closed already). */
const take = <T>(pool: T[], index: number): T | undefined => pool.splice(index % Math.max(pool.length, 1), 1)[0]
let replaced = 0
/** Adds to a pool of at most POOL objects, replacing them in turn when full (the old one is left to GC). */
const keep = <T>(pool: T[], item: T): T => {
  pool[pool.length < POOL ? pool.length : replaced++ % POOL] = item
  return item
}
const freshPath = (w: World, what: string) => path.join(w.base, `${what}-${w.files++}`)
const place = fc.oneof({ arbitrary: fc.constant('fresh'), weight: 4 }, fc.constant('existing'), junk)
const placeFor = (w: World, chosen: unknown, what: string) =>
  chosen === 'fresh' ? freshPath(w, what) : chosen === 'existing' ? w.base : chosen

const iteratorOptions = fc.record(
  {
    gt: key, gte: key, lt: key, lte: key,
    reverse: maybe(fc.boolean()), raw: maybe(fc.boolean()), skipExpired: maybe(fc.boolean()), fillCache: maybe(fc.boolean()),
    snapshot: fc.oneof(fc.nat().map((i) => ['pool', i]), junk.map((j) => ['junk', j])),
  },
  { requiredKeys: [] },
)

// ---- calls: [name, ...arguments], run by `calls[name](world, ...arguments)` -----------------

type Call = (w: World, ...args: never[]) => unknown
const calls: Record<string, Call> = {
  get: (w, f: FamilyPick, k: unknown, skipExpired: boolean) => pickFamily(w, f).get(k as string, { skipExpired }),
  getMany: (w, f: FamilyPick, keys: unknown[]) => pickFamily(w, f).getMany(keys as string[]),
  put: (w, f: FamilyPick, k: unknown, v: unknown) => pickFamily(w, f).put(k as string, v as string),
  putRaw: (w, f: FamilyPick, k: unknown, v: unknown) => pickFamily(w, f).putRaw(k as string, v as Uint8Array),
  merge: (w, f: FamilyPick, k: unknown, v: unknown) => pickFamily(w, f).merge(k as string, v as string),
  delete: (w, f: FamilyPick, k: unknown) => pickFamily(w, f).delete(k as string),
  deleteRange: (w, f: FamilyPick, b: unknown, e: unknown) => pickFamily(w, f).deleteRange(b as string, e as string),
  setTtl: (w, f: FamilyPick, seconds: unknown) => pickFamily(w, f).setTtl(seconds as number),
  iterator: (w, f: FamilyPick, o: Record<string, unknown>) => {
    const [kind, value] = (o.snapshot ?? ['junk', undefined]) as [string, unknown]
    const snapshot = kind === 'pool' ? pick(w.snapshots, value as number) : value
    const iterator = pickFamily(w, f).iterator({ ...o, snapshot } as never)
    keep(w.iterators, { iterator, skipExpired: o.skipExpired === true })
  },
  seek: (w, i: number, k: unknown) => pick(w.iterators, i)?.iterator.seek(k as string),
  nextv: (w, i: number, count: unknown, maxBytes: unknown) => checkedNextv(pick(w.iterators, i), count, maxBytes, false),
  nextvAsync: (w, i: number, count: unknown, maxBytes: unknown) => checkedNextv(pick(w.iterators, i), count, maxBytes, true),
  iteratorClose: (w, i: number) => take(w.iterators, i)?.iterator.close(),
  snapshot: (w) => keep(w.snapshots, w.db.snapshot()),
  snapshotRelease: (w, i: number) => take(w.snapshots, i)?.release(),
  sequenceNumber: (w, i: number) => pick(w.snapshots, i)?.sequenceNumber,
  batch: (w) => keep(w.batches, w.db.batch()),
  batchPut: (w, i: number, f: FamilyPick, k: unknown, v: unknown) => pick(w.batches, i)?.put(pickFamily(w, f), k as string, v as string),
  batchPutRaw: (w, i: number, f: FamilyPick, k: unknown, v: unknown) => pick(w.batches, i)?.putRaw(pickFamily(w, f), k as string, v as Uint8Array),
  batchMerge: (w, i: number, f: FamilyPick, k: unknown, v: unknown) => pick(w.batches, i)?.merge(pickFamily(w, f), k as string, v as string),
  batchDelete: (w, i: number, f: FamilyPick, k: unknown) => pick(w.batches, i)?.delete(pickFamily(w, f), k as string),
  batchDeleteRange: (w, i: number, f: FamilyPick, b: unknown, e: unknown) => pick(w.batches, i)?.deleteRange(pickFamily(w, f), b as string, e as string),
  batchClear: (w, i: number) => pick(w.batches, i)?.clear(),
  batchCount: (w, i: number) => pick(w.batches, i)?.count,
  batchClose: (w, i: number) => take(w.batches, i)?.close(),
  write: (w, i: number, wrong: unknown) => w.db.write((pick(w.batches, i) ?? wrong) as WriteBatch),
  sstWriter: (w, f: FamilyPick, where: unknown) => keep(w.writers, w.db.sstWriter(pickFamily(w, f), placeFor(w, where, 'sst') as string)),
  sstPut: (w, i: number, k: unknown, v: unknown) => pick(w.writers, i)?.put(k as string, v as string),
  sstPutRaw: (w, i: number, k: unknown, v: unknown) => pick(w.writers, i)?.putRaw(k as string, v as Uint8Array),
  sstFinish: async (w, i: number) => {
    const info = await take(w.writers, i)?.finish()
    if (info !== undefined) keep(w.sstFiles, info.path)
  },
  sstClose: (w, i: number) => take(w.writers, i)?.close(),
  ingest: (w, f: FamilyPick, i: number, wrong: unknown, moveFiles: unknown) =>
    w.db.ingest(pickFamily(w, f), (i % 3 === 0 ? wrong : [pick(w.sstFiles, i) ?? path.join(w.base, 'missing.sst')]) as string[], { moveFiles } as never),
  flush: (w, f: FamilyPick, all: boolean) => w.db.flush(all ? undefined : pickFamily(w, f)),
  compactRange: (w, f: FamilyPick, b: unknown, e: unknown) => w.db.compactRange(pickFamily(w, f), b as string, e as string),
  approximateSize: (w, f: FamilyPick, b: unknown, e: unknown) => w.db.approximateSize(pickFamily(w, f), b as string, e as string),
  deleteFilesInRange: (w, f: FamilyPick, b: unknown, e: unknown) => w.db.deleteFilesInRange(pickFamily(w, f), b as string, e as string),
  getProperty: (w, name: unknown, f: FamilyPick) => w.db.getProperty(name as string, pickFamily(w, f)),
  checkpoint: (w, where: unknown) => w.db.checkpoint(placeFor(w, where, 'checkpoint') as string),
  liveFiles: (w) => w.db.liveFiles(),
  createColumnFamily: async (w, name: unknown, ttl: unknown, sync: boolean) => {
    if (w.families.length >= 6) return
    const options = { ttlSeconds: ttl as number }
    const cf = sync ? w.db.createColumnFamilySync(name as string, options) : await w.db.createColumnFamily(name as string, options)
    w.families.push(cf)
  },
  dropColumnFamily: async (w, f: FamilyPick) => {
    const cf = pickFamily(w, f)
    await w.db.dropColumnFamily(cf)
    w.families = w.families.filter((open) => open !== cf)
    w.dropped.push(cf)
  },
  listColumnFamilies: (w, where: unknown) => RocksDB.listColumnFamilies(where === 'existing' ? path.join(w.base, 'db') : (where as string)),
  memoryBudget: (_w, options: unknown) => RocksDB.memoryBudget(options as null),
  close: async (w) => {
    w.closed = true
    await w.db.close()
  },
}

/** nextv that must make progress: a batch without entries has to say the iterator ended. */
async function checkedNextv(entry: World['iterators'][number] | undefined, count: unknown, maxBytes: unknown, async: boolean) {
  if (entry === undefined) return
  const { iterator, skipExpired } = entry
  const batch = async ? await iterator.nextvAsync(count as number, maxBytes as number) : iterator.nextv(count as number, maxBytes as number)
  // skipExpired may return an empty batch after a bounded scan of expired entries.
  if (batch.length === 0 && !iterator.ended && !skipExpired) throw new Error(`nextv(${String(count)}, ${String(maxBytes)}) returned nothing and did not end`)
}

const index = fc.nat(1000)
const call = fc.oneof(
  ...[
    fc.tuple(fc.constant('get'), family, key, fc.boolean()),
    fc.tuple(fc.constant('getMany'), family, fc.oneof(fc.array(key, { maxLength: 5 }), junk)),
    fc.tuple(fc.constant('put'), family, key, key),
    fc.tuple(fc.constant('putRaw'), family, key, key),
    fc.tuple(fc.constant('merge'), family, key, key),
    fc.tuple(fc.constant('delete'), family, key),
    fc.tuple(fc.constant('deleteRange'), family, key, key),
    fc.tuple(fc.constant('setTtl'), family, maybe(fc.integer({ min: 0, max: 100_000 }))),
    fc.tuple(fc.constant('iterator'), family, iteratorOptions),
    fc.tuple(fc.constant('seek'), index, key),
    fc.tuple(fc.constant('nextv'), index, size, size),
    fc.tuple(fc.constant('nextvAsync'), index, size, size),
    fc.tuple(fc.constant('iteratorClose'), index),
    fc.tuple(fc.constant('snapshot')),
    fc.tuple(fc.constant('snapshotRelease'), index),
    fc.tuple(fc.constant('sequenceNumber'), index),
    fc.tuple(fc.constant('batch')),
    fc.tuple(fc.constant('batchPut'), index, family, key, key),
    fc.tuple(fc.constant('batchPutRaw'), index, family, key, key),
    fc.tuple(fc.constant('batchMerge'), index, family, key, key),
    fc.tuple(fc.constant('batchDelete'), index, family, key),
    fc.tuple(fc.constant('batchDeleteRange'), index, family, key, key),
    fc.tuple(fc.constant('batchClear'), index),
    fc.tuple(fc.constant('batchCount'), index),
    fc.tuple(fc.constant('batchClose'), index),
    fc.tuple(fc.constant('write'), index, junk),
    fc.tuple(fc.constant('sstWriter'), family, place),
    fc.tuple(fc.constant('sstPut'), index, key, key),
    fc.tuple(fc.constant('sstPutRaw'), index, key, key),
    fc.tuple(fc.constant('sstFinish'), index),
    fc.tuple(fc.constant('sstClose'), index),
    fc.tuple(fc.constant('approximateSize'), family, key, key),
    fc.tuple(fc.constant('getProperty'), maybe(fc.constantFrom('rocksdb.estimate-num-keys', 'rocksdb.stats', 'no.such')), family),
    fc.tuple(fc.constant('liveFiles')),
    fc.tuple(fc.constant('memoryBudget'), fc.oneof(junk, fc.record({ bytes: maybe(fc.integer({ min: -1, max: 1 << 26 })), writeBufferRatio: maybe(fc.double({ min: -1, max: 2 })) }))),
  ].map((arbitrary) => ({ arbitrary, weight: 40 })),
  // File and lifecycle operations cost milliseconds each: rarer.
  ...[
    fc.tuple(fc.constant('ingest'), family, index, junk, maybe(fc.boolean())),
    fc.tuple(fc.constant('flush'), family, fc.boolean()),
    fc.tuple(fc.constant('compactRange'), family, fc.option(key, { nil: undefined }), fc.option(key, { nil: undefined })),
    fc.tuple(fc.constant('deleteFilesInRange'), family, key, key),
    fc.tuple(fc.constant('checkpoint'), place),
    fc.tuple(fc.constant('listColumnFamilies'), place),
    fc.tuple(fc.constant('createColumnFamily'), maybe(fc.string({ minLength: 1, maxLength: 4 })), maybe(fc.integer({ min: -1, max: 1000 })), fc.boolean()),
    fc.tuple(fc.constant('dropColumnFamily'), family),
    fc.tuple(fc.constant('close')),
  ].map((arbitrary) => ({ arbitrary, weight: 1 })),
)

// ---- the property -------------------------------------------------------------------------

/** One call in four is not awaited before the next starts. */
const overlap = fc.integer({ min: 0, max: 3 }).map((n) => n === 0)

/** Runs a call; resolves how it ended, rejects with any error that is not a typed one. */
async function settle(w: World, name: string, args: unknown[]): Promise<string> {
  try {
    await (calls[name] as (w: World, ...a: unknown[]) => unknown)(w, ...args)
    return 'ok'
  } catch (error) {
    if (!isTypedError(error)) throw error
    return outcome(() => {
      throw error
    })
  }
}

async function open(w: World): Promise<void> {
  w.db = await RocksDB.open(path.join(w.base, 'db'), { wal: true, columnFamilies: [{ name: 'ttl', ttlSeconds: 3600 }] })
  w.closed = false
  w.families = w.db.columnFamilies()
  // Objects of the closed database stay in the pools for one more run: use after close.
  for (const pool of [w.iterators, w.snapshots, w.batches, w.writers]) pool.splice(0, pool.length - 1)
}

runMain(async () => {
  const w = { base: tempBase('fuzz', 'memory'), dropped: [], iterators: [], snapshots: [], batches: [], writers: [], sstFiles: [], files: 0 } as unknown as World
  // Junk strings are relative paths to SST writers, checkpoints and ingest: keep them in here.
  process.chdir(w.base)
  await open(w)
  const outcomes: Record<string, number> = {}
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(overlap, call), { minLength: 1, maxLength: 6 }), async (sequence) => {
      const endings: Promise<string>[] = []
      for (const [detached, [name, ...args]] of sequence) {
        const ending = settle(w, name as string, args)
        // A detached call's promise is awaited at the end of the run, so later calls overlap it.
        endings.push(ending)
        if (!detached) await ending
      }
      for (const ending of await Promise.all(endings)) outcomes[ending] = (outcomes[ending] ?? 0) + 1
      if (w.closed) await open(w)
      // Whatever was refused, the database still takes and returns a write.
      w.families[0].put('sentinel', 'alive')
      if (w.families[0].get('sentinel')?.toString() !== 'alive') throw new Error('the database lost a write')
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  )
  RocksDB.memoryBudget(null)
  await w.db.close()
  report({ runs: RUNS, calls: Object.values(outcomes).reduce((a, b) => a + b), outcomes })
})

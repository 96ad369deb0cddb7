import { describe, expect, it } from 'vitest'
import { RocksDB, Serializers as S } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { useBackends } from '../state/backend-fixture'

const tempDir = useTempDirs()
const ENTRIES = 50_000 // about 5.5 MB of blocks: far above what one open leaves in the cache

/** A flushed database reopened, so its block cache holds nothing yet, and the cache's usage. */
async function flushedDb() {
  const dir = tempDir()
  const writer = await RocksDB.open(dir)
  const value = Buffer.alloc(100, 0x5a)
  for (let i = 0; i < ENTRIES; i++) writer.columnFamily().put(`key-${String(i).padStart(9, '0')}`, value)
  await writer.close()
  const db = await RocksDB.open(dir)
  const usage = () => Number(db.getProperty('rocksdb.block-cache-usage'))
  return { db, usage }
}

function scan(db: RocksDB, options: { fillCache?: boolean }): number {
  const iterator = db.columnFamily().iterator(options)
  let count = 0
  while (!iterator.ended) count += iterator.nextBatch(1000).count
  iterator.close()
  return count
}

describe('iterator fillCache', () => {
  it('regression: a full scan with the default options filled the block cache with the blocks it read (evicting the working set)', async () => {
    const { db, usage } = await flushedDb()
    const before = usage()
    expect(scan(db, {})).toBe(ENTRIES)
    expect(usage() - before).toBeLessThan(1 << 20)
    await db.close()
  })

  it('fillCache: true keeps the blocks it read in the cache', async () => {
    const { db, usage } = await flushedDb()
    const before = usage()
    expect(scan(db, { fillCache: true })).toBe(ENTRIES)
    expect(usage() - before).toBeGreaterThan(4 << 20)
    await db.close()
  })

  it('refuses a fillCache that is not a boolean', async () => {
    const { db } = await flushedDb()
    expect(() => db.columnFamily().iterator({ fillCache: 1 as unknown as boolean })).toThrow(/fillCache must be a boolean/)
    await db.close()
  })
})

describe('keyed state reads fill the cache, full scans do not', () => {
  const openBackend = useBackends()

  it("a map state's entries of the current key stay cached; numEntries and getKeys leave the cache as it was", async () => {
    const backend = await openBackend()
    const map = backend.mapState('m', S.int32, S.bytes)
    backend.setCurrentKey('user')
    const value = Buffer.alloc(100, 0x5a)
    for (let i = 0; i < ENTRIES; i++) map.put(i, value)
    await backend.db.flush(backend.db.columnFamily('m'))
    const usage = () => Number(backend.db.getProperty('rocksdb.block-cache-usage'))
    const before = usage()
    expect(backend.numEntries('m')).toBe(ENTRIES)
    expect([...backend.getKeys('m')]).toEqual(['user'])
    expect(usage() - before).toBeLessThan(1 << 20)
    let count = 0
    for (const _ of map.entries()) count++
    expect(count).toBe(ENTRIES)
    expect(usage() - before).toBeGreaterThan(4 << 20)
    await backend.close()
  })

  it("a timer service's refills keep the key groups' next timers cached (as a map state's entries)", async () => {
    const backend = await openBackend()
    const usage = () => Number(backend.db.getProperty('rocksdb.block-cache-usage'))
    const timers = backend.timerService<string>({ name: 'timers', namespaceSerializer: S.string, queue: 'rocksdb', cacheSize: 16, onTimer() {} })
    for (let i = 0; i < ENTRIES; i++) {
      backend.setCurrentKey(`user-${i}`)
      timers.registerEventTimeTimer('window', i)
    }
    for (const cf of backend.db.columnFamilies()) await backend.db.flush(cf)
    const before = usage()
    timers.advanceWatermark(ENTRIES)
    expect(usage() - before).toBeGreaterThan(1 << 20)
    await backend.close()
  })
})

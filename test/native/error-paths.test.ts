import { existsSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB, RocksDBError } from '../../lib'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

// The native layer's less travelled paths: failed and copying ingests, bounded compactions,
// listing a missing database, raw batch writes, the open options wal and useMemoryBudget, and
// what a process killed mid-work leaves behind.

const tempDir = useTempDirs()

/** An SST file with `count` keys `${prefix}${i}` (zero-padded), written by `db`'s SST writer. */
async function sstFile(db: RocksDB, file: string, prefix: string, count = 10): Promise<string> {
  const writer = db.sstWriter(db.columnFamily(), file)
  for (let i = 0; i < count; i++) writer.put(`${prefix}${String(i).padStart(3, '0')}`, `${prefix}-value`)
  await writer.finish()
  return file
}

describe('ingest', () => {
  it('copies the file by default, leaving the original in place and unlinked from the database', async () => {
    const db = await RocksDB.open(tempDir())
    const file = await sstFile(db, path.join(path.dirname(db.path), 'copy.sst'), 'c')
    await db.ingest(db.columnFamily(), [file])
    expect(existsSync(file)).toBe(true)
    expect(statSync(file).nlink).toBe(1) // a copy, not a hard link
    expect(db.columnFamily().get('c005')?.toString()).toBe('c-value')
    await db.close()
  })

  it('refuses a missing file and a file that is not an SST, all or nothing, and stays usable', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const dir = path.dirname(db.path)
    await expect(db.ingest(cf, [path.join(dir, 'missing.sst')], { moveFiles: true })).rejects.toBeInstanceOf(RocksDBError)
    const garbage = path.join(dir, 'garbage.sst')
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a))
    const good = await sstFile(db, path.join(dir, 'good.sst'), 'g')
    // one bad file fails the whole call: nothing of the good one is visible, no source is moved
    await expect(db.ingest(cf, [good, garbage], { moveFiles: true })).rejects.toBeInstanceOf(RocksDBError)
    expect(existsSync(good)).toBe(true)
    expect(existsSync(garbage)).toBe(true)
    expect([...cf.iterator()]).toEqual([])
    // the database still writes and ingests
    cf.put('after', 'ok')
    await db.ingest(cf, [good])
    expect(cf.get('g009')?.toString()).toBe('g-value')
    expect(cf.get('after')?.toString()).toBe('ok')
    await db.close()
  })
})

describe('compactRange with bounds', () => {
  it('compacts only the files in its range, dropping expired entries there alone', async () => {
    const clock = new ManualClock(1_000_000)
    const db = await RocksDB.open(tempDir(), {
      clock,
      columnFamilies: [{ name: 't', ttlSeconds: 10, periodicCompactionSeconds: 1_000_000 }],
    })
    const cf = db.columnFamily('t')
    // one level-0 file per prefix, key ranges apart
    for (const prefix of ['a', 'b', 'c']) {
      for (let i = 0; i < 10; i++) cf.put(`${prefix}${i}`, 'v')
      await db.flush(cf)
    }
    clock.advance(11) // everything is expired now, but only compaction removes it
    await db.compactRange(cf, 'b', 'b9')
    const levels = Object.fromEntries(db.liveFiles().map((file) => [file.smallestKey.toString()[0], file.level]))
    expect(levels).toEqual({ a: 0, c: 0 }) // b's file was compacted away (all of it expired)
    expect(cf.get('a5')?.toString()).toBe('v')
    expect(cf.get('b5')).toBeUndefined()
    expect(cf.get('c5')?.toString()).toBe('v')
    // an open-ended range: everything up to 'a9'
    await db.compactRange(cf, undefined, 'a9')
    expect(cf.get('a5')).toBeUndefined()
    expect(cf.get('c5')?.toString()).toBe('v')
    await db.close()
  })

  // Was a defect: swapped bounds resolved without compacting anything, silently leaving expired
  // data in place (RocksDB's CompactRange does not check them). Refused before RocksDB sees them.
  it('refuses a range whose begin is after its end', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    cf.put('k', 'v')
    await expect(db.compactRange(cf, 'z', 'a')).rejects.toBeInstanceOf(RangeError)
    cf.put('k2', 'v2')
    expect(cf.get('k2')?.toString()).toBe('v2')
    await db.close()
  })
})

describe('listColumnFamilies', () => {
  it('refuses a path without a database, and creates nothing there', async () => {
    const missing = tempDir('nothing-here')
    await expect(RocksDB.listColumnFamilies(missing)).rejects.toBeInstanceOf(RocksDBError)
    expect(existsSync(missing)).toBe(false)
  })
})

describe('WriteBatch.putRaw', () => {
  it('writes values with the TTL write time they carry, and refuses one too short to carry it', async () => {
    const clock = new ManualClock(1_000_000)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 't', ttlSeconds: 100 }] })
    const cf = db.columnFamily('t')
    const raw = Buffer.alloc(3 + 4)
    raw.write('old')
    raw.writeInt32LE(1_000_000 - 90, 3) // written 90 s ago: 10 s left
    db.write(db.batch().putRaw(cf, 'restored', raw).put(cf, 'fresh', 'new'))
    expect(cf.get('restored', { raw: true })).toEqual(raw)
    clock.advance(11)
    expect(cf.getFresh('restored')).toBeUndefined()
    expect(cf.getFresh('fresh')?.toString()).toBe('new')
    const batch = db.batch()
    expect(() => batch.putRaw(cf, 'short', Buffer.from([1, 2, 3]))).toThrow(RocksDBError)
    expect(batch.count).toBe(0)
    await db.close()
  })
})

describe('open options', () => {
  it('useMemoryBudget: false keeps a database out of the process-wide budget', async () => {
    RocksDB.memoryBudget({ bytes: 64 << 20, writeBufferRatio: 0.25 })
    try {
      const fill = async (db: RocksDB) => {
        const cf = db.columnFamily()
        for (let i = 0; i < 2000; i++) cf.put(`k${i}`, Buffer.alloc(1000, i))
        await db.flush()
        for (let i = 0; i < 2000; i++) cf.get(`k${i}`)
      }
      // A HyperClockCache (RocksDB 8+) charges its slot table from the start.
      const unused = RocksDB.memoryBudget()!.usage
      const outside = await RocksDB.open(tempDir(), { useMemoryBudget: false })
      await fill(outside)
      expect(RocksDB.memoryBudget()!.usage - unused).toBeLessThan(1 << 20)
      const inside = await RocksDB.open(tempDir())
      await fill(inside)
      expect(RocksDB.memoryBudget()!.usage - unused).toBeGreaterThan(2 * 1000 * 1000)
      await Promise.all([outside.close(), inside.close()])
    } finally {
      RocksDB.memoryBudget(null)
    }
  })

  it('wal: true keeps unflushed writes through a SIGKILL; wal: false loses them', async () => {
    for (const mode of ['wal', 'no-wal']) {
      const dir = tempDir(mode)
      const result = runScript(path.join(__dirname, 'scripts', 'write-then-sigkill.ts'), [dir, mode])
      expect(result.stdout).toContain('written')
      expect(result.signal).toBe('SIGKILL')
      const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'a', ttlSeconds: 3600 }] })
      const cf = db.columnFamily('a')
      if (mode === 'wal') {
        expect(cf.get('k99')?.toString()).toBe('v99')
        expect([...cf.iterator()]).toHaveLength(101)
        expect(cf.get('list')?.toString()).toBe('x,y')
        expect(db.columnFamily().get('batched')?.toString()).toBe('yes')
      } else {
        // the default: durability comes from checkpoints, so a crash loses the memtable
        expect([...cf.iterator()]).toEqual([])
        expect(db.columnFamily().get('batched')).toBeUndefined()
      }
      await db.close()
    }
  })
})

import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ClosedError, RocksDB } from '../../lib'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const script = (name: string) => path.join(__dirname, 'scripts', name)

describe('lifetime and misuse', () => {
  it('close releases open iterators, snapshots, batches and SST writers', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const cf = db.columnFamily()
    for (let i = 0; i < 100; i++) cf.put(`k${i}`, 'v')
    const iterators = Array.from({ length: 10 }, () => cf.iterator())
    iterators[0].nextv(3)
    const snapshot = db.snapshot()
    const withSnapshot = cf.iterator({ snapshot })
    const batch = db.batch().put(cf, 'a', 'b')
    const writer = db.sstWriter(cf, path.join(path.dirname(dir), 'w.sst'))
    writer.put('a', 'b')
    await db.close()
    expect(() => iterators[0].nextv()).toThrow(ClosedError)
    expect(() => withSnapshot.nextv()).toThrow(ClosedError)
    expect(() => snapshot.sequenceNumber).toThrow(ClosedError)
    expect(() => batch.count).toThrow(ClosedError)
    expect(() => writer.put('b', 'c')).toThrow(ClosedError)
    iterators[1].close() // closing twice, after the database: harmless
    snapshot.release()
    const again = await RocksDB.open(dir)
    await again.close()
  })

  it('close waits for a running checkpoint, which completes', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const cf = db.columnFamily()
    for (let i = 0; i < 20_000; i++) cf.put(`k${i}`, 'v'.repeat(50))
    const checkpointDir = path.join(path.dirname(dir), 'cp')
    const checkpoint = db.checkpoint(checkpointDir)
    const closed = db.close()
    expect(() => cf.get('k1')).toThrow(ClosedError) // closing: no new work
    await expect(checkpoint).resolves.toMatchObject({ directory: checkpointDir })
    await closed
    const copy = await RocksDB.open(checkpointDir)
    expect(copy.columnFamily().get('k19999')?.toString()).toBe('v'.repeat(50))
    await copy.close()
  })

  it('close waits for a running async nextv and flush', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    for (let i = 0; i < 5000; i++) cf.put(`k${i}`, 'v')
    const it = cf.iterator()
    const batch = it.nextvAsync(5000)
    const flush = db.flush()
    await db.close()
    expect(await batch).toHaveLength(5000)
    await flush
  })

  it('forgotten iterators, snapshots and databases are released by GC', () => {
    const result = runScript(script('gc-forgotten.ts'), [tempDir()], ['--expose-gc'])
    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('reopened v')
  })

  it('the process exits cleanly with everything still open', () => {
    for (const mode of ['drain', 'exit']) {
      const result = runScript(script('exit-with-open-handles.ts'), [mode, path.dirname(tempDir())])
      expect(result.signal).toBeNull()
      expect(result.stderr).toBe('')
      expect(result.status).toBe(0)
      expect(result.stdout).toContain('exiting with open handles')
    }
  })

  it('100 open/close cycles in worker threads, some left open at worker exit', () => {
    const result = runScript(script('worker-cycles.ts'), [path.dirname(tempDir())])
    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    const { results, entries } = JSON.parse(result.stdout.trim())
    expect(results).toEqual(['left-open', 'done', 'left-open', 'done'])
    expect(entries).toBe(100)
  })
})

describe('memory budget', () => {
  it('shares one block cache between databases opened after it is set', async () => {
    expect(RocksDB.memoryBudget()).toBeNull()
    expect(() => RocksDB.memoryBudget({ bytes: 10 })).toThrow(RangeError)
    expect(() => RocksDB.memoryBudget({ bytes: 64 << 20, writeBufferRatio: 2 })).toThrow(RangeError)
    const budget = RocksDB.memoryBudget({ bytes: 64 << 20, writeBufferRatio: 0.25 })
    expect(budget).toMatchObject({ bytes: 64 << 20, writeBufferRatio: 0.25 })
    try {
      const dbs = await Promise.all([RocksDB.open(tempDir()), RocksDB.open(tempDir())])
      for (const db of dbs) {
        const cf = db.columnFamily()
        for (let i = 0; i < 2000; i++) cf.put(`k${i}`, Buffer.alloc(1000, i))
        await db.flush()
        for (let i = 0; i < 2000; i++) cf.get(`k${i}`)
      }
      // Memtables are charged to the cache too, so usage covers both databases' data.
      expect(RocksDB.memoryBudget()!.usage).toBeGreaterThan(2 * 1000 * 1000)
      expect(RocksDB.memoryBudget()!.usage).toBeLessThanOrEqual(64 << 20)
      await Promise.all(dbs.map((db) => db.close()))
    } finally {
      RocksDB.memoryBudget(null)
    }
    expect(RocksDB.memoryBudget()).toBeNull()
  })
})

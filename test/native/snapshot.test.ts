import { describe, expect, it } from 'vitest'
import { ClosedError, RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

describe('Snapshot', () => {
  it('hides writes made after it from reads and iterators', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 'a' }] })
    const cf = db.columnFamily('a')
    cf.put('k1', 'old')
    cf.put('gone-later', 'here')
    const snapshot = db.snapshot()
    cf.put('k1', 'new')
    cf.put('k2', 'added')
    cf.delete('gone-later')
    expect(cf.get('k1', { snapshot })?.toString()).toBe('old')
    expect(cf.get('k2', { snapshot })).toBeUndefined()
    expect(cf.get('gone-later', { snapshot })?.toString()).toBe('here')
    expect(cf.getMany(['k1', 'k2'], { snapshot }).map((v) => v?.toString())).toEqual(['old', undefined])
    const seen = [...cf.iterator({ snapshot })].map(([k, v]) => `${k}=${v}`)
    expect(seen).toEqual(['gone-later=here', 'k1=old'])
    expect(cf.get('k1')?.toString()).toBe('new')
    expect(snapshot.sequenceNumber).toBeGreaterThan(0)
    snapshot.release()
    expect(() => cf.get('k1', { snapshot })).toThrow(ClosedError)
    snapshot.release()
    await db.close()
  })

  it('stays valid for an iterator that outlives its release', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    cf.put('a', '1')
    const snapshot = db.snapshot()
    const it = cf.iterator({ snapshot })
    snapshot.release()
    cf.put('b', '2')
    await db.flush()
    expect(it.nextv().map(([k]) => k.toString())).toEqual(['a'])
    await db.close()
  })

  it('refuses a snapshot of another database', async () => {
    const one = await RocksDB.open(tempDir())
    const two = await RocksDB.open(tempDir())
    const snapshot = one.snapshot()
    expect(() => two.columnFamily().get('k', { snapshot })).toThrow(/another database/)
    await Promise.all([one.close(), two.close()])
  })
})

// Issue 8, "Data loss": deleteRange with begin > end was rejected by RocksDB only after it
// started applying the write, which put the database in its background-error state: every
// later write in every column family failed, close() still resolved, and with the WAL off
// all 1000 acknowledged writes were gone after reopening.
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../../lib'
import { BATCH_OP, encodeOp } from '../../helpers/encoded-batch'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const b = (text: string) => Buffer.from(text)

async function openTwoFamilies(dir: string) {
  const db = await RocksDB.open(dir, { wal: false, columnFamilies: [{ name: 'a' }, { name: 'b' }] })
  return { db, a: db.columnFamily('a'), other: db.columnFamily('b') }
}

describe('deleteRange argument order', () => {
  it('regression: deleteRange with begin > end poisoned later writes and lost 1000 acknowledged ones', async () => {
    const dir = tempDir()
    const { db, a, other } = await openTwoFamilies(dir)
    for (let i = 0; i < 1000; i++) a.put(`key-${i}`, 'v')
    expect(() => a.deleteRange('z', 'a')).toThrow(RangeError)
    expect(() => db.batch().deleteRange(a, 'z', 'a')).toThrow(RangeError)
    other.put('later', 'accepted') // no background error: writes go on in every family
    a.put('later', 'accepted')
    await db.close()

    const reopened = await RocksDB.open(dir, { columnFamilies: [{ name: 'a' }, { name: 'b' }] })
    expect([...reopened.columnFamily('a').iterator()]).toHaveLength(1001)
    expect(reopened.columnFamily('b').get('later')?.toString()).toBe('accepted')
    await reopened.close()
  })

  it('regression: the native layer checks the order too, not only the TypeScript wrapper', async () => {
    const { db, a } = await openTwoFamilies(tempDir())
    a.put('k', 'v')
    expect(() => a.db.deleteRange(a.id, b('z'), b('a'))).toThrow(RangeError)
    expect(() => a.db.write(encodeOp(BATCH_OP.deleteRange, a.id, 'z', 'a'))).toThrow(RangeError)
    a.put('after', 'ok')
    expect(a.get('after')?.toString()).toBe('ok')
    await db.close()
  })

  it('begin == end deletes nothing (an empty range), in TypeScript and natively', async () => {
    const { db, a } = await openTwoFamilies(tempDir())
    a.put('k', 'v')
    a.deleteRange('k', 'k')
    a.db.deleteRange(a.id, b('k'), b('k'))
    const batch = db.batch().deleteRange(a, 'k', 'k')
    expect(batch.count).toBe(0)
    db.write(batch)
    a.db.write(encodeOp(BATCH_OP.deleteRange, a.id, 'k', 'k'))
    expect(a.get('k')?.toString()).toBe('v')
    await db.close()
  })
})

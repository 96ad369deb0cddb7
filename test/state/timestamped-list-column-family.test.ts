// The native column family option behind list state: `timestampedList` (records of
// `uint32 BE length | payload | int32 BE write time`, expiring one by one).
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { START } from './backend-fixture'

const tempDir = useTempDirs()

function record(payload: string, writeTime: number): Buffer {
  const bytes = Buffer.alloc(payload.length + 8)
  bytes.writeUInt32BE(payload.length, 0)
  bytes.write(payload, 4, 'latin1')
  bytes.writeInt32BE(writeTime, 4 + payload.length)
  return bytes
}
const list = (...records: Buffer[]) => Buffer.concat(records)

async function openList(ttlSeconds: number) {
  const clock = new ManualClock(START)
  const db = await RocksDB.open(tempDir(), {
    clock,
    columnFamilies: [{ name: 'list', ttlSeconds, timestampedList: true }, { name: 'raw', ttlSeconds }],
  })
  return { clock, db, cf: db.columnFamily('list') }
}

describe('timestampedList column families', () => {
  it('report the elements TTL, and merge concatenates records with no delimiter', async () => {
    const { db, cf } = await openList(100)
    expect([cf.ttlSeconds, cf.timestampedList]).toEqual([100, true])
    expect(db.columnFamily('raw').timestampedList).toBe(false)
    cf.merge('k', record('a', START))
    cf.merge('k', record('', START))
    expect(cf.get('k')).toEqual(list(record('a', START), record('', START)))
    // The other column families keep the delimiter.
    db.columnFamily('raw').merge('k', 'a')
    db.columnFamily('raw').merge('k', 'b')
    expect(db.columnFamily('raw').get('k')?.toString()).toBe('a,b')
    const created = await db.createColumnFamily('created', { ttlSeconds: 5, timestampedList: true })
    expect([created.ttlSeconds, created.timestampedList]).toEqual([5, true])
    await db.close()
  })

  it('compact periodically, once per elements TTL', async () => {
    const { db } = await openList(100)
    await db.close()
    const options = readdirSync(db.path).filter((name) => name.startsWith('OPTIONS-')).sort().pop()!
    const text = readFileSync(path.join(db.path, options), 'utf8')
    const section = text.slice(text.indexOf('[CFOptions "list"]'))
    expect(section).toMatch(/periodic_compaction_seconds=100\n/)
  })

  it('skipExpired never hides an entry: the whole value has no TTL, its elements do', async () => {
    const { clock, db, cf } = await openList(100)
    cf.put('k', list(record('a', START)))
    clock.advance(1000)
    expect(cf.get('k', { skipExpired: true })).toEqual(list(record('a', START)))
    expect([...cf.iterator({ skipExpired: true })]).toHaveLength(1)
    await db.close()
  })

  it('merges leave out expired elements; compaction drops them and empty lists', async () => {
    const { clock, db, cf } = await openList(100)
    cf.put('k', list(record('a', START), record('b', START + 50)))
    clock.set(START + 50)
    cf.merge('k', record('c', START + 50))
    clock.set(START + 101)
    expect(cf.get('k')).toEqual(list(record('b', START + 50), record('c', START + 50)))
    cf.put('gone', list(record('a', START)))
    await db.compactRange(cf)
    expect([...cf.iterator()].map(([key]) => key.toString())).toEqual(['k'])
    await db.close()
  })

  it('setTtl changes the elements TTL', async () => {
    const { clock, db, cf } = await openList(1000)
    cf.put('k', list(record('a', START)))
    clock.advance(200)
    await db.compactRange(cf)
    expect(cf.get('k')).toBeDefined()
    cf.setTtl(100)
    expect(cf.ttlSeconds).toBe(100)
    await db.compactRange(cf)
    expect(cf.get('k')).toBeUndefined()
    await db.close()
  })

  it('keeps a value that does not parse as records, in merges and compactions', async () => {
    const { clock, db, cf } = await openList(100)
    const malformed = Buffer.from([0, 0, 0, 9, 1, 2])
    cf.put('k', malformed)
    clock.advance(1000)
    await db.compactRange(cf)
    expect(cf.get('k')).toEqual(malformed)
    cf.merge('k', record('a', START + 1000))
    expect(cf.get('k')).toEqual(list(malformed, record('a', START + 1000)))
    await db.close()
  })
})

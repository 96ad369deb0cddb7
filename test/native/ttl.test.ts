import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const START = 1_700_000_000

function timestampOf(raw: Buffer | undefined): number {
  if (raw === undefined) throw new Error('no value')
  return raw.readInt32LE(raw.length - 4)
}

async function openWithClock(ttlSeconds = 60) {
  const clock = new ManualClock(START)
  const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 'ttl', ttlSeconds }, { name: 'forever' }] })
  return { clock, db, cf: db.columnFamily('ttl') }
}

describe('TTL', () => {
  it('stores the write time after the value, visible through raw reads', async () => {
    const { clock, db, cf } = await openWithClock()
    cf.put('k', 'value')
    const raw = cf.get('k', { raw: true })
    expect(raw?.subarray(0, 5).toString()).toBe('value')
    expect(raw).toHaveLength(9)
    expect(timestampOf(raw)).toBe(START)
    clock.advance(30)
    cf.put('k', 'value')
    expect(timestampOf(cf.get('k', { raw: true }))).toBe(START + 30)
    expect(db.nowSeconds()).toBe(START + 30)
    const [[, iterated]] = cf.iterator({ raw: true }).nextv()
    expect(timestampOf(iterated)).toBe(START + 30)
    await db.close()
  })

  it('skipExpired hides an entry once its TTL has passed, before compaction', async () => {
    const { clock, db, cf } = await openWithClock(60)
    cf.put('k', 'v')
    cf.put('other', 'v')
    clock.advance(60)
    expect(cf.getFresh('k')?.toString()).toBe('v') // expires strictly after timestamp + ttl
    clock.advance(1)
    expect(cf.getFresh('k')).toBeUndefined()
    expect(cf.get('k', { skipExpired: true })).toBeUndefined()
    expect(cf.getMany(['k'], { skipExpired: true })).toEqual([undefined])
    expect([...cf.iterator({ skipExpired: true })]).toEqual([])
    // RocksDB's default read returns it until compaction removes it.
    expect(cf.get('k')?.toString()).toBe('v')
    cf.put('other', 'fresh')
    expect([...cf.iterator({ skipExpired: true })].map(([k]) => k.toString())).toEqual(['other'])
    await db.close()
  })

  it('compaction removes expired entries physically', async () => {
    const { clock, db, cf } = await openWithClock(60)
    for (let i = 0; i < 100; i++) cf.put(`k${i}`, 'v')
    db.columnFamily('forever').put('k', 'v')
    await db.flush()
    clock.advance(61)
    cf.put('fresh', 'v')
    await db.compactRange(cf)
    await db.compactRange(db.columnFamily('forever'))
    expect(cf.get('k0', { raw: true })).toBeUndefined()
    expect(cf.get('k99')).toBeUndefined()
    expect(cf.get('fresh')?.toString()).toBe('v')
    expect(db.columnFamily('forever').get('k')?.toString()).toBe('v')
    await db.close()
  })

  it('putRaw keeps the original write time, so an old entry expires on its own schedule', async () => {
    const { clock, db, cf } = await openWithClock(60)
    const raw = Buffer.alloc(5)
    raw.write('v')
    raw.writeInt32LE(START - 50, 1) // written 50 s ago: 10 s left
    cf.putRaw('old', raw)
    expect(cf.get('old')?.toString()).toBe('v')
    expect(cf.get('old', { raw: true })).toEqual(raw)
    clock.advance(10)
    expect(cf.getFresh('old')?.toString()).toBe('v')
    clock.advance(1)
    expect(cf.getFresh('old')).toBeUndefined()
    await db.flush()
    await db.compactRange(cf)
    expect(cf.get('old', { raw: true })).toBeUndefined()
    expect(() => cf.putRaw('short', Buffer.alloc(3))).toThrow(/must end with its 4-byte TTL timestamp/)
    await db.close()
  })

  // RocksDB's TtlMergeOperator stamps a merge result with the time the operands are
  // combined (at read or compaction), so a merged value reads back as written "now".
  it('a merged value carries the time its operands were combined', async () => {
    const { clock, db, cf } = await openWithClock(60)
    cf.merge('l', 'a')
    clock.advance(50)
    cf.merge('l', 'b')
    clock.advance(20)
    expect(cf.getFresh('l')?.toString()).toBe('a,b')
    expect(timestampOf(cf.get('l', { raw: true }))).toBe(START + 70)
    await db.close()
  })

  it('a column family without TTL never expires', async () => {
    const { clock, db } = await openWithClock(60)
    const forever = db.columnFamily('forever')
    forever.put('k', 'v')
    clock.advance(10 * 365 * 24 * 3600)
    expect(forever.getFresh('k')?.toString()).toBe('v')
    await db.compactRange(forever)
    expect(forever.get('k')?.toString()).toBe('v')
    await db.close()
  })
})

describe('TTL changes', () => {
  it('setTtl applies to existing entries', async () => {
    const clock = new ManualClock(START)
    const db = await RocksDB.open(tempDir(), { clock })
    const cf = db.createColumnFamilySync('t', { ttlSeconds: 100 })
    cf.put('k', 'v')
    clock.advance(20)
    expect(cf.getFresh('k')?.toString()).toBe('v')
    cf.setTtl(10)
    expect(cf.ttlSeconds).toBe(10)
    expect(cf.getFresh('k')).toBeUndefined()
    await db.compactRange(cf)
    expect(cf.get('k')).toBeUndefined()
    expect(() => cf.setTtl(-1)).toThrow(RangeError)
    await db.close()
  })
})

describe('periodic compaction', () => {
  it('column families with a TTL compact periodically, by default once per TTL', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const path = await import('node:path')
    const dir = tempDir()
    const db = await RocksDB.open(dir, {
      columnFamilies: [
        { name: 'hourly', ttlSeconds: 3600 },
        { name: 'tuned', ttlSeconds: 3600, periodicCompactionSeconds: 600 },
      ],
    })
    await db.close()
    const optionsFile = readdirSync(dir).filter((f) => f.startsWith('OPTIONS-')).sort().at(-1)!
    const text = readFileSync(path.join(dir, optionsFile), 'utf8')
    const sectionOf = (name: string) => text.split('[CFOptions "').find((section) => section.startsWith(`${name}"`))!
    expect(sectionOf('hourly')).toMatch(/periodic_compaction_seconds=3600\b/)
    expect(sectionOf('tuned')).toMatch(/periodic_compaction_seconds=600\b/)
    expect(sectionOf('default')).not.toMatch(/periodic_compaction_seconds=3600\b/)
  })
})

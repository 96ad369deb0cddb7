// List state TTL per element (Flink's TtlListState): visibility, refresh on read, and the
// cleanup done by RocksDB (merges and the list compaction filter).
import { describe, expect, it } from 'vitest'
import { ManualClock, Serializers as S, type KeyedStateBackend } from '../../lib'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'
import { START } from './backend-fixture'

const fixture = useSnapshotFixture()
const returnExpired = { seconds: 100, visibility: 'returnExpiredIfNotCleanedUp' } as const

/** Every stored list of state `name` as its elements' write times, read from RocksDB. */
function storedWriteTimes(backend: KeyedStateBackend<string>, name: string): number[][] {
  const lists: number[][] = []
  for (const [, value] of backend.db.columnFamily(name).iterator()) {
    const times: number[] = []
    for (let at = 0; at < value.length; ) {
      const length = value.readUInt32BE(at)
      times.push(value.readInt32BE(at + 4 + length))
      at += length + 8
    }
    lists.push(times)
  }
  return lists
}

describe('list state TTL', () => {
  it('stamps each element with the time it was added', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    backend.setCurrentKey('k')
    const list = backend.listState('l', S.string, { ttl: { seconds: 100 } })
    list.add('a')
    clock.advance(5)
    list.addAll(['b', 'c'])
    clock.advance(5)
    list.add('')
    expect(storedWriteTimes(backend, 'l')).toEqual([[START, START + 5, START + 5, START + 10]])
    expect(list.get()).toEqual(['a', 'b', 'c', ''])
    // Snapshots copy the stored values: the element times travel with them.
    const handle = await backend.snapshot(1, fixture.storage())
    clock.advance(40)
    const restored = await fixture.backend({ clock, restoreFrom: [handle] })
    expect(storedWriteTimes(restored, 'l')).toEqual([[START, START + 5, START + 5, START + 10]])
    list.update(['x', 'y'])
    expect(storedWriteTimes(backend, 'l')).toEqual([[START + 50, START + 50]])
  })

  it('a read under onReadAndWrite refreshes the live elements only, also after a restore', async () => {
    const clock = new ManualClock(START)
    const source = await fixture.backend({ clock })
    const ttl = { seconds: 100, update: 'onReadAndWrite' } as const
    source.setCurrentKey('k')
    const list = source.listState('l', S.string, { ttl })
    list.add('a')
    clock.advance(50)
    list.add('b')
    const handle = await source.snapshot(1, fixture.storage())

    const restored = await fixture.backend({ clock, restoreFrom: [handle] })
    restored.setCurrentKey('k')
    const restoredList = restored.listState('l', S.string, { ttl })
    clock.set(START + 101)
    expect(restoredList.get()).toEqual(['b']) // 'a' expired: left out and never written back
    expect(storedWriteTimes(restored, 'l')).toEqual([[START + 101]])
    clock.set(START + 200)
    expect(restoredList.get()).toEqual(['b'])
    clock.set(START + 300) // one TTL after the last read's refresh
    expect(restoredList.get()).toEqual([])
    expect(storedWriteTimes(restored, 'l')).toEqual([]) // a read that finds no live element clears the list
  })

  it('under returnExpiredIfNotCleanedUp returns expired elements until they are cleaned up', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    backend.setCurrentKey('k')
    const list = backend.listState('l', S.string, { ttl: returnExpired })
    list.update(['a'])
    clock.advance(50)
    list.add('b')
    clock.advance(10)
    await backend.db.compactRange(backend.db.columnFamily('l')) // one stored value, nothing expired yet
    clock.set(START + 101)
    expect(list.get()).toEqual(['a', 'b'])
    clock.set(START + 151)
    expect(list.get()).toEqual(['a', 'b']) // no element is live: returned this once, and the list is cleared
    expect(list.get()).toEqual([])
  })

  it('a list RocksDB merges loses its expired elements at once', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    backend.setCurrentKey('k')
    const list = backend.listState('l', S.string, { ttl: returnExpired })
    list.add('a')
    clock.set(START + 101)
    list.add('b') // merged with the expired 'a' when read: the merge leaves 'a' out
    expect(list.get()).toEqual(['b'])
  })

  it('compaction removes expired elements and keeps fresh ones', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    const list = backend.listState('l', S.string, { ttl: returnExpired })
    const cf = backend.db.columnFamily('l')
    backend.setCurrentKey('stored')
    list.update(['a', 'b'])
    backend.setCurrentKey('merged')
    list.add('a')
    await backend.db.flush(cf)
    clock.advance(50)
    list.addAll(['b', 'c'])
    backend.setCurrentKey('stored')
    list.add('c')
    await backend.db.flush(cf)
    clock.set(START + 101)
    await backend.db.compactRange(cf)
    expect(storedWriteTimes(backend, 'l')).toEqual([
      [START + 50, START + 50],
      [START + 50],
    ])
    backend.setCurrentKey('merged')
    expect(list.get()).toEqual(['b', 'c'])
    backend.setCurrentKey('stored')
    expect(list.get()).toEqual(['c'])
  })

  it('compaction removes a list with no live element left', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    const list = backend.listState('l', S.string, { ttl: returnExpired })
    const cf = backend.db.columnFamily('l')
    backend.setCurrentKey('stored')
    list.update(['a'])
    backend.setCurrentKey('merged')
    list.add('a')
    list.add('b')
    await backend.db.flush(cf)
    clock.set(START + 101)
    await backend.db.compactRange(cf)
    // The stored list is gone; the merged one was combined (and emptied) by this compaction. RocksDB
    // 7.8 filters only values that exist when a compaction starts, so there the next one removes it;
    // 9.x filters the merge result in the same compaction.
    expect([[], [[]]]).toContainEqual(storedWriteTimes(backend, 'l'))
    await backend.db.compactRange(cf)
    expect(backend.numEntries('l')).toBe(0)
  })

  it('a state without TTL keeps every element', async () => {
    const clock = new ManualClock(START)
    const backend = await fixture.backend({ clock })
    backend.setCurrentKey('k')
    const list = backend.listState('l', S.int32)
    list.addAll([1, 2])
    clock.advance(10 ** 8)
    await backend.db.compactRange(backend.db.columnFamily('l'))
    list.add(3)
    expect(list.get()).toEqual([1, 2, 3])
  })
})

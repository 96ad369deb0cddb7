import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { CorruptDataError, KeyGroupOutOfRangeError, KeyGroupRange, RocksDB, Serializers as S, assignToKeyGroup, serialize } from '../../lib'
import { HeapTimerQueue, RocksDBTimerQueue, TimerCodec, readTimestamp, writeTimestamp, type Timer, type TimerQueue } from '../../lib/timers'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const databases: RocksDB[] = []
afterEach(async () => {
  for (const db of databases.splice(0)) await db.close()
})

async function columnFamily(name = 'timers') {
  const db = await RocksDB.open(tempDir())
  databases.push(db)
  return db.createColumnFamilySync(name)
}

function encodeTimestamp(timestamp: number): Buffer {
  const buf = Buffer.alloc(8)
  writeTimestamp(timestamp, buf, 0)
  return buf
}

const plain = ({ timestamp, key, namespace }: Timer<string, string>) => ({ timestamp, key, namespace })
const plainOrNone = (timer: Timer<string, string> | undefined) => timer && plain(timer)

describe('timer timestamps', () => {
  it('are big-endian int64 with the sign bit flipped', () => {
    const cases: [number, string][] = [
      [Number.MIN_SAFE_INTEGER, '7fe0000000000001'],
      [-(2 ** 32), '7fffffff00000000'],
      [-1, '7fffffffffffffff'],
      [0, '8000000000000000'],
      [1, '8000000000000001'],
      [2 ** 32 + 5, '8000000100000005'],
      [Number.MAX_SAFE_INTEGER, '801fffffffffffff'],
    ]
    for (const [timestamp, hex] of cases) {
      expect(encodeTimestamp(timestamp).toString('hex')).toBe(hex)
      expect(readTimestamp(Buffer.from(hex, 'hex'), 0)).toBe(timestamp)
    }
  })

  it('sort bytewise as they sort numerically and round-trip', () => {
    const safe = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1000, max: 1000 }))
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        expect(Math.sign(Buffer.compare(encodeTimestamp(a), encodeTimestamp(b)))).toBe(Math.sign(a - b))
        expect(readTimestamp(encodeTimestamp(a), 0)).toBe(a)
        const reference = Buffer.alloc(8)
        reference.writeBigUInt64BE(BigInt.asUintN(64, BigInt(a)) ^ (1n << 63n))
        expect(encodeTimestamp(a)).toEqual(reference)
      }),
    )
  })

  it('beyond the safe integers are corrupt data', () => {
    expect(() => readTimestamp(Buffer.from('ffffffffffffffff', 'hex'), 0)).toThrow(CorruptDataError)
    expect(() => readTimestamp(Buffer.from('0000000000000000', 'hex'), 0)).toThrow(CorruptDataError)
  })
})

describe('RocksDBTimerQueue layout', () => {
  it('stores prefix | timestamp | key | namespace with empty values', async () => {
    const cf = await columnFamily()
    const queue = new RocksDBTimerQueue({
      columnFamily: cf,
      keySerializer: S.string,
      namespaceSerializer: S.int32,
      maxParallelism: 256,
      keyGroupRange: new KeyGroupRange(0, 255),
    })
    expect(queue.add(-2, 'k', 7)).toBe(true)
    const keyGroup = assignToKeyGroup('k', 256, S.string)
    const expected = Buffer.concat([
      Buffer.from([keyGroup >> 8, keyGroup & 0xff]),
      Buffer.from('7ffffffffffffffe', 'hex'),
      serialize(S.string, 'k'),
      serialize(S.int32, 7),
    ])
    expect([...cf.iterator()]).toEqual([[expected, Buffer.alloc(0)]])
    expect(new TimerCodec({ keySerializer: S.string, namespaceSerializer: S.int32, maxParallelism: 256, keyGroupRange: new KeyGroupRange(0, 255) }).decode(expected)).toEqual({
      timestamp: -2,
      key: 'k',
      namespace: 7,
    })
  })

  it('keeps each key group in timestamp order, negative before positive', async () => {
    const cf = await columnFamily()
    const queue = new RocksDBTimerQueue({ columnFamily: cf, keySerializer: S.string, namespaceSerializer: S.void, maxParallelism: 1, keyGroupRange: new KeyGroupRange(0, 0) })
    const timestamps = [5, -1, 2 ** 40, 0, -(2 ** 40), 1, Number.MIN_SAFE_INTEGER, -256, 256]
    for (const timestamp of timestamps) queue.add(timestamp, 'k', undefined)
    const stored = [...cf.iterator()].map(([key]) => readTimestamp(key, 1))
    expect(stored).toEqual([...timestamps].sort((a, b) => a - b))
  })

  it('caches at most cacheSize timers per key group and refills from RocksDB', async () => {
    const cf = await columnFamily()
    const options = { columnFamily: cf, keySerializer: S.string, namespaceSerializer: S.int32, maxParallelism: 2, keyGroupRange: new KeyGroupRange(0, 1), cacheSize: 4 }
    const queue = new RocksDBTimerQueue(options)
    const keys = ['a', 'b', 'c', 'd']
    expect(new Set(keys.map((key) => assignToKeyGroup(key, 2, S.string))).size).toBe(2)
    // descending timestamps: each one becomes its key group's head; ascending ones go to RocksDB alone
    for (let i = 100; i > 0; i--) queue.add(i, keys[i % 4]!, 0)
    for (let i = 101; i <= 200; i++) queue.add(i, keys[i % 4]!, 0)
    expect(queue.cachedTimers).toBeLessThanOrEqual(8)
    expect(queue.add(150, keys[150 % 4]!, 0)).toBe(false)
    expect(queue.add(150, keys[150 % 4]!, 1)).toBe(true)
    expect(queue.remove(150, keys[150 % 4]!, 1)).toBe(true)
    expect(queue.remove(150, keys[150 % 4]!, 1)).toBe(false)
    expect(queue.remove(1, 'a', 0)).toBe(false)
    expect(queue.remove(1, keys[1]!, 0)).toBe(true)
    expect(queue.size).toBe(199)
    const polled: number[] = []
    for (let timer = queue.poll(); timer !== undefined; timer = queue.poll()) {
      polled.push(timer.timestamp)
      expect(queue.cachedTimers).toBeLessThanOrEqual(8)
    }
    expect(polled).toEqual(Array.from({ length: 199 }, (_, i) => i + 2))
    expect(queue.isEmpty).toBe(true)
    expect([...cf.iterator()]).toEqual([])
  })

  it('takes over the timers already in its column family', async () => {
    const cf = await columnFamily()
    const options = { columnFamily: cf, keySerializer: S.string, namespaceSerializer: S.string, maxParallelism: 8, keyGroupRange: new KeyGroupRange(0, 7), cacheSize: 3 }
    const first = new RocksDBTimerQueue(options)
    for (let i = 0; i < 50; i++) first.add((i * 37) % 50, `key-${i % 7}`, `n${i % 3}`)
    const second = new RocksDBTimerQueue(options)
    expect(second.size).toBe(50)
    expect([...second].map(plain)).toEqual([...first].map(plain))
    const polled = Array.from({ length: 50 }, () => second.poll()!.timestamp)
    expect(polled).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})

describe.each(['heap', 'rocksdb'] as const)('%s TimerQueue', (kind) => {
  async function queue(maxParallelism: number, keyGroupRange: KeyGroupRange): Promise<TimerQueue<string, string>> {
    const options = { keySerializer: S.string, namespaceSerializer: S.string, maxParallelism, keyGroupRange }
    return kind === 'heap' ? new HeapTimerQueue(options) : new RocksDBTimerQueue({ ...options, columnFamily: await columnFamily(), cacheSize: 2 })
  }

  it('iterates by key group, each in timer order, and restores with addAll', async () => {
    const source = await queue(16, new KeyGroupRange(0, 15))
    const timers = Array.from({ length: 300 }, (_, i) => ({ timestamp: (i * 7919) % 101 - 50, key: `k${i % 23}`, namespace: `n${i % 2}` }))
    expect(source.addAll(timers)).toBe(new Set(timers.map((t) => `${t.timestamp}/${t.key}/${t.namespace}`)).size)
    expect(source.addAll(timers)).toBe(0)
    const keyGroupOf = (timer: Timer<string, string>) => assignToKeyGroup(timer.key, 16, S.string)
    const all = [...source]
    expect(all.map(keyGroupOf)).toEqual(all.map(keyGroupOf).sort((a, b) => a - b))
    for (const keyGroup of new KeyGroupRange(0, 15)) {
      const group = [...source.timersInKeyGroup(keyGroup)]
      expect(group.map(plain)).toEqual(all.filter((timer) => keyGroupOf(timer) === keyGroup).map(plain))
      for (let i = 1; i < group.length; i++) expect(group[i]!.timestamp).toBeGreaterThanOrEqual(group[i - 1]!.timestamp)
    }
    const restored = await queue(16, new KeyGroupRange(0, 15))
    restored.addAll(source)
    expect(restored.size).toBe(source.size)
    const drain = (q: TimerQueue<string, string>) => Array.from({ length: q.size }, () => plain(q.poll()!))
    expect(drain(restored)).toEqual(drain(source))
  })

  it('refuses key groups outside its range', async () => {
    const range = new KeyGroupRange(0, 3)
    const q = await queue(8, range)
    const outside = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].find((key) => !range.contains(assignToKeyGroup(key, 8, S.string)))!
    expect(() => q.add(1, outside, 'n')).toThrow(KeyGroupOutOfRangeError)
    expect(() => q.remove(1, outside, 'n')).toThrow(KeyGroupOutOfRangeError)
    expect(() => [...q.timersInKeyGroup(4)]).toThrow(KeyGroupOutOfRangeError)
    expect(q.size).toBe(0)
  })

  it('behaves as a sorted set under random add/remove/poll', async () => {
    const q = await queue(4, new KeyGroupRange(0, 3))
    const model: Timer<string, string>[] = []
    const order = (a: Timer<string, string>, b: Timer<string, string>) =>
      a.timestamp - b.timestamp ||
      Buffer.compare(serialize(S.string, a.key), serialize(S.string, b.key)) ||
      Buffer.compare(serialize(S.string, a.namespace), serialize(S.string, b.namespace))
    const timer = fc.record({ timestamp: fc.integer({ min: -10, max: 10 }), key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), namespace: fc.constantFrom('x', 'y') })
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), timer }),
      fc.record({ op: fc.constant('remove' as const), timer }),
      fc.record({ op: fc.constant('poll' as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        for (const o of ops) {
          if (o.op === 'poll') {
            model.sort(order)
            expect(plainOrNone(q.poll())).toEqual(plainOrNone(model.shift()))
          } else {
            const at = model.findIndex((other) => order(other, o.timer) === 0)
            if (o.op === 'add') {
              expect(q.add(o.timer.timestamp, o.timer.key, o.timer.namespace)).toBe(at < 0)
              if (at < 0) model.push(o.timer)
            } else {
              expect(q.remove(o.timer.timestamp, o.timer.key, o.timer.namespace)).toBe(at >= 0)
              if (at >= 0) model.splice(at, 1)
            }
          }
          expect(q.size).toBe(model.length)
          expect(plainOrNone(q.peek())).toEqual(plainOrNone([...model].sort(order)[0]))
        }
      }),
      { numRuns: 200 },
    )
  })
})

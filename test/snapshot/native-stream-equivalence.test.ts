import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, assignToKeyGroup, type FullKeyedStateHandle } from '../../lib'
import type { Compression } from '../../lib/format/full-snapshot-format'
import { startFullSnapshot, type FullSnapshotSource } from '../../lib/snapshot/full-snapshot'
import { useTempDirs } from '../helpers/temp-dir'
import { writeReferenceStream } from './reference-full-snapshot'

const tempDir = useTempDirs()
const opened: KeyedStateBackend<string>[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()))
})

const START = 1_700_000_000
const COMPRESSIONS: Compression[] = ['none', 'snappy', 'zstd', 'deflate']

/** Seeded xorshift32: the same states on every run. */
function random(seed: number): () => number {
  let x = seed || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** What the backend hands a full snapshot (its private `snapshotStates` included). */
function sourceOf(backend: KeyedStateBackend<string>): FullSnapshotSource {
  const internal = backend as unknown as { snapshotStates(): FullSnapshotSource['states'] }
  return {
    db: backend.db,
    backendId: backend.backendId,
    keySerializer: backend.keySerializer.id,
    maxParallelism: backend.maxParallelism,
    keyGroupPrefixBytes: backend.keyGroupPrefixBytes,
    keyGroupRange: backend.keyGroupRange,
    states: internal.snapshotStates(),
    workDirectory: backend.workDirectory,
  }
}

interface Shape {
  seed: number
  maxParallelism: number
  range: KeyGroupRange
  keys: number
  valueBytes: number
}

/** Every state kind, TTLs with values written at different times (some already expired), heap and RocksDB timers. */
async function randomBackend(shape: Shape): Promise<KeyedStateBackend<string>> {
  const next = random(shape.seed)
  const clock = new ManualClock(START)
  const backend = await KeyedStateBackend.open({
    path: tempDir('instance'),
    keySerializer: S.string,
    maxParallelism: shape.maxParallelism,
    keyGroupRange: shape.range,
    clock,
  })
  opened.push(backend)
  const value = backend.valueState('value', S.bytes, { ttl: { seconds: 100 } })
  const list = backend.listState('list', S.string, { ttl: { seconds: 50 } })
  const map = backend.mapState('map', S.int32, S.string)
  const plain = backend.valueState('plain', S.int32)
  const heap = backend.timerService<string>({ name: 'heap', namespaceSerializer: S.string, queue: 'heap', onTimer: () => undefined })
  const rocks = backend.timerService<string>({ name: 'rocks', namespaceSerializer: S.string, queue: 'rocksdb', onTimer: () => undefined })
  let written = 0
  for (let i = 0; written < shape.keys; i++) {
    const key = `k${shape.seed}-${i}`
    if (!backend.keyGroupRange.contains(assignToKeyGroup(key, shape.maxParallelism, S.string))) continue
    written++
    clock.set(START + Math.floor(next() * 200))
    backend.setCurrentKey(key)
    const kind = next()
    if (kind < 0.4) value.update(Buffer.alloc(1 + Math.floor(next() * shape.valueBytes), i & 0xff))
    if (kind > 0.3 && kind < 0.6) for (let e = Math.floor(next() * 4); e >= 0; e--) list.add(`${i}-${e}`)
    if (kind > 0.5 && kind < 0.8) for (let e = Math.floor(next() * 3); e >= 0; e--) map.put(e, 'v'.repeat(1 + Math.floor(next() * 40)))
    if (kind > 0.7) plain.update(i)
    if (next() < 0.2) heap.registerEventTimeTimer(`w${i % 3}`, Math.floor(next() * 1000))
    if (next() < 0.2) rocks.registerProcessingTimeTimer('p', Math.floor(next() * 1000))
  }
  if (next() < 0.5) {
    // In SST files, compacted while nothing has expired: no compaction left to drop expired
    // entries between the two paths' snapshots.
    clock.set(START)
    for (const cf of backend.db.columnFamilies()) {
      await backend.db.flush(cf)
      await backend.db.compactRange(cf)
    }
  }
  clock.set(START + 160) // some values and list elements expired, still stored: a snapshot keeps them
  return backend
}

async function expectSameStreams(backend: KeyedStateBackend<string>, checkpointId: number) {
  const storage = new FsCheckpointStorage(tempDir('checkpoints'))
  for (const compression of COMPRESSIONS) {
    const source = sourceOf(backend)
    const handle = (await startFullSnapshot(source, checkpointId, storage, { compression })) as FullKeyedStateHandle
    const referencePath = tempDir(`${compression}.rksf`)
    const reference = await writeReferenceStream(source, checkpointId, referencePath, compression)
    const native = readFileSync(path.join(storage.root, handle.stream.key))
    expect(native.equals(readFileSync(referencePath)), `${compression}: the native stream differs from the JS path's`).toBe(true)
    expect(handle.stream.sha256).toBe(reference.sha256)
    expect(handle.keyGroupOffsets).toEqual([...backend.keyGroupRange].map((keyGroup) => reference.keyGroupOffsets.get(keyGroup) ?? 0))
  }
}

describe('native full-snapshot stream', () => {
  const shapes: [string, Shape][] = [
    ['1-byte prefixes, a sub-range with empty key groups', { seed: 7, maxParallelism: 128, range: new KeyGroupRange(10, 100), keys: 60, valueBytes: 100 }],
    ['2-byte prefixes, many key groups', { seed: 11, maxParallelism: 4096, range: new KeyGroupRange(0, 4095), keys: 3000, valueBytes: 300 }],
    // Key groups of about 2 MB: frames and chunks cut inside a key group, across native chunks.
    ['key groups larger than frames and chunks', { seed: 23, maxParallelism: 2, range: new KeyGroupRange(0, 1), keys: 3000, valueBytes: 5000 }],
    // Values of up to 600 KB: chunks that outgrow the reused chunk buffers, frames inside one entry.
    ['entries larger than frames', { seed: 31, maxParallelism: 2, range: new KeyGroupRange(0, 1), keys: 40, valueBytes: 600_000 }],
  ]
  for (const [name, shape] of shapes) {
    it(`writes the JS path's stream byte for byte (${name}), every compression`, async () => {
      await expectSameStreams(await randomBackend(shape), 1)
    })
  }

  it("writes the JS path's stream for a backend without entries", async () => {
    await expectSameStreams(await randomBackend({ seed: 3, maxParallelism: 128, range: new KeyGroupRange(0, 127), keys: 0, valueBytes: 1 }), 2)
  })
})

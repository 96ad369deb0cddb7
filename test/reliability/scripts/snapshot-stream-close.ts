// A full snapshot's native stream (native/snapshot_stream.h) stopped part-way: aborted, its
// backend closed, its RocksDB closed under it, the stream itself closed while a chunk is being
// framed. Every case must end in a typed error, never a crash, and leave no stream file behind.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { FsCheckpointStorage, KeyedStateBackend, KeyGroupRange, Serializers as S } from '../../../lib'
import { binding } from '../../../lib/native/binding'
import { outcome, report, runMain, tempBase } from './support'

const ENTRIES = 40_000

/** A backend holding about 9 MB: several native chunks. */
async function filledBackend(base: string): Promise<KeyedStateBackend<string>> {
  const backend = await KeyedStateBackend.open({
    path: path.join(base, 'instance'),
    keySerializer: S.string,
    maxParallelism: 128,
    keyGroupRange: new KeyGroupRange(0, 127),
  })
  const value = backend.valueState('value', S.bytes)
  for (let i = 0; i < ENTRIES; i++) {
    backend.setCurrentKey(`key-${i}`)
    value.update(Buffer.alloc(200, i & 0xff))
  }
  return backend
}

/** Files left in the storage and the backend's work directory (none after a failed snapshot). */
function leftovers(base: string, backend: KeyedStateBackend<string>): string[] {
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name)
    } catch {
      return []
    }
  }
  return [...list(path.join(base, 'checkpoints')), ...list(backend.workDirectory)]
}

/** Starts a snapshot and calls `stop` at its first progress report, i.e. with chunks still to come. */
async function stoppedMidway(stop: (backend: KeyedStateBackend<string>, controller: AbortController) => Promise<unknown>) {
  const base = tempBase('snapshot-stream')
  const backend = await filledBackend(base)
  const controller = new AbortController()
  let stopping: Promise<string> | undefined
  let entriesAtStop = -1
  const snapshot = outcome(() =>
    backend.snapshot(1, new FsCheckpointStorage(path.join(base, 'checkpoints')), {
      signal: controller.signal,
      onProgress: (progress) => {
        if (stopping !== undefined) return
        entriesAtStop = progress.entries
        stopping = outcome(() => stop(backend, controller))
      },
    }),
  )
  const result = { snapshot: await snapshot, stop: await stopping, midway: entriesAtStop > 0 && entriesAtStop < ENTRIES, leftovers: leftovers(base, backend) }
  await backend.close()
  return result
}

/** The native stream driven directly: closed with a chunk in flight, then used again; made on a closed database. */
async function streamDirectly() {
  const base = tempBase('snapshot-stream')
  const backend = await filledBackend(base)
  const cf = backend.db.columnFamily('value')
  const open = () => {
    const snapshot = backend.db.snapshot()
    try {
      return new binding.SnapshotStream(snapshot.native, [{ kvStateId: 0, family: cf.id }], { prefixBytes: 1, frameBytes: 0, chunkBytes: 1 << 20 })
    } finally {
      snapshot.release()
    }
  }
  const target = Buffer.alloc(2 << 20)
  const stream = open()
  const first = await outcome(() => stream.next(target))
  const inFlight = outcome(() => stream.next(target))
  stream.close()
  const whileClosing = await inFlight
  const afterClose = await outcome(() => stream.next(target))
  const busy = open()
  const pending = busy.next(target)
  const concurrent = await outcome(() => busy.next(target))
  await pending
  const snapshot = backend.db.snapshot()
  await backend.close()
  const onClosedDatabase = await outcome(() => new binding.SnapshotStream(snapshot.native, [{ kvStateId: 0, family: cf.id }], { prefixBytes: 1, frameBytes: 0, chunkBytes: 1 << 20 }))
  const afterDatabaseClosed = await outcome(() => busy.next(target))
  return { first, whileClosing, afterClose, concurrent, onClosedDatabase, afterDatabaseClosed }
}

runMain(async () => {
  report({
    aborted: await stoppedMidway(async (_, controller) => controller.abort()),
    backendClosed: await stoppedMidway((backend) => backend.close()),
    databaseClosed: await stoppedMidway((backend) => backend.db.close()),
    direct: await streamDirectly(),
  })
})

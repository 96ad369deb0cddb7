/**
 * The full snapshot's former JS path, kept as the reference the native one
 * (native/snapshot_stream.h) must match byte for byte: batches read from one iterator per
 * state, merged by (key group, kvStateId, key) in JS and handed entry by entry to
 * `FullSnapshotWriter.add`.
 */
import { FullSnapshotWriter, type FullSnapshotResult } from '../../lib/format'
import type { Compression } from '../../lib/format/full-snapshot-format'
import type { FullSnapshotSource } from '../../lib/snapshot/full-snapshot'
import { snapshotMetadata } from '../../lib/snapshot/state-snapshot-meta'

/** Writes `source`'s stream as the JS path did, on a RocksDB snapshot taken now. */
export async function writeReferenceStream(source: FullSnapshotSource, checkpointId: number, path: string, compression: Compression): Promise<FullSnapshotResult> {
  const snapshot = source.db.snapshot()
  const iterators = source.states.map((state) => state.cf?.iterator({ snapshot, raw: true, fillCache: false }))
  try {
    const metadata = snapshotMetadata(source, checkpointId, source.states.map((state) => state.meta))
    const writer = await FullSnapshotWriter.create(path, { metadata: metadata as unknown as Record<string, unknown>, prefixBytes: source.keyGroupPrefixBytes, compression })
    const inputs = source.states.map((state, kvStateId) => ({ kvStateId, iterator: iterators[kvStateId] ?? new MemoryBatchSource(state.entries ?? []) }))
    await mergeByKeyGroup(inputs, { prefixBytes: source.keyGroupPrefixBytes, drain: async () => (writer.needsDrain ? writer.drain() : undefined) }, (kvStateId, key, value) =>
      writer.add(kvStateId, key, value),
    )
    return await writer.finish()
  } finally {
    for (const iterator of iterators) iterator?.close()
    snapshot.release()
  }
}

/**
 * Where a merge reads one state's sorted entries from: a RocksDB iterator, or entries held
 * in memory (heap timers). Batches expose their entries through forEach.
 */
interface BatchSource {
  readonly ended: boolean
  nextBatchAsync(maxCount: number, maxBytes: number): Promise<{ forEach(visit: (key: Buffer, value: Buffer) => void): void }>
}

/** Sorted entries from memory as a BatchSource. */
class MemoryBatchSource implements BatchSource {
  private index = 0

  constructor(private readonly entries: readonly (readonly [Buffer, Buffer])[]) {}

  get ended(): boolean {
    return this.index >= this.entries.length
  }

  async nextBatchAsync(maxCount: number) {
    const batch = this.entries.slice(this.index, this.index + maxCount)
    this.index += batch.length
    return { forEach: (visit: (key: Buffer, value: Buffer) => void) => batch.forEach(([key, value]) => visit(key, value)) }
  }
}

/** One state's iterator in a merge: its kvStateId and the current batch of entries. */
class StateCursor {
  keys: Buffer[] = []
  values: Buffer[] = []
  index = 0

  constructor(
    readonly kvStateId: number,
    private readonly iterator: BatchSource,
    private readonly batchCount: number,
    private readonly batchBytes: number,
  ) {}

  get hasEntry(): boolean {
    return this.index < this.keys.length
  }

  /** The next batch, read ahead while the current one is emitted. */
  private ahead: ReturnType<BatchSource['nextBatchAsync']> | undefined

  /** Loads the next batch once the current one is used up; false when the state has no more. */
  async refill(): Promise<boolean> {
    if (this.hasEntry) return true
    if (this.ahead === undefined) {
      if (this.iterator.ended) return false
      this.readAhead()
    }
    const batch = await this.ahead!
    this.ahead = undefined
    // Native iteration of the next batch overlaps the JS work on this one.
    if (!this.iterator.ended) this.readAhead()
    const keys: Buffer[] = []
    const values: Buffer[] = []
    batch.forEach((key, value) => {
      keys.push(key)
      values.push(value)
    })
    this.keys = keys
    this.values = values
    this.index = 0
    return keys.length > 0 || (await this.refill())
  }

  private readAhead(): void {
    this.ahead = this.iterator.nextBatchAsync(this.batchCount, this.batchBytes)
    // A merge that stops early (abort, error) never awaits it: its failure is not an unhandled rejection.
    this.ahead.catch(() => undefined)
  }
}

interface MergeInput {
  kvStateId: number
  iterator: BatchSource
}

interface MergeOptions {
  prefixBytes: 1 | 2
  batchCount?: number
  batchBytes?: number
  signal?: AbortSignal
  /** Awaited after every emitted run of entries: the consumer's back-pressure. */
  drain?: () => Promise<void> | void
}

function keyGroupOf(key: Buffer, prefixBytes: 1 | 2): number {
  return prefixBytes === 1 ? key[0] : (key[0] << 8) | key[1]
}

/**
 * Merges one sorted iterator per state into the order of a full snapshot: by key group,
 * then kvStateId, then key. Within a state the keys of one key group are contiguous, so the
 * merge picks the next (key group, state) run and emits it whole: one choice per run, not
 * per entry. Batches are read off the event loop; memory stays at one batch per state.
 */
async function mergeByKeyGroup(
  inputs: MergeInput[],
  options: MergeOptions,
  emit: (kvStateId: number, key: Buffer, value: Buffer) => void,
): Promise<void> {
  const { prefixBytes, batchCount = 1000, batchBytes = 1 << 20, signal, drain } = options
  let cursors = inputs.map((input) => new StateCursor(input.kvStateId, input.iterator, batchCount, batchBytes))
  cursors = (await Promise.all(cursors.map(async (cursor) => ((await cursor.refill()) ? cursor : undefined)))).filter(
    (cursor): cursor is StateCursor => cursor !== undefined,
  )
  while (cursors.length > 0) {
    signal?.throwIfAborted()
    let next = cursors[0]
    let nextGroup = keyGroupOf(next.keys[next.index], prefixBytes)
    for (let i = 1; i < cursors.length; i++) {
      const cursor = cursors[i]
      const group = keyGroupOf(cursor.keys[cursor.index], prefixBytes)
      if (group < nextGroup || (group === nextGroup && cursor.kvStateId < next.kvStateId)) {
        next = cursor
        nextGroup = group
      }
    }
    let more = true
    while (more) {
      const { keys, values } = next
      let index = next.index
      while (index < keys.length && keyGroupOf(keys[index], prefixBytes) === nextGroup) {
        emit(next.kvStateId, keys[index], values[index])
        index++
      }
      next.index = index
      await drain?.()
      more = index === keys.length && (await next.refill()) && keyGroupOf(next.keys[next.index], prefixBytes) === nextGroup
    }
    if (!(await next.refill())) cursors = cursors.filter((cursor) => cursor !== next)
  }
}

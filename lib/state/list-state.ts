import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'
import { ElementCursor, writeElement, writeRestamped } from './timestamped-list'
import { isExpired } from './ttl-config'

/**
 * A list per (key, namespace), stored as timestamped element records (docs/format.md,
 * "Values"). `add` appends through RocksDB merge without reading the list, the
 * element stamped with the time of the add. With TTL every element expires on its own, as
 * in Flink's TtlListState: `get` leaves out expired elements under `neverReturnExpired`,
 * clears the list when every element has expired, and under `onReadAndWrite` writes the live
 * elements back with a fresh time (never an expired one); compaction drops expired elements.
 */
export class ListState<V, N = undefined> extends KeyedState<N> {
  private readonly cursor = new ElementCursor()

  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly elementSerializer: Serializer<V>,
  ) {
    super(binding)
  }

  /** The current key's list; empty when it has none. */
  get(): V[] {
    const key = this.currentKey()
    const bytes = this.cf.getWithFlags(key, 0)
    if (bytes === undefined) return []
    const ttl = this.meta.ttl
    const now = ttl.seconds > 0 ? this.clock.nowSeconds() : 0
    const returnExpired = ttl.visibility === 'returnExpiredIfNotCleanedUp'
    const values: V[] = []
    let live = 0
    const cursor = this.cursor.reset(bytes, `state '${this.name}'`)
    while (cursor.advance()) {
      const expired = isExpired(cursor.writeTime, ttl, now)
      if (!expired) live++
      if (!expired || returnExpired) values.push(this.decode(this.elementSerializer, bytes, cursor.payloadStart, cursor.payloadEnd))
    }
    if (live === 0) {
      this.cf.delete(key)
    } else if (this.refreshOnRead) {
      this.cf.put(key, this.liveRestamped(bytes, now))
    }
    return values
  }

  /** Appends `value`, stamped with the time of the add: one RocksDB merge, no read. */
  add(value: V): void {
    const out = this.context.valueWriter
    out.reset()
    writeElement(out, this.elementSerializer, value, this.clock.nowSeconds())
    this.cf.merge(this.currentKey(), out.view())
  }

  /** Appends every value (one merge); an empty iterable changes nothing. */
  addAll(values: Iterable<V>): void {
    const records = this.encodeList(values)
    if (records !== undefined) this.cf.merge(this.currentKey(), records)
  }

  /** Replaces the list; an empty list clears it. */
  update(values: Iterable<V>): void {
    const records = this.encodeList(values)
    if (records === undefined) return this.clear()
    this.cf.put(this.currentKey(), records)
  }

  /** @internal The elements as records stamped now; undefined when there are none. */
  private encodeList(values: Iterable<V>): Buffer | undefined {
    const out = this.context.valueWriter
    out.reset()
    const now = this.clock.nowSeconds()
    for (const value of values) writeElement(out, this.elementSerializer, value, now)
    return out.pos === 0 ? undefined : out.view()
  }

  /** @internal The unexpired records of `bytes`, stamped `now`. */
  private liveRestamped(bytes: Buffer, now: number): Buffer {
    const out = this.context.valueWriter
    out.reset()
    const cursor = this.cursor.reset(bytes, `state '${this.name}'`)
    while (cursor.advance()) {
      if (!isExpired(cursor.writeTime, this.meta.ttl, now)) writeRestamped(out, cursor, now)
    }
    return out.view()
  }
}

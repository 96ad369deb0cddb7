import { CorruptDataError } from '../errors'
import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'

/** The byte RocksDB's merge puts between list elements (the original's choice). */
export const LIST_DELIMITER = 0x2c

/**
 * A list per (key, namespace). `add` appends through RocksDB merge without reading the list;
 * elements are stored serialized, joined by ',' (serializers are self-delimiting).
 */
export class ListState<V, N = undefined> extends KeyedState<N> {
  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly elementSerializer: Serializer<V>,
  ) {
    super(binding)
  }

  /** The current key's list; empty when it has none. */
  get(): V[] {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? [] : this.decodeList(bytes)
  }

  add(value: V): void {
    const key = this.currentKey()
    this.cf.merge(key, this.encode(this.elementSerializer, value))
  }

  addAll(values: Iterable<V>): void {
    const joined = this.encodeList(values)
    if (joined !== undefined) this.cf.merge(this.currentKey(), joined)
  }

  /** Replaces the list; an empty list clears it. */
  update(values: Iterable<V>): void {
    const joined = this.encodeList(values)
    if (joined === undefined) return this.clear()
    this.cf.put(this.currentKey(), joined)
  }

  /** @internal The elements joined by the delimiter, as merge would store them; undefined when empty. */
  private encodeList(values: Iterable<V>): Buffer | undefined {
    const out = this.context.valueWriter
    out.reset()
    let count = 0
    for (const value of values) {
      if (count++ > 0) out.buf[out.reserve(1)] = LIST_DELIMITER
      this.elementSerializer.write(value, out)
    }
    return count === 0 ? undefined : out.view()
  }

  /** @internal */
  private decodeList(bytes: Buffer): V[] {
    const input = this.context.valueReader.reset(bytes)
    const values: V[] = []
    while (input.remaining > 0) {
      if (values.length > 0) {
        const at = input.take(1)
        if (input.buf[at] !== LIST_DELIMITER) {
          throw new CorruptDataError(`state '${this.name}': expected the list delimiter at offset ${at}`)
        }
      }
      values.push(this.elementSerializer.read(input))
    }
    return values
  }
}

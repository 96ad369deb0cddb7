import type { CompositeKeyBuilder } from '../keygroups/composite-key'
import type { ByteReader } from '../serializers/byte-reader'
import type { ByteWriter } from '../serializers/byte-writer'

/**
 * What states share with their backend: the composite key of the current key (rebuilt by
 * `setCurrentKey`) and one scratch writer and reader, so that state access allocates
 * nothing of its own beyond what RocksDB returns.
 */
export interface StateContext<K> {
  readonly keyBuilder: CompositeKeyBuilder<K>
  readonly valueWriter: ByteWriter
  readonly valueReader: ByteReader
  /** Throws unless a current key is set. */
  checkCurrentKey(): void
}

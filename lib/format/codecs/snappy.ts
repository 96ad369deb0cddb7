import { binding } from '../../native/binding'
import type { Codec } from './codec'

/**
 * Snappy's raw block format (the original backend's snapshot compression), from the libsnappy the
 * native addon links with RocksDB, in the thread pool (native/snappy_codec.h says why not the npm
 * package). A block must declare exactly the length its frame header records, which is checked
 * before anything is allocated for it.
 */
export const snappy: Codec = {
  compress: (raw) => binding.snappyCompress(raw),
  decompress: (compressed, rawLength) => binding.snappyDecompress(compressed, rawLength),
}

import { binding } from '../../native/binding'
import type { Codec } from './codec'

/** Fast: snapshots favour throughput over ratio, as the other codecs' settings do. */
const LEVEL = 1

/**
 * Zstandard from the libzstd the native addon links with RocksDB (no JS port), compressing and
 * decompressing in the thread pool. A frame must declare exactly the length its frame header
 * records, which is checked before anything is allocated for it.
 */
export const zstd: Codec = {
  compress: (raw) => binding.zstdCompress(raw, LEVEL),
  decompress: (compressed, rawLength) => binding.zstdDecompress(compressed, rawLength),
}

/** Keys and values cross into RocksDB as bytes; strings are taken as UTF-8. */
export type Bytes = Uint8Array | string

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

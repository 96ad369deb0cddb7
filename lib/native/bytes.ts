/** Keys and values cross into RocksDB as bytes; strings are taken as UTF-8. */
export type Bytes = Uint8Array | string

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

/**
 * Checks a [begin, end) range before it reaches RocksDB (which asserts on, or half-applies,
 * a reversed one): begin after end is a RangeError. False when the range is empty.
 */
export function checkRange(begin: Uint8Array, end: Uint8Array, what: string): boolean {
  const order = Buffer.compare(begin, end)
  if (order > 0) throw new RangeError(`${what}: begin must not come after end`)
  return order < 0
}

/**
 * The first byte string after every key that starts with `prefix`: the exclusive upper
 * bound of a prefix scan. Undefined when there is none (the prefix is all 0xFF bytes).
 */
export function prefixSuccessor(prefix: Uint8Array): Buffer | undefined {
  const next = Buffer.from(prefix)
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] !== 0xff) {
      next[i]++
      return next.subarray(0, i + 1)
    }
  }
  return undefined
}

/**
 * Deterministic benchmark data: every driver process regenerates the same bytes from the
 * same seed, so all drivers write, read and scan exactly the same keys in the same order.
 */

export const KEY_BYTES = 16
export const VALUE_BYTES = 100
export const DEFAULT_SEED = 0x5eed1234

/** xorshift128 state, seeded and stirred so neighbouring seeds give unrelated streams. */
class Xorshift128 {
  x: number
  y = 362436069
  z = 521288629
  w = 88675123

  constructor(seed: number) {
    this.x = seed >>> 0 || 1
    for (let i = 0; i < 16; i++) this.next()
  }

  next(): number {
    const t = this.x ^ (this.x << 11)
    this.x = this.y
    this.y = this.z
    this.z = this.w
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0
    return this.w
  }

  /** `length` bytes: each 32-bit output little-endian, the same on every platform. */
  fill(length: number): Buffer {
    const buffer = Buffer.from(new ArrayBuffer(length))
    const view = new DataView(buffer.buffer)
    // The state lives in locals in the hot loop (a few times faster than calling next()).
    let { x, y, z, w } = this
    let i = 0
    for (; i + 4 <= length; i += 4) {
      const t = x ^ (x << 11)
      x = y
      y = z
      z = w
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0
      view.setUint32(i, w, true)
    }
    Object.assign(this, { x, y, z, w })
    for (; i < length; i++) buffer[i] = this.next() & 0xff
    return buffer
  }
}

export interface Dataset {
  keys: Buffer[]
  values: Buffer[]
}

/**
 * `count` random 16-byte keys and 100-byte values. Keys and values are views into two
 * slabs, created before any timing starts.
 */
export function generate(count: number, seed = DEFAULT_SEED): Dataset {
  const random = new Xorshift128(seed)
  const keySlab = random.fill(count * KEY_BYTES)
  const valueSlab = random.fill(count * VALUE_BYTES)
  const keys = new Array<Buffer>(count)
  const values = new Array<Buffer>(count)
  for (let i = 0; i < count; i++) {
    keys[i] = keySlab.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)
    values[i] = valueSlab.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES)
  }
  return { keys, values }
}

/** A seeded random permutation of 0..count-1 (Fisher–Yates): the order of random reads. */
export function permutation(count: number, seed = DEFAULT_SEED ^ 0x9e3779b9): Uint32Array {
  const random = new Xorshift128(seed)
  const order = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  for (let i = count - 1; i > 0; i--) {
    const j = random.next() % (i + 1)
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order
}

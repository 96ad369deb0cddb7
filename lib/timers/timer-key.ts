import { CorruptDataError, KeyGroupOutOfRangeError } from '../errors'
import { murmurHash } from '../keygroups/assignment'
import { keyGroupPrefixBytes, readKeyGroupPrefix, writeKeyGroupPrefix, type KeyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import type { KeyGroupRange } from '../keygroups/key-group-range'
import { ByteReader } from '../serializers/byte-reader'
import { ByteWriter } from '../serializers/byte-writer'
import type { Serializer } from '../serializers/serializer'
import type { Timer } from './timer'

/*
 * The bytes of a timer, as the RocksDB queue stores them (keys with empty values):
 *
 *   key-group prefix | timestamp (8 bytes, big-endian, sign bit flipped) | key | namespace
 *
 * Flipping the sign bit makes bytewise order numeric order for negative and positive timestamps
 * alike, so RocksDB keeps each key group's timers in timestamp order. Key and namespace serializers
 * are self-delimiting, hence prefix-free: comparing the bytes after the prefix compares timestamp,
 * then key bytes, then namespace bytes. Both queues use that as their order (ties included), so they
 * fire identically, and a snapshot of either can hold the same bytes.
 */

export const TIMESTAMP_BYTES = 8
const TWO_TO_32 = 2 ** 32

/** Writes a safe-integer timestamp as a sign-flipped big-endian int64. */
export function writeTimestamp(timestamp: number, buf: Buffer, offset: number): void {
  // |timestamp| < 2^53, so the high word is an int32 in [-2^21, 2^21) and the low word exact
  const high = Math.floor(timestamp / TWO_TO_32)
  buf.writeUInt32BE((high ^ 0x80000000) >>> 0, offset)
  buf.writeUInt32BE(timestamp - high * TWO_TO_32, offset + 4)
}

/** Reads what `writeTimestamp` wrote; CorruptDataError for a value beyond the safe integers. */
export function readTimestamp(buf: Buffer, offset: number): number {
  const timestamp = (buf.readUInt32BE(offset) ^ 0x80000000) * TWO_TO_32 + buf.readUInt32BE(offset + 4)
  if (!Number.isSafeInteger(timestamp)) throw new CorruptDataError(`timer timestamp at offset ${offset} is not a safe integer`)
  return timestamp
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp)) throw new RangeError(`a timer timestamp must be a safe integer, got ${String(timestamp)}`)
}

export interface TimerCodecOptions<K, N> {
  keySerializer: Serializer<K>
  namespaceSerializer: Serializer<N>
  maxParallelism: number
  /** The key groups this queue holds; timers of other key groups are refused. */
  keyGroupRange: KeyGroupRange
}

/**
 * Encodes and decodes timers in the layout above, and assigns their key groups. The order key of
 * a timer is its bytes after the prefix as a latin1 string: one char per byte, so JavaScript's `<`
 * on order keys is bytewise order, and the string is a cheap Map key and cache entry.
 */
export class TimerCodec<K, N> {
  readonly keySerializer: Serializer<K>
  readonly namespaceSerializer: Serializer<N>
  readonly maxParallelism: number
  readonly keyGroupRange: KeyGroupRange
  readonly prefixBytes: KeyGroupPrefixBytes
  private readonly out = new ByteWriter(64)
  // decoding has its own buffer, so decoding never invalidates an encoded key in use
  private readonly scratch = new ByteWriter(64)
  private readonly input = new ByteReader()

  constructor(options: TimerCodecOptions<K, N>) {
    this.keySerializer = options.keySerializer
    this.namespaceSerializer = options.namespaceSerializer
    this.maxParallelism = options.maxParallelism
    this.keyGroupRange = options.keyGroupRange
    this.prefixBytes = keyGroupPrefixBytes(options.maxParallelism)
  }

  /** The key group of `key`; KeyGroupOutOfRangeError when this queue does not hold it. */
  keyGroupOf(key: K): number {
    const keyGroup = murmurHash(this.keySerializer.hashCode(key)) % this.maxParallelism
    if (!this.keyGroupRange.contains(keyGroup)) {
      throw new KeyGroupOutOfRangeError(`a timer's key belongs to key group ${keyGroup}, outside ${this.keyGroupRange}`)
    }
    return keyGroup
  }

  /** `prefix | timestamp | key | namespace`; a view valid until the next `encode*` call. */
  encode(keyGroup: number, timestamp: number, key: K, namespace: N): Buffer {
    checkTimestamp(timestamp)
    const out = this.out
    out.reset()
    const at = out.reserve(this.prefixBytes + TIMESTAMP_BYTES)
    writeKeyGroupPrefix(keyGroup, this.prefixBytes, out.buf, at)
    writeTimestamp(timestamp, out.buf, at + this.prefixBytes)
    this.keySerializer.write(key, out)
    this.namespaceSerializer.write(namespace, out)
    return out.view()
  }

  /** The RocksDB key of an order key in `keyGroup`; a view valid until the next `encode*` call. */
  encodeOrderKey(keyGroup: number, orderKey: string): Buffer {
    const out = this.out
    out.reset()
    const at = out.reserve(this.prefixBytes + orderKey.length)
    writeKeyGroupPrefix(keyGroup, this.prefixBytes, out.buf, at)
    out.buf.write(orderKey, at + this.prefixBytes, 'latin1')
    return out.view()
  }

  /** The order key of an encoded timer (its bytes after the prefix). */
  orderKey(encoded: Buffer): string {
    return encoded.toString('latin1', this.prefixBytes)
  }

  decode(encoded: Buffer): Timer<K, N> {
    return this.read(encoded, this.prefixBytes, encoded.length)
  }

  keyGroupOfEncoded(encoded: Buffer): number {
    return readKeyGroupPrefix(encoded, 0, this.prefixBytes)
  }

  decodeOrderKey(orderKey: string): Timer<K, N> {
    const scratch = this.scratch
    scratch.reset()
    scratch.reserve(orderKey.length)
    scratch.buf.write(orderKey, 0, 'latin1')
    return this.read(scratch.buf, 0, orderKey.length)
  }

  private read(buf: Buffer, start: number, end: number): Timer<K, N> {
    const input = this.input.reset(buf, start, end)
    const timestamp = readTimestamp(buf, input.take(TIMESTAMP_BYTES))
    const key = this.keySerializer.read(input)
    const namespace = this.namespaceSerializer.read(input)
    if (input.remaining !== 0) throw new CorruptDataError(`timer: ${input.remaining} trailing byte(s) at offset ${input.pos}`)
    return { timestamp, key, namespace }
  }
}

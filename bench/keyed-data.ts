/**
 * Keyed-state benchmark data on top of bench/data.ts: the same seeded random bytes, turned into
 * 16-character ASCII string keys (the hex of 8 random bytes: 16 bytes of UTF-8) and 100-byte
 * values, plus the exact RocksDB bytes the keyed-state layer writes for them, so that the raw
 * baselines read and write the very same keys and values.
 */
import { assignToKeyGroup, CompositeKeyBuilder, keyGroupPrefixBytes } from '../lib/keygroups'
import { Serializers as S, serialize, type Serializer } from '../lib/serializers'
import { generate, KEY_BYTES } from './data'

export const MAX_PARALLELISM = 128
export const KEY_CHARS = KEY_BYTES

/** `count` distinct 16-character keys (hex of 8 random bytes, seeded). */
export function stringKeys(count: number, seed?: number): string[] {
  const { keys } = generate(count, seed)
  const out = new Array<string>(count)
  const seen = new Set<string>()
  for (let i = 0; i < count; i++) {
    let key = keys[i].toString('hex', 0, KEY_CHARS / 2)
    // 64 random bits: a collision is all but impossible; keep the keys distinct regardless.
    if (seen.has(key)) key = keys[i].toString('hex', KEY_CHARS / 2, KEY_CHARS)
    seen.add(key)
    out[i] = key
  }
  return out
}

const builder = new CompositeKeyBuilder(S.string, keyGroupPrefixBytes(MAX_PARALLELISM))

/** `prefix | key` as ValueState/ListState store it (void namespace; 1 + 1 + 16 = 18 bytes). */
export function compositeKey(key: string): Buffer {
  builder.setKeyAndKeyGroup(key, assignToKeyGroup(key, MAX_PARALLELISM, S.string))
  return Buffer.from(builder.buildCompositeKeyNamespace(undefined, S.void))
}

/** `prefix | key | user key` as MapState stores one entry. */
export function compositeMapKey<UK>(key: string, userKey: UK, userKeySerializer: Serializer<UK>): Buffer {
  builder.setKeyAndKeyGroup(key, assignToKeyGroup(key, MAX_PARALLELISM, S.string))
  return Buffer.from(builder.buildCompositeKeyNamespaceUserKey(undefined, S.void, userKey, userKeySerializer))
}

/** A value as `S.bytes` stores it: varint length (1 byte for 100) + the bytes. */
export function encodedValue(value: Buffer): Buffer {
  return serialize(S.bytes, value)
}

import { bytes } from './bytes'
import { struct, tuple } from './composite'
import { boolean, float64, int32, int64, voidNamespace } from './primitives'
import { json, string } from './text'

/** The built-in serializers and combinators: `Serializers.string`, `Serializers.tuple(a, b)`, ... */
export const Serializers = {
  string,
  int32,
  int64,
  float64,
  boolean,
  bytes,
  json,
  void: voidNamespace,
  tuple,
  struct,
} as const

export type { Serializer, ValueOf } from './serializer'
export { serialize, deserialize } from './serializer'
export type { TupleOf, StructOf } from './composite'
export { ByteReader } from './byte-reader'
export { ByteWriter } from './byte-writer'
export { stringHashCode, longHashCode, doubleHashCode, booleanHashCode, bytesHashCode, combineHashCodes } from './java-hash'

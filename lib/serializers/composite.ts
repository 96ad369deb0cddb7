import type { ByteReader } from './byte-reader'
import type { ByteWriter } from './byte-writer'
import { combineHashCodes } from './java-hash'
import { invalidValue, type Serializer, type ValueOf } from './serializer'

// Composites write their fields one after another. Every field is self-delimiting, so the
// concatenation is too; hashes combine like Flink's Tuple.hashCode.

/** The sum of the fields' fixed lengths, or `undefined` when any field is variable-length. */
function fixedLengthOf(fields: readonly Serializer<unknown>[]): number | undefined {
  let total = 0
  for (const field of fields) {
    if (field.fixedLength === undefined) return undefined
    total += field.fixedLength
  }
  return total
}

/** The value types of a list of serializers, as a tuple type. */
export type TupleOf<S extends readonly Serializer<unknown>[]> = { -readonly [I in keyof S]: ValueOf<S[I]> }

/** An array of fixed arity whose element `i` uses `elements[i]`. Id: `tuple(<id>,<id>,...)`. */
export function tuple<const S extends readonly Serializer<unknown>[]>(...elements: S): Serializer<TupleOf<S>> {
  const id = `tuple(${elements.map((e) => e.id).join(',')})`
  const arity = elements.length
  return {
    id,
    fixedLength: fixedLengthOf(elements),
    write(value: TupleOf<S>, out: ByteWriter): void {
      if (!Array.isArray(value) || value.length !== arity) throw invalidValue(id, `an array of ${arity} element(s)`, value)
      for (let i = 0; i < arity; i++) elements[i]!.write(value[i], out)
    },
    read(input: ByteReader): TupleOf<S> {
      const value = new Array<unknown>(arity)
      for (let i = 0; i < arity; i++) value[i] = elements[i]!.read(input)
      return value as TupleOf<S>
    },
    hashCode(value: TupleOf<S>): number {
      let h = 0
      for (let i = 0; i < arity; i++) h = combineHashCodes(h, elements[i]!.hashCode(value[i]))
      return h
    },
  }
}

/** The value type of a struct's field serializers. */
export type StructOf<F extends Record<string, Serializer<unknown>>> = { [K in keyof F]: ValueOf<F[K]> }

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * An object with the given fields, written in the order of `Object.keys(fields)` (other properties
 * are ignored). Id: `struct(<name>:<id>,...)`, names that are not identifiers JSON-quoted.
 */
export function struct<F extends Record<string, Serializer<unknown>>>(fields: F): Serializer<StructOf<F>> {
  const names = Object.keys(fields)
  // assigning '__proto__' on read would replace the prototype instead of making a field
  if (names.includes('__proto__')) throw new TypeError("struct field name '__proto__' is not supported")
  const serializers = names.map((name) => fields[name]!)
  const count = names.length
  const id = `struct(${names.map((name, i) => `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}:${serializers[i]!.id}`).join(',')})`
  return {
    id,
    fixedLength: fixedLengthOf(serializers),
    write(value: StructOf<F>, out: ByteWriter): void {
      if (typeof value !== 'object' || value === null) throw invalidValue(id, 'an object', value)
      const record = value as Record<string, unknown>
      for (let i = 0; i < count; i++) serializers[i]!.write(record[names[i]!], out)
    },
    read(input: ByteReader): StructOf<F> {
      const value: Record<string, unknown> = {}
      for (let i = 0; i < count; i++) value[names[i]!] = serializers[i]!.read(input)
      return value as StructOf<F>
    },
    hashCode(value: StructOf<F>): number {
      const record = value as Record<string, unknown>
      let h = 0
      for (let i = 0; i < count; i++) h = combineHashCodes(h, serializers[i]!.hashCode(record[names[i]!]))
      return h
    },
  }
}

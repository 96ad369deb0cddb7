/// <reference lib="es2024.string" />
import { CorruptDataError } from '../errors'
import type { ByteReader } from './byte-reader'
import type { ByteWriter } from './byte-writer'
import { stringHashCode } from './java-hash'
import { invalidValue, type Serializer } from './serializer'

// Text is UTF-8 behind a varint byte length, which makes it self-delimiting.

/** Up to this many UTF-16 units, copying ASCII in a JS loop beats the cost of calling the native encoder. */
const SHORT_TEXT = 64

function writeUtf8(text: string, out: ByteWriter): void {
  const units = text.length
  // UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units)
  out.ensure(5 + units * 3)
  const buf = out.buf
  const at = out.pos
  if (units <= SHORT_TEXT) {
    // ASCII is its own UTF-8; stop at the first other unit and fall back to the encoder
    let i = 0
    while (i < units) {
      const unit = text.charCodeAt(i)
      if (unit >= 0x80) break
      buf[at + 1 + i++] = unit
    }
    if (i === units) {
      buf[at] = units
      out.pos = at + 1 + units
      return
    }
  }
  if (units * 3 < 0x80) {
    // the length surely fits one varint byte: encode the text once, then put its length in front
    const length = buf.write(text, at + 1)
    buf[at] = length
    out.pos = at + 1 + length
  } else {
    out.writeVarUint(Buffer.byteLength(text))
    out.pos += out.buf.write(text, out.pos)
  }
}

function readUtf8(input: ByteReader): string {
  const length = input.readVarUint()
  const at = input.take(length)
  return input.buf.toString('utf8', at, at + length)
}

/**
 * A string as UTF-8. Strings with a lone surrogate are refused: UTF-8 cannot hold them, so two
 * distinct strings would share bytes. Hash: Java's `String.hashCode` over UTF-16 code units.
 * Reading does not validate the UTF-8 (invalid sequences decode to U+FFFD).
 */
export const string: Serializer<string> = {
  id: 'string',
  write(value: string, out: ByteWriter): void {
    if (typeof value !== 'string') throw invalidValue('string', 'a string', value)
    if (!value.isWellFormed()) throw invalidValue('string', 'a well-formed string (no lone surrogates)', value)
    writeUtf8(value, out)
  },
  read: readUtf8,
  hashCode: stringHashCode,
}

function jsonText(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) throw invalidValue('json', 'a JSON-serializable value', value)
  return text
}

/**
 * Any JSON-serializable value, stored as its `JSON.stringify` text. Round trips JSON values exactly;
 * other values come back as JSON makes them (dates as strings, `undefined` properties dropped).
 * Hash: `String.hashCode` of the text, so objects with the same properties in another order differ.
 */
export const json: Serializer<unknown> = {
  id: 'json',
  write(value: unknown, out: ByteWriter): void {
    writeUtf8(jsonText(value), out)
  },
  read(input: ByteReader): unknown {
    const start = input.pos
    const text = readUtf8(input)
    try {
      return JSON.parse(text)
    } catch (err) {
      throw new CorruptDataError(`invalid JSON at offset ${start}: ${(err as Error).message}`)
    }
  },
  hashCode(value: unknown): number {
    return stringHashCode(jsonText(value))
  },
}

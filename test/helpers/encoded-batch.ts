/**
 * Hand-made encodings of native/write_batch.h, to reach the native decoder without the
 * TypeScript WriteBatch's own checks (it refuses most of these before they are encoded).
 */
export const BATCH_OP = { put: 0, putRaw: 1, merge: 2, delete: 3, deleteRange: 4 } as const

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(value)
  return bytes
}

/** One operation: u8 op | u32 column family | u32 length | first | (u32 length | second). */
export function encodeOp(op: number, cf: number, first: string | Buffer, second?: string | Buffer): Buffer {
  const parts = [Buffer.from([op]), u32(cf), u32(Buffer.byteLength(first)), Buffer.from(first)]
  if (second !== undefined) parts.push(u32(Buffer.byteLength(second)), Buffer.from(second))
  return Buffer.concat(parts)
}

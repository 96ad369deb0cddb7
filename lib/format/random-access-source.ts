import type { FileHandle } from 'node:fs/promises'

/** Positioned reads from a file, or from memory (tests, and small streams already downloaded). */
export interface RandomAccessSource {
  /** Names the source in error messages. */
  readonly name: string
  readonly size: number
  /** Reads up to `length` bytes at `position` into `target[offset...]`; returns how many it read. */
  read(target: Buffer, offset: number, length: number, position: number): Promise<number>
  close(): Promise<void>
}

export function fileSource(name: string, file: FileHandle, size: number): RandomAccessSource {
  return {
    name,
    size,
    read: async (target, offset, length, position) => (await file.read(target, offset, length, position)).bytesRead,
    close: () => file.close(),
  }
}

export function bufferSource(name: string, bytes: Uint8Array): RandomAccessSource {
  return {
    name,
    size: bytes.length,
    read: async (target, offset, length, position) => {
      const end = Math.min(position + length, bytes.length)
      target.set(bytes.subarray(position, end), offset)
      return end - position
    },
    close: async () => undefined,
  }
}

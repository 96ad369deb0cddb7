import type { Codec } from './codec'
import { deflate } from './deflate'
import { snappy } from './snappy'
import { zstd } from './zstd'

/** The frame codecs by the name written in the header's `compression`; adding one is one file and one line here. */
export const CODECS = { deflate, snappy, zstd } satisfies Record<string, Codec>

export type CodecName = keyof typeof CODECS
export type { Codec } from './codec'

/** The codec registered under `name`, or undefined ('none' and unknown names). */
export function codecByName(name: string): Codec | undefined {
  return Object.hasOwn(CODECS, name) ? CODECS[name as CodecName] : undefined
}

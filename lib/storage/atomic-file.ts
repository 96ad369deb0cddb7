import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** What streaming a file produced: its length and lowercase hex SHA-256. */
export interface Digest {
  size: number
  sha256: string
}

export interface AtomicWriteOptions {
  /** Permissions of the new file. */
  mode?: number
  signal?: AbortSignal
  /** Called with the length of every chunk written. */
  onProgress?: (bytes: number) => void
  /** Checks the digest before the file is published; throwing keeps the target untouched. */
  verify?: (digest: Digest) => void
}

/** The prefix of temporary files: a dot name, which no storage key can have. */
export const TEMP_PREFIX = '.tmp-'

/** A fresh temporary name beside `target`, so the final rename stays on one filesystem. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
}

/**
 * Streams `source` into `target` through a temporary file in the same directory, hashing while
 * copying: the temporary file is fsynced, renamed over `target` and the directory fsynced, so a
 * crash leaves either no `target` or the whole of it. On any failure (including `verify` throwing
 * or `signal` aborting) the temporary file is removed and `target` is untouched. The directory
 * must exist.
 */
export async function writeFileAtomically(
  target: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<Digest> {
  const { signal } = options
  signal?.throwIfAborted()
  const temp = tempPathFor(target)
  const file = await open(temp, 'wx', options.mode ?? 0o644)
  const chunks = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()
  let finished = false
  try {
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const step = await untilAborted(chunks.next(), signal)
      if (step.done === true) break
      hash.update(step.value)
      size += step.value.byteLength
      await writeAll(file, step.value)
      options.onProgress?.(step.value.byteLength)
      signal?.throwIfAborted()
    }
    finished = true
    await file.sync()
    await file.close()
    const digest = { size, sha256: hash.digest('hex') }
    options.verify?.(digest)
    await publish(temp, target)
    return digest
  } catch (error) {
    // Not awaited: a stalled source's return() would wait for its pending chunk.
    if (!finished) Promise.resolve(chunks.return?.()).catch(() => {})
    await file.close().catch(() => {}) // a no-op when already closed; never hides the first error
    await rm(temp, { force: true })
    throw error
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function untilAborted<T>(promise: Promise<T> | T, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return Promise.resolve(promise)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    Promise.resolve(promise)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Renames `temp` over `target` and makes the rename durable. */
export async function publish(temp: string, target: string): Promise<void> {
  await rename(temp, target)
  await fsyncDirectory(path.dirname(target))
}

/**
 * `mkdir -p dir`, durably: the parent of every directory it creates is fsynced, so the new entries
 * survive a crash along with the files later renamed into them.
 */
export async function makeDirectories(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true })
  if (first === undefined) return
  for (let created = path.resolve(dir); ; created = path.dirname(created)) {
    await fsyncDirectory(path.dirname(created))
    if (created === path.resolve(first)) return
  }
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  // A write may be short (a full disk reports ENOSPC only on the next one).
  for (let at = 0; at < chunk.byteLength; ) at += (await file.write(chunk, at)).bytesWritten
}

/** Makes the entries of `dir` (created, renamed, removed files) durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

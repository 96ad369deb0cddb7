import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { binding } from '../native/binding'
import type { Digest } from './atomic-file'

const CHUNK_BYTES = 1 << 20

/**
 * The length and lowercase hex SHA-256 of a local file. Read and hashed on the thread pool when
 * the addon found OpenSSL in the process (Node exports it), so several files hash at once, on
 * every core, and the event loop runs meanwhile; else streamed and hashed here. An abort rejects
 * with the signal's reason (the native hash stops at its next 1 MiB chunk).
 */
export async function digestOfFile(file: string, signal?: AbortSignal): Promise<Digest> {
  signal?.throwIfAborted()
  if (binding.sha256File === undefined) return streamDigest(file, signal)
  const cancel = new Int32Array(1)
  const abort = () => Atomics.store(cancel, 0, 1)
  signal?.addEventListener('abort', abort, { once: true })
  try {
    return await binding.sha256File(file, cancel)
  } catch (error) {
    signal?.throwIfAborted()
    throw error
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

async function streamDigest(file: string, signal?: AbortSignal): Promise<Digest> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES, signal })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { size, sha256: hash.digest('hex') }
}

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { binding } from '../../lib/native/binding'
import { digestOfFile } from '../../lib/storage/file-digest'
import { sha256 } from './helpers'

const dir = mkdtempSync(path.join(os.tmpdir(), 'rks-digest-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('digestOfFile', () => {
  it('hashes on the thread pool under Node (OpenSSL found in the process)', () => {
    expect(binding.sha256File).toBeTypeOf('function')
  })

  it.each([0, 1, 64, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345])('gives the size and SHA-256 of a %i-byte file', async (size) => {
    const file = path.join(dir, `f-${size}`)
    const bytes = randomBytes(size)
    writeFileSync(file, bytes)
    expect(await digestOfFile(file)).toEqual({ size, sha256: sha256(bytes) })
  })

  it('hashes several files at once, each right', async () => {
    const files = Array.from({ length: 6 }, (_, i) => {
      const bytes = randomBytes(2 * (1 << 20) + i)
      const file = path.join(dir, `many-${i}`)
      writeFileSync(file, bytes)
      return { file, expected: { size: bytes.length, sha256: sha256(bytes) } }
    })
    expect(await Promise.all(files.map(({ file }) => digestOfFile(file)))).toEqual(files.map(({ expected }) => expected))
  })

  it('rejects for a missing file', async () => {
    await expect(digestOfFile(path.join(dir, 'missing'))).rejects.toThrow(/missing/)
  })

  it("rejects with the signal's reason when aborted before or while it hashes", async () => {
    const file = path.join(dir, 'large')
    writeFileSync(file, '')
    truncateSync(file, 256 << 20)
    const reason = new Error('stop')
    await expect(digestOfFile(file, AbortSignal.abort(reason))).rejects.toBe(reason)
    const controller = new AbortController()
    const digest = digestOfFile(file, controller.signal)
    controller.abort(reason)
    await expect(digest).rejects.toBe(reason)
  })

  it('refuses a cancel flag that is not an Int32Array', () => {
    expect(() => binding.sha256File!(path.join(dir, 'f-1'), new Uint8Array(4) as unknown as Int32Array)).toThrow(TypeError)
  })
})

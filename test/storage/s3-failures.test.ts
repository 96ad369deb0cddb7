import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CheckpointStorageError, CorruptCheckpointError } from '../../lib/errors'
import { FaultProxy } from '../helpers/fault-proxy'
import { useS3Server } from '../helpers/s3-server'
import { filesUnder, sha256 } from './helpers'

const s3 = useS3Server()
let proxy: FaultProxy
beforeAll(async () => {
  proxy = await FaultProxy.start(() => s3.server.port)
})
afterAll(() => proxy.close())

const work: string[] = []
afterEach(() => {
  for (const dir of work.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function workDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rks-s3-'))
  work.push(dir)
  return dir
}

/** A storage that talks to s3rver through the fault proxy, and the proxy's log of requests for `name`. */
async function throughProxy() {
  const storage = s3.storage({ bucket: await s3.bucket(), prefix: 'p', endpoint: proxy.endpoint })
  const requests = (name: string, method?: string) => proxy.log.filter((r) => r.url.includes(name) && (method === undefined || r.method === method))
  return { storage, requests }
}

describe('S3CheckpointStorage: checksums for the server', () => {
  it("sends each PUT's and each part's SHA-256 for the server to verify, unless serverChecksums is false", async () => {
    const { storage, requests } = await throughProxy()
    const small = randomBytes(1000)
    await storage.writeFile('chk-1/b/small', small)
    const base64 = (bytes: Uint8Array) => Buffer.from(sha256(bytes), 'hex').toString('base64')
    expect(requests('/small', 'PUT').map((r) => r.checksum)).toEqual([base64(small)])
    const big = randomBytes(7 * 1024 * 1024)
    await storage.writeFile('chk-1/b/big', big)
    const parts = requests('/big', 'PUT')
    const partNumber = (url: string) => Number(/partNumber=(\d+)/.exec(url)?.[1])
    expect(parts.sort((a, b) => partNumber(a.url) - partNumber(b.url)).map((r) => r.checksum)).toEqual([
      base64(big.subarray(0, 5 * 1024 * 1024)),
      base64(big.subarray(5 * 1024 * 1024)),
    ])
    const plain = s3.storage({ bucket: await s3.bucket(), endpoint: proxy.endpoint, serverChecksums: false })
    await plain.writeFile('chk-1/b/plain', small)
    expect(requests('/plain', 'PUT').map((r) => r.checksum)).toEqual([undefined])
  })
})

describe('S3CheckpointStorage: throttling and errors', () => {
  it('retries a 503 SlowDown and a 500 InternalError, on writes and reads, and the transfer lands', async () => {
    const { storage, requests } = await throughProxy()
    const bytes = randomBytes(50_000)
    proxy.inject({ match: (r) => r.method === 'PUT' && r.url.includes('/throttled'), times: 1, error: { status: 503, code: 'SlowDown' } })
    proxy.inject({ match: (r) => r.method === 'PUT' && r.url.includes('/throttled'), times: 1, error: { status: 500, code: 'InternalError' } })
    const ref = await storage.writeFile('chk-1/b/throttled', bytes)
    expect(requests('/throttled', 'PUT').map((r) => r.status)).toEqual([503, 500, 200])
    proxy.inject({ match: (r) => r.method === 'GET' && r.url.includes('/throttled'), times: 1, error: { status: 503, code: 'SlowDown' } })
    expect((await storage.readFile(ref)).equals(bytes)).toBe(true)
    expect(requests('/throttled', 'GET').map((r) => r.status)).toEqual([503, 200])
  })

  it('does not retry any other 4xx: one request, then CheckpointStorageError, nothing stored', async () => {
    const { storage, requests } = await throughProxy()
    proxy.inject({ match: (r) => r.method === 'PUT' && r.url.includes('/denied'), times: 1, error: { status: 403, code: 'AccessDenied' } })
    const error = await storage.writeFile('chk-1/b/denied', Buffer.from('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CheckpointStorageError)
    expect(error).toMatchObject({ attempts: 1, message: expect.stringMatching(/AccessDenied/) })
    expect(requests('/denied', 'PUT')).toHaveLength(1)
    expect(await storage.list('')).toEqual([])
  })

  it('gives up after maxAttempts on a server that keeps throttling', async () => {
    const { storage, requests } = await throughProxy()
    proxy.inject({ match: (r) => r.url.includes('/busy'), times: 5, error: { status: 503, code: 'SlowDown' } })
    await expect(storage.writeFile('chk-1/b/busy', Buffer.from('x'))).rejects.toMatchObject({ name: 'CheckpointStorageError', attempts: 5 })
    expect(requests('/busy')).toHaveLength(5)
  })

  it('downloads again when a response body breaks off mid-stream', async () => {
    const { storage, requests } = await throughProxy()
    const bytes = randomBytes(3 * 1024 * 1024)
    const ref = await storage.writeFile('shared/b/broken.sst', bytes)
    proxy.inject({ match: (r) => r.method === 'GET' && r.url.includes('/broken.sst'), times: 2, cutBodyAfter: 100_000 })
    const target = path.join(workDir(), 'broken.sst')
    await storage.downloadFile(ref, target)
    expect(sha256(readFileSync(target))).toBe(ref.sha256)
    expect(requests('/broken.sst', 'GET')).toHaveLength(3)
    proxy.inject({ match: (r) => r.method === 'GET' && r.url.includes('/broken.sst'), times: 1, cutBodyAfter: 100_000 })
    expect((await storage.readFile(ref)).equals(bytes)).toBe(true)
  })

  it('downloads a large object in part-sized ranges, retries a broken range alone, and verifies the whole', async () => {
    const { storage, requests } = await throughProxy()
    const MiB = 1024 * 1024
    const bytes = randomBytes(12 * MiB + 5)
    const ref = await storage.writeFile('shared/b/ranged.sst', bytes)
    proxy.inject({ match: (r) => r.method === 'GET' && r.url.includes('/ranged.sst'), times: 1, cutBodyAfter: 100_000 })
    const target = path.join(workDir(), 'ranged.sst')
    let progress = 0
    await storage.downloadFile(ref, target, { onProgress: (n) => (progress += n) })
    expect(readFileSync(target).equals(bytes)).toBe(true)
    expect(progress).toBe(bytes.length)
    const ranges = requests('/ranged.sst', 'GET').map((r) => r.range)
    const expected = ['bytes=0-5242879', 'bytes=5242880-10485759', `bytes=10485760-${bytes.length - 1}`]
    expect(new Set(ranges)).toEqual(new Set(expected))
    expect(ranges).toHaveLength(4) // the broken one twice

    const raw = s3.server.client()
    const object = { Bucket: (storage as unknown as { bucket: string }).bucket, Key: `p/${ref.key}` }
    const altered = Buffer.from(bytes)
    altered[11 * MiB] ^= 1
    await raw.send(new PutObjectCommand({ ...object, Body: altered }))
    await expect(storage.downloadFile(ref, target)).rejects.toThrow(/SHA-256/)
    await raw.send(new PutObjectCommand({ ...object, Body: bytes.subarray(0, 6 * MiB) }))
    await expect(storage.downloadFile(ref, target)).rejects.toThrow(/has 6291456 bytes, expected/)
    await raw.send(new DeleteObjectCommand(object))
    await expect(storage.downloadFile(ref, target)).rejects.toThrow(/missing/)
    await expect(storage.downloadFile(ref, target)).rejects.toBeInstanceOf(CorruptCheckpointError)
    expect(readFileSync(target).equals(bytes)).toBe(true) // the earlier download, untouched
    raw.destroy()
  })

  it('an abort during a ranged download cancels the ranges in flight and leaves no file', async () => {
    const { storage } = await throughProxy()
    const ref = await storage.writeFile('shared/b/cancelled.sst', randomBytes(16 * 1024 * 1024))
    const controller = new AbortController()
    // The first range hangs at the server; the abort comes once it is in flight, and must close it.
    const stalledRangeGone = new Promise<void>((resolve) =>
      proxy.inject({
        match: (r) => r.method === 'GET' && r.url.includes('/cancelled.sst'),
        times: 1,
        stall: { onArrival: () => controller.abort(), onClientGone: resolve },
      }),
    )
    const dir = workDir()
    await expect(storage.downloadFile(ref, path.join(dir, 'cancelled.sst'), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    await stalledRangeGone
    expect(filesUnder(dir)).toEqual([])
  })

  it('a part refused with a 4xx stops the multipart upload: no further parts, the upload aborted, the error reported', async () => {
    const { storage, requests } = await throughProxy()
    const file = path.join(workDir(), 'big')
    writeFileSync(file, randomBytes(8 * 5 * 1024 * 1024)) // 8 parts
    const narrow = s3.storage({ bucket: (storage as unknown as { bucket: string }).bucket, prefix: 'p', endpoint: proxy.endpoint, partConcurrency: 2 })
    proxy.inject({ match: (r) => r.url.includes('/refused.sst') && r.url.includes('partNumber=2&'), times: 1, error: { status: 403, code: 'AccessDenied' } })
    const error = await narrow.uploadFile(file, 'shared/b/refused.sst').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CheckpointStorageError)
    expect(error).toMatchObject({ attempts: 1, message: expect.stringMatching(/AccessDenied/) })
    expect(requests('/refused.sst', 'PUT').length).toBeLessThan(8)
    expect(requests('/refused.sst', 'DELETE').filter((r) => r.url.includes('uploadId='))).toHaveLength(1)
    expect(requests('/refused.sst', 'POST').filter((r) => r.url.includes('uploadId='))).toHaveLength(0)
    expect(await storage.list('')).toEqual([])
  })

  it('an abort during a multipart upload aborts the upload on the server and never completes it', async () => {
    const { storage, requests } = await throughProxy()
    const file = path.join(workDir(), 'big')
    writeFileSync(file, randomBytes(16 * 1024 * 1024))
    // Part 2 hangs at the server: the abort must stop it, not wait for it.
    const stalledPartGone = new Promise<void>((resolve) =>
      proxy.inject({ match: (r) => r.url.includes('/aborted.sst') && r.url.includes('partNumber=2&'), times: 1, stall: { onClientGone: resolve } }),
    )
    const controller = new AbortController()
    const upload = storage.uploadFile(file, 'shared/b/aborted.sst', { signal: controller.signal, onProgress: () => controller.abort() })
    await expect(upload).rejects.toMatchObject({ name: 'AbortError' })
    await stalledPartGone
    expect(requests('/aborted.sst', 'POST').filter((r) => r.url.includes('uploads'))).toHaveLength(1) // created
    expect(requests('/aborted.sst', 'DELETE').filter((r) => r.url.includes('uploadId='))).not.toHaveLength(0) // aborted
    expect(requests('/aborted.sst', 'POST').filter((r) => r.url.includes('uploadId='))).toHaveLength(0) // never completed
    expect(await storage.list('')).toEqual([])
  })
})

describe('S3CheckpointStorage: foreign objects', () => {
  it('lists only objects under its prefix that a key can name', async () => {
    const bucket = await s3.bucket()
    const storage = s3.storage({ bucket, prefix: 'mine' })
    const client = s3.server.client()
    for (const key of ['mine/chk-1/b/ok', 'mine/.hidden', 'mine/chk-1/.tmp-x', 'mine2/chk-1/b/other', 'other/chk-1/b/x']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }))
    }
    client.destroy()
    expect(await storage.list('')).toEqual(['chk-1/b/ok'])
    expect(await storage.list('chk-')).toEqual(['chk-1/b/ok'])
  })
})

describe('S3CheckpointStorage: missing bucket', () => {
  it('regression: a HEAD 404 for a missing bucket read as a missing file (stat, large downloads)', async () => {
    const storage = s3.storage({ bucket: 'bucket-never-made', prefix: 'p' })
    const large = { key: 'chk-1/b/large', size: 6 * 1024 * 1024, sha256: '0'.repeat(64) }
    const failures = [await storage.stat(large.key).catch((e: unknown) => e), await storage.downloadFile(large, path.join(workDir(), 'large')).catch((e: unknown) => e)]
    for (const error of failures) {
      expect(error).toBeInstanceOf(CheckpointStorageError)
      expect((error as Error).message).toContain('NoSuchBucket')
    }
  })
})

describe('S3CheckpointStorage: server stopped mid-upload', () => {
  it('retries, then fails with CheckpointStorageError; after the restart nothing is stored and the checkpoint cannot complete', async () => {
    const bucket = await s3.bucket()
    const storage = s3.storage({ bucket, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } })
    async function* source() {
      yield randomBytes(6 * 1024 * 1024) // more than a part: a multipart upload is under way
      await s3.server.stop()
      yield randomBytes(6 * 1024 * 1024)
    }
    let error: unknown
    try {
      error = await storage.writeFile('chk-1/b/stream', source()).catch((e: unknown) => e)
    } finally {
      await s3.server.start()
    }
    expect(error).toBeInstanceOf(CheckpointStorageError)
    expect(error).toMatchObject({ attempts: 3, message: expect.stringMatching(/ECONNREFUSED|ECONNRESET|socket/) })
    expect(await storage.list('')).toEqual([])
    const ref = { key: 'chk-1/b/stream', size: 12 * 1024 * 1024, sha256: '0'.repeat(64) }
    await expect(storage.completeCheckpoint('job', 1, [{ stream: ref }])).rejects.toThrow(CorruptCheckpointError)
    expect(await storage.checkpoints('job')).toEqual([])
  })
})

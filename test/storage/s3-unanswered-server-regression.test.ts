import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CheckpointStorageError } from '../../lib/errors'
import { FaultProxy } from '../helpers/fault-proxy'
import { useS3Server } from '../helpers/s3-server'

const s3 = useS3Server()
let proxy: FaultProxy
beforeAll(async () => {
  proxy = await FaultProxy.start(() => s3.server.port)
})
afterAll(() => proxy.close())

describe('regression: a server that accepts requests but never answers hung every operation', () => {
  it('each request times out after the idle timeout, is retried, and the operation fails with CheckpointStorageError', async () => {
    const bucket = await s3.bucket()
    const storage = s3.storage({ bucket, prefix: 'p', endpoint: proxy.endpoint, timeouts: { idleMs: 200 }, retry: { maxAttempts: 2, baseDelayMs: 1 } })
    proxy.inject({ match: ({ url }) => url.includes(bucket), times: Number.POSITIVE_INFINITY, stall: { onClientGone: () => {} } })
    const operations = {
      checkpoints: () => storage.checkpoints('job'),
      stat: () => storage.stat('chk-1/b/file'),
      writeFile: () => storage.writeFile('chk-1/b/file', new Uint8Array(10)),
      deleteFile: () => storage.deleteFile('chk-1/b/file'),
    }
    for (const [name, operation] of Object.entries(operations)) {
      const before = proxy.log.length
      const error = await operation().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, name).toBeInstanceOf(CheckpointStorageError)
      expect((error as CheckpointStorageError).attempts, name).toBe(2)
      expect(proxy.log.length - before, name).toBe(2)
    }
  })

  it('refuses invalid timeouts', () => {
    expect(() => s3.storage({ bucket: 'b', timeouts: { idleMs: 0 } })).toThrow(RangeError)
    expect(() => s3.storage({ bucket: 'b', timeouts: { connectMs: 1.5 } })).toThrow(RangeError)
  })
})

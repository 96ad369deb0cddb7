import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from 'vitest'
import { S3CheckpointStorage, type S3CheckpointStorageOptions } from '../../lib/storage/s3-checkpoint-storage'
import { S3_CREDENTIALS, S3Server } from './s3-server-process'

export { S3_CREDENTIALS, S3Server }

/**
 * One s3rver for the test file (started before its tests, killed after) and a fresh bucket per
 * `bucket()` call, so tests never see each other's objects.
 */
export function useS3Server() {
  const directory = mkdtempSync(path.join(tmpdir(), 'rks-s3rver-'))
  const server = new S3Server(directory)
  const made: S3CheckpointStorage[] = []
  beforeAll(() => server.start())
  afterAll(async () => {
    await Promise.all(made.splice(0).map((storage) => storage.destroy()))
    await server.stop()
    rmSync(directory, { recursive: true, force: true })
  })
  return {
    server,
    /** Creates a bucket with a fresh name and returns the name. */
    async bucket(): Promise<string> {
      const name = `bucket-${randomBytes(6).toString('hex')}`
      const client = server.client()
      await client.send(new CreateBucketCommand({ Bucket: name }))
      client.destroy()
      return name
    },
    /** A storage on this server; its client is destroyed after the file's tests. */
    storage(options: Omit<S3CheckpointStorageOptions, 'endpoint' | 'credentials'> & { endpoint?: string }): S3CheckpointStorage {
      const storage = new S3CheckpointStorage({
        endpoint: server.endpoint,
        credentials: S3_CREDENTIALS,
        retry: { baseDelayMs: 10, maxDelayMs: 100 },
        partSizeBytes: 5 * 1024 * 1024,
        ...options,
      })
      made.push(storage)
      return storage
    },
  }
}

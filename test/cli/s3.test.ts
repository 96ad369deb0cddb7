import { describe, expect, it } from 'vitest'
import { assignToKeyGroup, KeyGroupRange, KeyedStateBackend, ManualClock, openCheckpointStorage, Serializers as S, type IncrementalKeyedStateHandle, type KeyedStateHandle, type S3CheckpointStorage } from '../../lib'
import { S3_CREDENTIALS, useS3Server } from '../helpers/s3-server'
import { useTempDirs } from '../helpers/temp-dir'
import { runCli, WRITE_TIME } from './cli-fixture'

const s3 = useS3Server()
const tempDir = useTempDirs()

describe('the CLI on S3 storage (s3:// URLs, a local s3rver)', () => {
  it('inspects and verifies a job checkpoint in a bucket, and names a missing object', async () => {
    const bucket = await s3.bucket()
    const url = `s3://${bucket}/checkpoints`
    const env = { AWS_ENDPOINT_URL_S3: s3.server.endpoint, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' }
    const storage = openCheckpointStorage(url, { endpoint: s3.server.endpoint, credentials: S3_CREDENTIALS }) as S3CheckpointStorage
    const handles: KeyedStateHandle[] = []
    for (let index = 0; index < 2; index++) {
      const backend = await KeyedStateBackend.open({
        path: tempDir(`worker-${index}`),
        keySerializer: S.string,
        maxParallelism: 16,
        keyGroupRange: KeyGroupRange.forOperator(16, 2, index),
        clock: new ManualClock(WRITE_TIME),
        storage,
        jobId: 's3-job',
        incremental: true,
      })
      const count = backend.valueState('count', S.int64, { ttl: { seconds: 100 } })
      for (let user = 0; user < 50; user++) {
        const key = `user-${user}`
        if (!backend.keyGroupRange.contains(assignToKeyGroup(key, 16, S.string))) continue
        backend.setCurrentKey(key)
        count.update(BigInt(user))
      }
      handles.push(await backend.snapshot(1))
      await backend.close()
    }
    await storage.completeCheckpoint('s3-job', 1, handles)

    const verified = runCli(['verify', url], { env })
    // On Node 20 the AWS SDK prints its Node version notice on stderr; no error of ours is there.
    expect(verified.stderr).not.toContain('rocksdb-keyed-state:')
    expect(verified.stdout).toMatch(new RegExp(`^ok: checkpoint 1 of job 's3-job' in ${url}: .* 16 key groups parsed end to end \\(50 entries\\)`))
    expect(verified.status).toBe(0)
    const { summary } = JSON.parse(runCli(['inspect', url, '--json'], { env }).stdout)
    expect(summary.handles.map((h: { kind: string }) => h.kind)).toEqual(['incremental', 'incremental'])

    const metadata = (handles[0] as IncrementalKeyedStateHandle).metadata.key
    await storage.deleteFile(metadata)
    const missing = runCli(['verify', url], { env })
    expect(missing.status).toBe(4)
    expect(missing.stdout.trim()).toBe(`missing: handle 0: file '${metadata}' is missing`)
    await storage.destroy()
  })

  it('an invalid bucket name is a usage error', () => {
    const result = runCli(['inspect', 's3://No_Such_Bucket/x'])
    expect(result.status).toBe(2)
    expect(result.stderr.trim()).toBe(`rocksdb-keyed-state: s3://No_Such_Bucket/x: invalid S3 bucket name "No_Such_Bucket" in 's3://No_Such_Bucket/x'`)
  })
})

import { spawnSync } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { FsCheckpointStorage, openCheckpointStorage, S3CheckpointStorage } from '../../lib'
import { S3_CREDENTIALS, useS3Server } from '../helpers/s3-server'
import { useTempDirs } from '../helpers/temp-dir'

const s3 = useS3Server()
const tempDir = useTempDirs()
const ENV = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const
const savedEnv = Object.fromEntries(ENV.map((name) => [name, process.env[name]]))
afterEach(() => {
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name]
    else process.env[name] = savedEnv[name]
  }
})

describe('openCheckpointStorage', () => {
  it('s3://bucket/prefix, with the endpoint and credentials from the environment, reaches the server', async () => {
    const bucket = await s3.bucket()
    process.env.AWS_ENDPOINT_URL_S3 = s3.server.endpoint
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey
    const storage = openCheckpointStorage(`s3://${bucket}/team/job-a`, { retain: 2 }) as S3CheckpointStorage
    expect(storage).toBeInstanceOf(S3CheckpointStorage)
    expect({ bucket: storage.bucket, prefix: storage.prefix }).toEqual({ bucket, prefix: 'team/job-a/' })
    const ref = await storage.writeFile('chk-1/b/metadata', Buffer.from('hello'))
    expect((await storage.readFile(ref)).toString()).toBe('hello')
    // Seen through another storage on the bucket's root: the object sits under the prefix.
    const root = openCheckpointStorage(`s3://${bucket}`, { endpoint: s3.server.endpoint, credentials: S3_CREDENTIALS })
    expect(await root.list('')).toEqual(['team/job-a/chk-1/b/metadata'])
    await storage.destroy()
    await (root as S3CheckpointStorage).destroy()
  })

  it("a client passed in is used as it is, and stays open after the storage's destroy()", async () => {
    const bucket = await s3.bucket()
    const client = s3.server.client()
    const storage = new S3CheckpointStorage({ bucket, prefix: 'own-client', client })
    const ref = await storage.writeFile('chk-1/b/metadata', Buffer.from('mine'))
    await storage.destroy()
    expect((await storage.readFile(ref)).toString()).toBe('mine')
    client.destroy()
  })

  it('without the AWS SDK installed, an S3 storage loads and then fails with CheckpointStorageError naming the peer dependencies', () => {
    // lib/ copied where no node_modules can be found: the SDK import fails for real.
    const dir = path.dirname(tempDir())
    const root = path.join(__dirname, '..', '..')
    cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true })
    writeFileSync(
      path.join(dir, 'main.ts'),
      `import { S3CheckpointStorage } from './lib/storage/s3-checkpoint-storage'
new S3CheckpointStorage({ bucket: 'bucket' }).list('').catch((e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })))`,
    )
    const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
    const child = spawnSync(process.execPath, ['--import', tsx, path.join(dir, 'main.ts')], { cwd: dir, encoding: 'utf8' })
    expect(JSON.parse(child.stdout)).toMatchObject({
      name: 'CheckpointStorageError',
      code: 'CheckpointStorage',
      message: expect.stringMatching(/needs the optional peer dependencies @aws-sdk\/client-s3 and @aws-sdk\/lib-storage: Cannot find (module|package)/),
    })
  })

  it('file: URLs and plain paths open a filesystem storage', () => {
    const dir = tempDir('checkpoints')
    expect((openCheckpointStorage(pathToFileURL(dir).href) as FsCheckpointStorage).root).toBe(dir)
    expect((openCheckpointStorage(dir, { retain: 3 }) as FsCheckpointStorage).root).toBe(dir)
    expect((openCheckpointStorage('relative/dir') as FsCheckpointStorage).root).toBe(path.resolve('relative/dir'))
  })

  it('refuses unknown schemes, invalid buckets and prefixes, and S3 options for a path', () => {
    expect(() => openCheckpointStorage('gs://bucket/x')).toThrow(/unsupported checkpoint storage URL scheme 'gs:'/)
    expect(() => openCheckpointStorage('s3://')).toThrow(/invalid S3 bucket name/)
    expect(() => openCheckpointStorage('s3://Upper_Case/x')).toThrow(/invalid S3 bucket name/)
    expect(() => openCheckpointStorage('s3://bucket/a/../b')).toThrow(/invalid S3 prefix/)
    expect(() => openCheckpointStorage(tempDir(), { endpoint: 'http://127.0.0.1:1' })).toThrow(/endpoint apply to s3:\/\/ URLs only/)
    expect(() => openCheckpointStorage('')).toThrow(TypeError)
    expect(() => new S3CheckpointStorage({ bucket: '' })).toThrow(/needs a bucket/)
    expect(() => new S3CheckpointStorage({ bucket: 'b', partSizeBytes: 1024 * 1024 })).toThrow(/at least 5242880/)
    expect(() => new S3CheckpointStorage({ bucket: 'b', concurrency: 0 })).toThrow(RangeError)
    expect(() => new S3CheckpointStorage({ bucket: 'b', retain: 0 })).toThrow(RangeError)
  })

  it('regression: a query or fragment of an s3:// URL became part of the prefix; the scheme is case-insensitive', () => {
    expect(() => openCheckpointStorage('s3://bucket/a?x=1')).toThrow(/no query or fragment/)
    expect(() => openCheckpointStorage('s3://bucket/a#frag')).toThrow(/no query or fragment/)
    expect(() => openCheckpointStorage('s3://bucket?x=1')).toThrow(/no query or fragment/)
    const storage = openCheckpointStorage('S3://bucket/team', { endpoint: 'http://127.0.0.1:1' }) as S3CheckpointStorage
    expect({ bucket: storage.bucket, prefix: storage.prefix }).toEqual({ bucket: 'bucket', prefix: 'team/' })
  })
})

import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from 'vitest'
import { S3CheckpointStorage, type S3CheckpointStorageOptions } from '../../lib/storage/s3-checkpoint-storage'

/** s3rver's fixed account. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/**
 * An s3rver process on 127.0.0.1 storing into `directory`. `stop()` kills it as a crash would;
 * `start()` brings it back on the same port with the same data.
 */
export class S3Server {
  private child: ChildProcess | undefined
  port = 0

  constructor(readonly directory: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const main = path.join(__dirname, 's3-server-main.ts')
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', main, this.directory, String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    let stderr = ''
    child.stderr!.on('data', (data: Buffer) => (stderr += data))
    this.port = await new Promise<number>((resolve, reject) => {
      let stdout = ''
      child.stdout!.on('data', (data: Buffer) => {
        stdout += data
        if (stdout.includes('\n')) resolve(JSON.parse(stdout).port)
      })
      child.on('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening: ${stderr}`)))
    })
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  /** A client talking to this server (path-style, s3rver's credentials). */
  client(endpoint = this.endpoint): S3Client {
    return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS, maxAttempts: 1 })
  }
}

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

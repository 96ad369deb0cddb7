import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'

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
      stdio: ['pipe', 'pipe', 'pipe'],
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

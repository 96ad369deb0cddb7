import path from 'node:path'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import type { FullKeyedStateHandle, IncrementalKeyedStateHandle } from '../../lib'
import { S3_CREDENTIALS, useS3Server } from '../helpers/s3-server'
import { useTempDirs } from '../helpers/temp-dir'
import {
  alteredLine,
  expectInspectFindsMissing,
  expectInspectJson,
  expectInspectText,
  expectReportFindsMissing,
  expectSelfContainedReport,
  expectVerifyFindsMissing,
  expectVerifyOk,
  INSPECT_JSON_NOW,
  INSPECT_TEXT_NOW,
  REPORT_NOW,
} from './cli-expectations'
import { JOB, makeJobCheckpoint, runCli, USERS, type FixtureOptions } from './cli-fixture'

const s3 = useS3Server()
const tempDir = useTempDirs()

/** The environment the CLI finds the local s3rver and its credentials in, as an operator's AWS environment. */
function s3Env(): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL_S3: s3.server.endpoint, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' }
}

/** `makeJobCheckpoint`'s checkpoint (full snapshots unless `options` say otherwise) in a fresh bucket, under `s3://<bucket>/checkpoints`. */
async function s3JobCheckpoint(options: Pick<FixtureOptions, 'incremental' | 'type'> = {}) {
  const bucket = await s3.bucket()
  const storage = s3.storage({ bucket, prefix: 'checkpoints' })
  const url = `s3://${bucket}/checkpoints`
  const fixture = await makeJobCheckpoint(tempDir('job'), { ...options, storage: { storage, url } })
  /** Object `key` of the storage, as raw bytes, and a way to replace them behind the storage's back. */
  const object = {
    async read(key: string): Promise<Buffer> {
      const client = s3.server.client()
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: storage.prefix + key }))
      const bytes = Buffer.from(await response.Body!.transformToByteArray())
      client.destroy()
      return bytes
    },
    async write(key: string, bytes: Buffer): Promise<void> {
      const client = s3.server.client()
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: storage.prefix + key, Body: bytes }))
      client.destroy()
    },
  }
  return { fixture, storage, url, object, env: s3Env() }
}

describe('the CLI on S3 storage (s3:// URLs, a local s3rver)', () => {
  it('inspects and verifies an incremental job checkpoint in a bucket, and names a missing object', async () => {
    const { fixture, storage, url, env } = await s3JobCheckpoint({ incremental: true })
    const verified = runCli(['verify', url], { env })
    expect(verified.stderr).toBe('')
    expect(verified.stdout).toMatch(new RegExp(`^ok: checkpoint 1 of job '${JOB}' in ${url}: .* 16 key groups parsed end to end \\(${4 * USERS} entries\\)`))
    expect(verified.status).toBe(0)
    const { summary } = JSON.parse(runCli(['inspect', url, '--json'], { env }).stdout)
    expect(summary.handles.map((h: { kind: string }) => h.kind)).toEqual(['incremental', 'incremental'])

    const metadata = (fixture.handles[0] as IncrementalKeyedStateHandle).metadata.key
    await storage.deleteFile(metadata)
    expectVerifyFindsMissing(runCli(['verify', url], { env }), 0, metadata)
  })

  it('inspects, verifies and reports a full job checkpoint in a bucket as on the filesystem (regression: on Node 20 the AWS SDK\'s ten-line Node version notice was on the CLI\'s stderr)', async () => {
    const { url, env } = await s3JobCheckpoint()
    expectInspectText(runCli(['inspect', url, '--now', String(INSPECT_TEXT_NOW)], { env }))
    expectInspectJson(runCli(['inspect', url, '--json', '--now', String(INSPECT_JSON_NOW)], { env }))
    expectVerifyOk(runCli(['verify', url], { env }), runCli(['verify', url, '--json'], { env }), url)
    const page = path.join(path.dirname(tempDir('report')), 'report.html')
    expectSelfContainedReport(runCli(['report', url, '--html', page, '--now', String(REPORT_NOW)], { env }), page)
  })

  it('verifies and inspects savepoints of incremental backends (full streams) in a bucket', async () => {
    const { url, env } = await s3JobCheckpoint({ incremental: true, type: 'savepoint' })
    expectVerifyOk(runCli(['verify', url], { env }), runCli(['verify', url, '--json'], { env }), url)
    expectInspectJson(runCli(['inspect', url, '--json', '--now', String(INSPECT_JSON_NOW)], { env }))
  })

  it('a stream altered or deleted behind the CLI\'s back: the exit codes and lines of the filesystem', async () => {
    const { fixture, storage, url, object, env } = await s3JobCheckpoint()
    const [first, second] = fixture.handles as FullKeyedStateHandle[]
    // Altered in place, same size: only its SHA-256 tells.
    const original = await object.read(first!.stream.key)
    const altered = Buffer.from(original)
    altered[altered.length - 3]! ^= 0x01
    await object.write(first!.stream.key, altered)
    const corrupt = runCli(['verify', url], { env })
    expect(corrupt.status).toBe(3)
    expect(corrupt.stdout.trim().split('\n')).toHaveLength(1)
    expect(corrupt.stdout.trim()).toMatch(alteredLine(0))
    await object.write(first!.stream.key, original)
    expect(runCli(['verify', url], { env }).status).toBe(0)

    await storage.deleteFile(second!.stream.key)
    expectInspectFindsMissing(runCli(['inspect', url], { env }), 1, second!.stream.key)
    expectVerifyFindsMissing(runCli(['verify', url], { env }), 1, second!.stream.key)
    const page = path.join(path.dirname(tempDir('report')), 'report.html')
    const json = runCli(['report', url, '--html', page, '--json'], { env })
    expectReportFindsMissing(json, runCli(['report', url, '--html', page], { env }), page, 1, second!.stream.key)
  })

  it('an invalid bucket name is a usage error', () => {
    const result = runCli(['inspect', 's3://No_Such_Bucket/x'])
    expect(result.status).toBe(2)
    expect(result.stderr.trim()).toBe(`rocksdb-keyed-state: s3://No_Such_Bucket/x: invalid S3 bucket name "No_Such_Bucket" in 's3://No_Such_Bucket/x'`)
  })
})

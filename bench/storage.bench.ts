/**
 * Checkpoint storage benchmark (issue 12): upload and download throughput of one large checkpoint
 * (BENCH_STORAGE_MB of incompressible files of BENCH_FILE_MB each, as a checkpoint's SST files and
 * streams) to FsCheckpointStorage and to S3CheckpointStorage on a local S3-compatible server
 * (s3rver in its own process on 127.0.0.1, storing on the same disk), through `uploadFiles` and
 * `downloadFiles` with the parallelism printed (S3: parts up and ranges down, BENCH_PART_CONCURRENCY
 * of one file at once). Downloads verify size and SHA-256, as restores do; filesystem downloads
 * copy (no hard links).
 *
 *   npm run bench:storage                              # 1 GiB in 64 MiB files
 *   BENCH_STORAGE_MB=256 npm run bench:storage         # quick run
 *
 * Env: BENCH_STORAGE_MB (default 1024), BENCH_FILE_MB (default 64), BENCH_CONCURRENCY (files at
 * once, default 4), BENCH_PART_CONCURRENCY (parts of one S3 upload at once, default 4),
 * BENCH_PART_MB (S3 part size, default 8), BENCH_OUT (result file). See bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand } from '@aws-sdk/client-s3'
import type { CheckpointStorage } from '../lib/storage/checkpoint-storage'
import { FsCheckpointStorage } from '../lib/storage/fs-checkpoint-storage'
import { S3CheckpointStorage } from '../lib/storage/s3-checkpoint-storage'
import { S3_CREDENTIALS, S3Server } from '../test/helpers/s3-server-process'
import { benchMain, fmt, loadAverage, machineInfo, machineLine, table, writeResults } from './harness'

const MiB = 2 ** 20
const totalMB = Number(process.env.BENCH_STORAGE_MB ?? 1024)
const fileMB = Number(process.env.BENCH_FILE_MB ?? 64)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4)
const partConcurrency = Number(process.env.BENCH_PART_CONCURRENCY ?? 4)
const partMB = Number(process.env.BENCH_PART_MB ?? 8)

interface Measured {
  storage: string
  direction: 'upload' | 'download'
  seconds: number
  cpuSeconds: number
  mebibytesPerSecond: number
}

/** Times `uploadFiles` then `downloadFiles` of `files` on `storage`. */
async function measure(name: string, storage: CheckpointStorage, files: { localPath: string; key: string }[], out: string): Promise<Measured[]> {
  const results: Measured[] = []
  const timed = async (direction: Measured['direction'], run: () => Promise<unknown>) => {
    const cpu = process.cpuUsage()
    const start = process.hrtime.bigint()
    await run()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const used = process.cpuUsage(cpu)
    results.push({ storage: name, direction, seconds, cpuSeconds: (used.user + used.system) / 1e6, mebibytesPerSecond: totalMB / seconds })
    process.stderr.write(`  ${name} ${direction}: ${seconds.toFixed(1)} s\n`)
  }
  let refs: Awaited<ReturnType<CheckpointStorage['uploadFiles']>> = []
  await timed('upload', async () => {
    refs = await storage.uploadFiles(files)
  })
  await timed('download', () => storage.downloadFiles(refs.map((ref, i) => ({ ref, localPath: path.join(out, `${i}.sst`) }))))
  return results
}

async function main(): Promise<void> {
  const started = Date.now()
  const machine = machineInfo()
  const fileCount = Math.ceil(totalMB / fileMB)
  console.log(`rocksdb-keyed-state storage bench: ${machineLine()}`)
  console.log(
    `checkpoint of ${fileCount} files x ${fileMB} MiB = ${totalMB} MiB of random bytes; ${concurrency} files at once; S3: parts (up) and ranges (down) of ${partMB} MiB, ${partConcurrency} of a file at once`,
  )
  const dir = mkdtempSync(path.join(tmpdir(), 'rks-bench-storage-'))
  const server = new S3Server(path.join(dir, 's3rver'))
  try {
    mkdirSync(server.directory)
    mkdirSync(path.join(dir, 'source'))
    const files = Array.from({ length: fileCount }, (_, i) => {
      const localPath = path.join(dir, 'source', `${i}.sst`)
      writeFileSync(localPath, randomBytes(Math.min(fileMB, totalMB - i * fileMB) * MiB))
      return { localPath, key: `shared/bench/${String(i).padStart(6, '0')}.sst` }
    })
    await server.start()
    const client = server.client()
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }))
    client.destroy()
    const s3 = new S3CheckpointStorage({
      bucket: 'bench',
      prefix: 'checkpoints',
      endpoint: server.endpoint,
      credentials: S3_CREDENTIALS,
      concurrency,
      partConcurrency,
      partSizeBytes: partMB * MiB,
    })
    const measured = [
      ...(await measure('filesystem', new FsCheckpointStorage(path.join(dir, 'fs'), { concurrency }), files, path.join(dir, 'fs-out'))),
      ...(await measure('S3 (s3rver, local)', s3, files, path.join(dir, 's3-out'))),
    ]
    await s3.destroy()
    const rows = [['', 'seconds', 'MiB/s', 'cpu s (this process)']]
    for (const m of measured) rows.push([`${m.storage} ${m.direction}`, m.seconds.toFixed(1), fmt(m.mebibytesPerSecond, 1), m.cpuSeconds.toFixed(1)])
    console.log(['', table(rows)].join('\n'))
    const minutes = (Date.now() - started) / 60000
    console.log(`\ntotal ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
    writeResults(`storage-${totalMB}MB`, ['BENCH_FILE_MB', 'BENCH_CONCURRENCY', 'BENCH_PART_CONCURRENCY', 'BENCH_PART_MB'], {
      ...machine,
      totalMB,
      fileMB,
      concurrency,
      partConcurrency,
      partMB,
      measured,
      failures: [],
      minutes,
    })
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

benchMain(main)

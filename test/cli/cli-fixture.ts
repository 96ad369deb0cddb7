import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { assignToKeyGroup, FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, type CheckpointStorage, type FullKeyedStateHandle, type IncrementalKeyedStateHandle, type KeyedStateHandle } from '../../lib'
import type { Compression } from '../../lib/format'
import { manifestKey } from '../../lib/storage/layout'

const root = path.join(__dirname, '..', '..')

/** The clock every fixture write happens at; `--now` for the CLI is given relative to it. */
export const WRITE_TIME = 1_800_000_000
export const MAX_PARALLELISM = 16
export const JOB = 'cli-job'
export const USERS = 40
/** Each user's list elements, added one second apart. */
export const PAGES_PER_USER = 3

export interface JobCheckpointFixture<H extends KeyedStateHandle = FullKeyedStateHandle> {
  /** The storage's directory, or its URL: what the CLI is given. */
  storageRoot: string
  handles: H[]
  checkpointId: number
}

export interface FixtureOptions {
  workers?: number
  compression?: Compression
  maxParallelism?: number
  /** Incremental checkpoints (RocksDB checkpoint files) instead of full snapshots. */
  incremental?: boolean
  /** `snapshot()`'s type: 'savepoint' on an incremental backend gives full handles. */
  type?: 'full' | 'savepoint'
  /** Another storage (S3) and its URL; default a directory `checkpoints` in `dir`. */
  storage?: { storage: CheckpointStorage; url: string }
}

/**
 * A real job checkpoint of `workers` backends over MAX_PARALLELISM (or `maxParallelism`) key groups: a value state with a
 * TTL of 100 s, a list state with a TTL of 100 s (elements written at WRITE_TIME, +1, +2), a map
 * state without TTL and event-time timers, one per user, at 1000 + user.
 */
export async function makeJobCheckpoint(dir: string, options: FixtureOptions & { type: 'full' | 'savepoint' }): Promise<JobCheckpointFixture>
export async function makeJobCheckpoint(dir: string, options?: FixtureOptions & { incremental?: false }): Promise<JobCheckpointFixture>
export async function makeJobCheckpoint(dir: string, options: FixtureOptions & { incremental: true }): Promise<JobCheckpointFixture<IncrementalKeyedStateHandle>>
export async function makeJobCheckpoint(dir: string, options: FixtureOptions): Promise<JobCheckpointFixture<KeyedStateHandle>>
export async function makeJobCheckpoint(dir: string, options: FixtureOptions = {}): Promise<JobCheckpointFixture<KeyedStateHandle>> {
  const workers = options.workers ?? 2
  const maxParallelism = options.maxParallelism ?? MAX_PARALLELISM
  const storageRoot = options.storage?.url ?? path.join(dir, 'checkpoints')
  const storage = options.storage?.storage ?? new FsCheckpointStorage(storageRoot)
  const handles: KeyedStateHandle[] = []
  for (let index = 0; index < workers; index++) {
    const clock = new ManualClock(WRITE_TIME)
    const keyGroupRange = KeyGroupRange.forOperator(maxParallelism, workers, index)
    const backend = await KeyedStateBackend.open({
      path: path.join(dir, `worker-${index}`),
      keySerializer: S.string,
      maxParallelism,
      keyGroupRange,
      clock,
      jobId: JOB,
      storage,
      incremental: options.incremental === true,
    })
    const count = backend.valueState('count', S.int64, { ttl: { seconds: 100 } })
    const pages = backend.listState('pages', S.string, { ttl: { seconds: 100 } })
    const carts = backend.mapState('cart', S.string, S.int32)
    const timers = backend.timerService<string>({ name: 'sessions', namespaceSerializer: S.string, queue: 'rocksdb', onTimer: () => {} })
    for (let user = 0; user < USERS; user++) {
      const key = `user-${user}`
      if (!keyGroupRange.contains(assignToKeyGroup(key, maxParallelism, S.string))) continue
      backend.setCurrentKey(key)
      count.update(BigInt(user))
      for (let page = 0; page < PAGES_PER_USER; page++) {
        clock.set(WRITE_TIME + page)
        pages.add(`/page-${page}`)
      }
      clock.set(WRITE_TIME)
      carts.put('sku', user)
      timers.registerEventTimeTimer('session', 1000 + user)
    }
    handles.push(await backend.snapshot(1, storage, { type: options.type, compression: options.compression }))
    await backend.close()
  }
  await storage.completeCheckpoint(JOB, 1, handles)
  return { storageRoot, handles, checkpointId: 1 }
}

/**
 * Writes a job checkpoint manifest with a valid checksum around any `handles`, as a foreign or
 * damaged writer could: `completeCheckpoint` refuses handles of another job or checkpoint.
 */
export async function writeCraftedManifest(storageRoot: string, jobId: string, checkpointId: number, handles: readonly unknown[]): Promise<void> {
  const handlesJson = JSON.stringify(handles)
  const sha256 = createHash('sha256').update(handlesJson).digest('hex')
  const manifest = `{"format":"rocksdb-keyed-state/job-checkpoint","version":1,"jobId":${JSON.stringify(jobId)},"checkpointId":${checkpointId},"sha256":"${sha256}","handles":${handlesJson}}`
  await new FsCheckpointStorage(storageRoot).writeFile(manifestKey(jobId, checkpointId, 'complete'), Buffer.from(manifest))
}

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI from source in a child process, as a user would run the installed command. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...options.env },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

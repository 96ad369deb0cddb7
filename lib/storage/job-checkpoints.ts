import { createHash } from 'node:crypto'
import { CorruptCheckpointError } from '../errors'
import type { JobCheckpoint } from './checkpoint-storage'
import { collectFileRefs, type FileRef } from './file-ref'
import { checkCheckpointId, checkJobId, manifestKey, parseManifestKey } from './layout'
import { mapWithConcurrency } from './pool'

/** The file operations job checkpoints need; every storage provides them over its own files. */
export interface ManifestFiles {
  /** Writes `data` to `key` atomically, replacing what is there. */
  write(key: string, data: Uint8Array): Promise<void>
  /**
   * The bytes at `key`, or `undefined` when there is no such file; a `CorruptCheckpointError`
   * when it is larger than `maxBytes`. Unverified: manifests carry their own checksum.
   */
  read(key: string, maxBytes: number): Promise<Buffer | undefined>
  delete(key: string): Promise<void>
  stat(key: string): Promise<{ size: number } | undefined>
  list(prefix: string): Promise<string[]>
}

const FORMAT = 'rocksdb-keyed-state/job-checkpoint'
const VERSION = 1
/** Far above any real manifest (thousands of workers' handles), far below a harmful allocation. */
const MAX_MANIFEST_BYTES = 256 << 20

/**
 * The complete checkpoints of the jobs in one storage, and their retention. A job checkpoint is
 * complete exactly while its manifest `jobs/<jobId>/chk-<id>.json` exists; the manifest is written
 * after every file it references is in place. Discarding renames the manifest to
 * `discard-<id>.json` first, then deletes the files that no complete checkpoint of any job
 * references, then the renamed manifest: a crash at any step leaves every complete checkpoint
 * whole, and the next discard or `finishDiscards` picks up where it stopped.
 *
 * Operations run one at a time within this object. Several processes completing or discarding
 * checkpoints of jobs that share files in one storage at the same moment is not supported.
 */
export class JobCheckpoints {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly files: ManifestFiles,
    private readonly retain: number,
    private readonly concurrency: number,
  ) {
    if (!Number.isSafeInteger(retain) || retain < 1) throw new RangeError(`retain must be a positive integer, got ${retain}`)
  }

  /** See `CheckpointStorage.completeCheckpoint`. */
  async complete(jobId: string, checkpointId: number, handles: readonly unknown[]): Promise<void> {
    checkJobId(jobId)
    checkCheckpointId(checkpointId)
    if (!Array.isArray(handles) || handles.length === 0) throw new TypeError('handles must be a non-empty array')
    checkHandlesBelong(jobId, checkpointId, handles)
    const handlesJson = JSON.stringify(handles)
    const refs = collectFileRefs(JSON.parse(handlesJson))
    const manifest = Buffer.from(
      `{"format":"${FORMAT}","version":${VERSION},"jobId":${JSON.stringify(jobId)},"checkpointId":${checkpointId},` +
        `"sha256":"${sha256(handlesJson)}","handles":${handlesJson}}`,
    )
    await this.exclusive(async () => {
      const ids = await this.ids(jobId)
      if (ids.includes(checkpointId)) {
        const existing = await this.read(manifestKey(jobId, checkpointId, 'complete'))
        if (existing !== undefined && JSON.stringify(existing.handles) === handlesJson) return
        throw new RangeError(`checkpoint ${checkpointId} of job '${jobId}' is already complete with other handles`)
      }
      const newest = ids.at(-1)
      if (newest !== undefined && checkpointId < newest) {
        throw new RangeError(`checkpoint ids must increase: job '${jobId}' has completed ${newest}, cannot complete ${checkpointId}`)
      }
      // Checked here, not earlier: a discard running meanwhile could delete a file the new
      // checkpoint shares with the one being discarded.
      await mapWithConcurrency(refs, this.concurrency, async (ref) => {
        const found = await this.files.stat(ref.key)
        const problem = found === undefined ? 'is missing' : found.size !== ref.size ? `has ${found.size} bytes, expected ${ref.size}` : undefined
        if (problem !== undefined) {
          throw new CorruptCheckpointError(`cannot complete checkpoint ${checkpointId} of job '${jobId}': file '${ref.key}' ${problem}`)
        }
      })
      await this.files.write(manifestKey(jobId, checkpointId, 'complete'), manifest)
      for (const old of [...ids, checkpointId].slice(0, -this.retain)) await this.markDiscarding(jobId, old)
      await this.finishDiscards()
    })
  }

  /** The newest complete checkpoint of `jobId`, verified; `undefined` when there is none. */
  async latest(jobId: string): Promise<JobCheckpoint | undefined> {
    checkJobId(jobId)
    return this.exclusive(async () => {
      const newest = (await this.ids(jobId)).at(-1)
      if (newest === undefined) return undefined
      const key = manifestKey(jobId, newest, 'complete')
      const checkpoint = await this.read(key)
      if (checkpoint === undefined) throw new CorruptCheckpointError(`manifest '${key}' vanished while being read`)
      return checkpoint
    })
  }

  /** The ids of `jobId`'s complete checkpoints, ascending. */
  async checkpoints(jobId: string): Promise<number[]> {
    checkJobId(jobId)
    return this.exclusive(() => this.ids(jobId))
  }

  /** See `CheckpointStorage.discardCheckpoint`. */
  async discard(jobId: string, checkpointId: number): Promise<void> {
    checkJobId(jobId)
    checkCheckpointId(checkpointId)
    return this.exclusive(async () => {
      await this.markDiscarding(jobId, checkpointId)
      await this.finishDiscards()
    })
  }

  /**
   * Deletes those of `keys` that no job checkpoint (complete, or still being discarded) references,
   * and returns them. Runs exclusively with `complete`, so a checkpoint completed in this process
   * never loses a file it was just checked to have.
   */
  deleteUnreferenced(keys: readonly string[]): Promise<string[]> {
    return this.exclusive(async () => {
      const manifests = (await this.files.list('jobs/')).filter((key) => parseManifestKey(key) !== undefined)
      const referenced = await this.referencedKeys(manifests.map((key) => ({ key })))
      const unreferenced = [...new Set(keys)].filter((key) => !referenced.has(key))
      await mapWithConcurrency(unreferenced, this.concurrency, (key) => this.files.delete(key))
      return unreferenced
    })
  }

  /** The id to give the job's next checkpoint: one above every id it has completed (1 for a new job). */
  async nextId(jobId: string): Promise<number> {
    return ((await this.checkpoints(jobId)).at(-1) ?? 0) + 1
  }

  /** Completes every discard a crash or failure interrupted. */
  finishInterruptedDiscards(): Promise<void> {
    return this.exclusive(() => this.finishDiscards())
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation)
    this.queue = run.catch(() => {})
    return run
  }

  private async ids(jobId: string): Promise<number[]> {
    const ids: number[] = []
    for (const key of await this.files.list(`jobs/${jobId}/`)) {
      const parsed = parseManifestKey(key)
      if (parsed?.state === 'complete' && parsed.jobId === jobId) ids.push(parsed.checkpointId)
    }
    return ids.sort((a, b) => a - b)
  }

  private async markDiscarding(jobId: string, checkpointId: number): Promise<void> {
    const key = manifestKey(jobId, checkpointId, 'complete')
    const bytes = await this.files.read(key, MAX_MANIFEST_BYTES)
    if (bytes === undefined) return
    await this.files.write(manifestKey(jobId, checkpointId, 'discarding'), bytes)
    await this.files.delete(key)
  }

  private async finishDiscards(): Promise<void> {
    const manifests = (await this.files.list('jobs/')).flatMap((key) => {
      const parsed = parseManifestKey(key)
      return parsed === undefined ? [] : [{ key, state: parsed.state }]
    })
    const pending = manifests.filter((m) => m.state === 'discarding')
    if (pending.length === 0) return
    const referenced = await this.referencedKeys(manifests.filter((m) => m.state === 'complete'))
    for (const { key } of pending) {
      let refs: FileRef[] = []
      try {
        refs = collectFileRefs((await this.read(key))?.handles ?? [])
      } catch (error) {
        // A corrupt discard record cannot say what it held; its files stay as orphans.
        if (!(error instanceof CorruptCheckpointError)) throw error
      }
      const unreferenced = refs.filter((ref) => !referenced.has(ref.key))
      await mapWithConcurrency(unreferenced, this.concurrency, (ref) => this.files.delete(ref.key))
      await this.files.delete(key)
    }
  }

  /**
   * The keys any of `manifests` references. An unreadable manifest throws, which stops any
   * deletion based on the result: what it references is unknown.
   */
  private async referencedKeys(manifests: readonly { key: string }[]): Promise<Set<string>> {
    const referenced = new Set<string>()
    for (const { key } of manifests) {
      for (const ref of collectFileRefs((await this.read(key))?.handles ?? [])) referenced.add(ref.key)
    }
    return referenced
  }

  /** Reads and verifies a manifest; `undefined` when it does not exist. */
  private async read(key: string): Promise<JobCheckpoint | undefined> {
    const bytes = await this.files.read(key, MAX_MANIFEST_BYTES)
    if (bytes === undefined) return undefined
    const expected = parseManifestKey(key)!
    const fail = (problem: string): never => {
      throw new CorruptCheckpointError(`job checkpoint manifest '${key}' ${problem}`)
    }
    let manifest: Record<string, unknown>
    try {
      manifest = JSON.parse(bytes.toString('utf8'))
    } catch (error) {
      return fail(`is not valid JSON: ${(error as Error).message}`)
    }
    if (typeof manifest !== 'object' || manifest === null || manifest.format !== FORMAT) return fail('is not a job checkpoint manifest')
    if (manifest.version !== VERSION) return fail(`has version ${JSON.stringify(manifest.version)}; this library reads version ${VERSION}`)
    if (manifest.jobId !== expected.jobId || manifest.checkpointId !== expected.checkpointId) {
      return fail(`names job ${JSON.stringify(manifest.jobId)} checkpoint ${JSON.stringify(manifest.checkpointId)}`)
    }
    if (!Array.isArray(manifest.handles)) return fail('has no handles array')
    // completeCheckpoint never writes one: a restore from it would start every key group empty.
    if (manifest.handles.length === 0) return fail('holds no handle')
    if (manifest.sha256 !== sha256(JSON.stringify(manifest.handles))) return fail('does not match its checksum')
    return { jobId: expected.jobId, checkpointId: expected.checkpointId, handles: manifest.handles }
  }
}

/**
 * A handle that names its checkpoint (and job) must name this one: completing checkpoint 2 with the
 * handles of checkpoint 1 would record a checkpoint that no restore accepts.
 */
function checkHandlesBelong(jobId: string, checkpointId: number, handles: readonly unknown[]): void {
  handles.forEach((handle, index) => {
    const named = (handle ?? {}) as { checkpointId?: unknown; jobId?: unknown }
    if (named.checkpointId !== undefined && named.checkpointId !== checkpointId) {
      throw new RangeError(`handle ${index} is of checkpoint ${JSON.stringify(named.checkpointId)}, not of checkpoint ${checkpointId}`)
    }
    if (typeof named.jobId === 'string' && named.jobId !== jobId) {
      throw new RangeError(`handle ${index} is of job '${named.jobId}', not of job '${jobId}'`)
    }
  })
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

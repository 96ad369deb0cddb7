import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, link, lstat, readdir, readFile, realpath, rm, rmdir, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError } from '../errors'
import { checkOptionNames } from '../option-names'
import { fsyncDirectory, makeDirectories, publish, TEMP_PREFIX, tempPathFor, writeFileAtomically } from './atomic-file'
import type { CheckpointStorage, DownloadOptions, GarbageOptions, TransferOptions } from './checkpoint-storage'
import { digestOfFile } from './file-digest'
import { checkDigest, checkFileRef, checkKey, type FileRef } from './file-ref'
import { JobCheckpointStorage } from './job-checkpoint-storage'
import type { JobCheckpoints } from './job-checkpoints'
import { isCheckpointFileKey } from './layout'
import { checkGarbageOptions, checkTransferOptions } from './call-options'
import { mapWithConcurrency } from './pool'

/** Options of `new FsCheckpointStorage`: any other key is a TypeError. */
export interface FsCheckpointStorageOptions {
  /** Complete checkpoints kept per job; older ones are discarded (Flink's default: 1). */
  retain?: number
  /** Files `uploadFiles`/`downloadFiles` move at once (default 4). */
  concurrency?: number
}

const FS_OPTION_NAMES: ReadonlySet<string> = new Set(['retain', 'concurrency'] satisfies (keyof FsCheckpointStorageOptions)[])
const CHUNK_BYTES = 1 << 20
/** Stored files are immutable; read-only makes a write through a hard-linked copy fail loudly. */
const STORED_FILE_MODE = 0o444
/** `link` errors meaning "this filesystem pair cannot hard-link": copy instead. */
const CANNOT_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])

/**
 * Checkpoint storage in a directory (local disk or a network mount), laid out as docs/format.md
 * ("Storage layout") says: a key is a path below the root. Every write goes to a temporary dot-name beside its target
 * (which no key can name, and `list` never shows), is fsynced and renamed into place, and the
 * directory fsynced. Keys resolving outside the root, through `..` or symlinks, are refused. The
 * root must not contain symlinks leading out of it; to put checkpoints on another disk, point the
 * root itself there (the root may be a symlink).
 */
export class FsCheckpointStorage extends JobCheckpointStorage implements CheckpointStorage {
  /** The root directory, absolute. Created on the first write. */
  readonly root: string
  private readonly concurrency: number
  protected readonly jobs: JobCheckpoints
  private realRoot: string | undefined

  constructor(root: string, options: FsCheckpointStorageOptions = {}) {
    super()
    checkOptionNames(options, FS_OPTION_NAMES)
    this.root = path.resolve(root)
    this.concurrency = options.concurrency ?? 4
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`)
    }
    this.jobs = this.jobCheckpoints(options.retain ?? 1, this.concurrency)
  }

  async adoptFile(localPath: string, key: string, digest: { size: number; sha256: string }, options: TransferOptions = {}): Promise<FileRef> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const target = await this.pathForWrite(checkKey(key))
    try {
      await chmod(localPath, STORED_FILE_MODE)
      await publish(localPath, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      return this.uploadFile(localPath, key, options)
    }
    return { key, size: digest.size, sha256: digest.sha256 }
  }

  async uploadFile(localPath: string, key: string, options: TransferOptions = {}): Promise<FileRef> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const target = await this.pathForWrite(checkKey(key))
    return { key, ...(await writeFileAtomically(target, readChunks(localPath), { ...options, mode: STORED_FILE_MODE })) }
  }

  async uploadFiles(files: readonly { localPath: string; key: string }[], options: TransferOptions = {}): Promise<FileRef[]> {
    checkTransferOptions(options)
    return mapWithConcurrency(files, this.concurrency, (file, signal) => this.uploadFile(file.localPath, file.key, { ...options, signal }), options.signal)
  }

  async writeFile(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, options: TransferOptions = {}): Promise<FileRef> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const target = await this.pathForWrite(checkKey(key))
    const source = data instanceof Uint8Array ? [data] : data
    return { key, ...(await writeFileAtomically(target, source, { ...options, mode: STORED_FILE_MODE })) }
  }

  async downloadFile(ref: FileRef, localPath: string, options: DownloadOptions = {}): Promise<void> {
    checkTransferOptions(options, true)
    options.signal?.throwIfAborted()
    const { file, checked } = await this.storedFile(ref)
    const target = path.resolve(localPath)
    await makeDirectories(path.dirname(target))
    if (options.link === true && (await this.linkVerified(file, checked, target, options))) return
    await writeFileAtomically(target, readChunks(file), {
      ...options,
      verify: (digest) => checkDigest(checked, digest),
    })
  }

  async downloadFiles(files: readonly { ref: FileRef; localPath: string }[], options: DownloadOptions = {}): Promise<void> {
    checkTransferOptions(options, true)
    await mapWithConcurrency(files, this.concurrency, (file, signal) => this.downloadFile(file.ref, file.localPath, { ...options, signal }), options.signal)
  }

  async readFile(ref: FileRef, options: TransferOptions = {}): Promise<Buffer> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const { file, checked } = await this.storedFile(ref)
    const bytes = await readFile(file, { signal: options.signal })
    checkDigest(checked, { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') })
    options.onProgress?.(bytes.length)
    return bytes
  }

  async localPath(ref: FileRef, options: TransferOptions = {}): Promise<string> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const { file, checked } = await this.storedFile(ref)
    checkDigest(checked, await digestOfFile(file, options.signal))
    return file
  }

  async deleteFile(key: string): Promise<void> {
    checkKey(key)
    const slash = key.lastIndexOf('/')
    const dir = slash < 0 ? await this.rootPath(false) : await this.existingPath(key.slice(0, slash))
    if (dir === undefined) return
    try {
      await unlink(path.join(dir, key.slice(slash + 1)))
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return
      throw error
    }
    // Durable before returning: discarding a checkpoint relies on its manifest being gone first.
    await fsyncDirectory(dir)
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const file = await this.existingPath(checkKey(key))
    if (file === undefined) return undefined
    const stats = await stat(file)
    return stats.isFile() ? { size: stats.size } : undefined
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new TypeError(`a prefix must be a string, got ${typeof prefix}`)
    const root = await this.rootPath(false)
    if (root === undefined) return []
    const keys: string[] = []
    // Descends only into directories that can hold matching keys; never follows symlinks.
    const walk = async (dir: string, dirKey: string): Promise<void> => {
      for (const entry of await readdirIfPresent(dir)) {
        if (entry.name.startsWith('.')) continue
        const key = dirKey + entry.name
        if (entry.isFile() && key.startsWith(prefix)) keys.push(key)
        else if (entry.isDirectory() && (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix))) await walk(path.join(dir, entry.name), `${key}/`)
      }
    }
    await walk(root, '')
    return keys.sort()
  }

  async collectGarbage(options: GarbageOptions = {}): Promise<void> {
    const { olderThanMs, unreferencedOlderThanMs } = checkGarbageOptions(options)
    await this.jobs.finishInterruptedDiscards()
    const root = await this.rootPath(false)
    if (root === undefined) return
    if (unreferencedOlderThanMs !== undefined) await this.removeUnreferenced(root, Date.now() - unreferencedOlderThanMs)
    const cutoff = Date.now() - olderThanMs
    // Removes stale temporary files and stale empty directories; returns whether `dir` is empty.
    const sweep = async (dir: string): Promise<boolean> => {
      let kept = 0
      for (const entry of await readdirIfPresent(dir)) {
        const entryPath = path.join(dir, entry.name)
        if (entry.isDirectory() && !entry.name.startsWith('.')) {
          const stale = (await lstat(entryPath)).mtimeMs < cutoff
          if ((await sweep(entryPath)) && stale && (await removeIfEmpty(entryPath))) continue
        } else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX) && (await lstat(entryPath)).mtimeMs < cutoff) {
          await rm(entryPath, { force: true })
          continue
        }
        // Everything else stays, dot directories included: never ours (a network mount's .snapshot).
        kept++
      }
      return kept === 0
    }
    await sweep(root)
  }

  /** Checkpoint files (`chk-*`, `shared/`) last written before `cutoff` that no job checkpoint references. */
  private async removeUnreferenced(root: string, cutoff: number): Promise<void> {
    const candidates: string[] = []
    for (const key of [...(await this.list('chk-')), ...(await this.list('shared/'))].filter(isCheckpointFileKey)) {
      const stats = await lstat(path.join(root, key)).catch(() => undefined)
      if (stats !== undefined && stats.mtimeMs < cutoff) candidates.push(key)
    }
    if (candidates.length > 0) await this.jobs.deleteUnreferenced(candidates)
  }

  /** The root's real path; `undefined` when it does not exist and `create` is false. */
  private async rootPath(create: boolean): Promise<string | undefined> {
    if (this.realRoot !== undefined) return this.realRoot
    if (create) await makeDirectories(this.root)
    try {
      this.realRoot = await realpath(this.root)
    } catch (error) {
      if (!create && isErrno(error, 'ENOENT')) return undefined
      throw error
    }
    return this.realRoot
  }

  /** The real path of an existing file or directory at `key`, or `undefined`; refuses escapes. */
  private async existingPath(key: string): Promise<string | undefined> {
    const root = await this.rootPath(false)
    if (root === undefined) return undefined
    let real: string
    try {
      real = await realpath(path.join(root, key))
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined
      throw error
    }
    return checkInside(root, real, key)
  }

  /**
   * Where to write `key`: creates its directories one level at a time, checking each one's real
   * path, so nothing is ever created outside the root through a symlink.
   */
  private async pathForWrite(key: string): Promise<string> {
    const root = (await this.rootPath(true))!
    const segments = key.split('/')
    const name = segments.pop()!
    let dir = root
    for (const segment of segments) {
      const next = path.join(dir, segment)
      await makeDirectories(next)
      dir = checkInside(root, await realpath(next), key)
    }
    return path.join(dir, name)
  }

  /** The file a reference names, with its size checked; `CorruptCheckpointError` if it is not there. */
  private async storedFile(ref: FileRef): Promise<{ file: string; checked: FileRef }> {
    const checked = checkFileRef(ref)
    const file = await this.existingPath(checked.key)
    const stats = file === undefined ? undefined : await stat(file)
    if (file === undefined || !stats?.isFile()) throw new CorruptCheckpointError(`checkpoint file '${checked.key}' is missing from ${this.root}`)
    checkDigest(checked, { size: stats.size })
    return { file, checked }
  }

  /** Hard-links `file` to `target` and verifies it; `false` when this filesystem cannot link there. */
  private async linkVerified(file: string, ref: FileRef, target: string, options: DownloadOptions): Promise<boolean> {
    const temp = tempPathFor(target)
    try {
      await link(file, temp)
    } catch (error) {
      if (CANNOT_LINK.has((error as NodeJS.ErrnoException).code ?? '')) return false
      throw error
    }
    try {
      checkDigest(ref, await digestOfFile(temp, options.signal))
      await publish(temp, target)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    options.onProgress?.(ref.size)
    return true
  }

  protected async readManifest(key: string, maxBytes: number): Promise<Buffer | undefined> {
    const file = await this.existingPath(key)
    if (file === undefined) return undefined
    const { size } = await stat(file)
    if (size > maxBytes) throw new CorruptCheckpointError(`'${key}' has ${size} bytes, more than a manifest may (${maxBytes})`)
    return readFile(file)
  }
}

/** `real` when it lies inside `root` (or is the root); otherwise a `CorruptCheckpointError`. */
function checkInside(root: string, real: string, key: string): string {
  const relative = path.relative(root, real)
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new CorruptCheckpointError(`storage key '${key}' resolves to '${real}', outside the storage root '${root}'`)
  }
  return real
}

/**
 * The chunks of a local file, opened only once consumed: a transfer that fails before reading
 * leaves no open stream behind, and one that stops early closes it.
 */
async function* readChunks(file: string): AsyncGenerator<Buffer> {
  yield* createReadStream(file, { highWaterMark: CHUNK_BYTES })
}

async function readdirIfPresent(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (error) {
    // Removed since its parent was listed: nothing in it.
    if (isErrno(error, 'ENOENT')) return []
    throw error
  }
}

/** `rmdir`; `false` when something was added to the directory meanwhile. */
async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return true
    if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) return false
    throw error
  }
}


function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code
}

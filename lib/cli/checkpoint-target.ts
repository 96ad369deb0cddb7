import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { openCheckpointStorage } from '../storage/open-checkpoint-storage'
import { parseManifestKey } from '../storage/layout'
import { CliError, ExitCode } from './exit-codes'

/**
 * What a command works on: the handles of one checkpoint and the storage their files live in.
 * Handles are left as parsed JSON: `verify` reports an invalid handle as a problem, the other
 * commands refuse it.
 */
export interface CheckpointTarget {
  /** One line naming what was read, for headers and reports. */
  description: string
  storage: CheckpointStorage
  /** The storage root (a directory, or a URL). */
  storageLocation: string
  jobId?: string
  checkpointId?: number
  handles: unknown[]
  /** A whole job checkpoint, whose handles must cover every key group (a handle file may hold some workers' only). */
  wholeJob: boolean
  /** Problems found while reading the target itself (a job manifest that fails its checksum). */
  problems: string[]
}

export interface TargetOptions {
  /** The storage root (directory or URL) of a handle file; inferred when left out. */
  storage?: string
  /** The job to read from a storage root holding several. */
  job?: string
}

const MANIFEST_FORMAT = 'rocksdb-keyed-state/job-checkpoint'
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * Reads the command's argument, one of:
 * - a storage root (directory or URL): the newest complete checkpoint of its job (`--job` when it has several);
 * - a job checkpoint manifest (`<root>/jobs/<job>/chk-<id>.json`): that checkpoint; the root is
 *   the directory three levels up unless `--storage` says otherwise;
 * - a JSON file with one handle or an array of handles (as `snapshot()` returned them): the root
 *   is `--storage`, else the nearest directory at or above the file that holds the first handle's files.
 */
export async function resolveTarget(argument: string, options: TargetOptions = {}): Promise<CheckpointTarget> {
  if (URL_SCHEME.test(argument) && !argument.startsWith('file:')) {
    return fromStorageRoot(openStorage(argument), argument, options.job)
  }
  const file = argument.startsWith('file:') ? fileURLToPath(argument) : argument
  const stats = await stat(file).catch(() => undefined)
  if (stats === undefined) throw new CliError(`${argument}: no such file or directory`, ExitCode.usage)
  if (stats.isDirectory()) return fromStorageRoot(openStorage(file), path.resolve(file), options.job)
  return fromJsonFile(file, options)
}

/**
 * The checkpoint storage a directory, `file:` URL or `s3://bucket/prefix` names (S3's endpoint and
 * credentials come from the AWS environment: AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ...).
 */
export function openStorage(location: string): CheckpointStorage {
  try {
    return openCheckpointStorage(location)
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw new CliError(`${location}: ${error.message}`, ExitCode.usage)
    throw error
  }
}

async function fromStorageRoot(storage: CheckpointStorage, location: string, job: string | undefined): Promise<CheckpointTarget> {
  const complete = (await storage.list('jobs/')).flatMap((key) => {
    const manifest = parseManifestKey(key)
    return manifest?.state === 'complete' ? [manifest.jobId] : []
  })
  const jobs = [...new Set(complete)].sort()
  if (jobs.length === 0) throw new CliError(`${location}: no job checkpoints in this storage (no jobs/<job>/chk-<id>.json)`, ExitCode.usage)
  const jobId = job ?? (jobs.length === 1 ? jobs[0]! : undefined)
  if (jobId === undefined) throw new CliError(`${location} holds jobs ${jobs.join(', ')}: pick one with --job`, ExitCode.usage)
  if (!jobs.includes(jobId)) throw new CliError(`${location}: no job '${jobId}' (jobs: ${jobs.join(', ')})`, ExitCode.usage)
  const checkpoint = await storage.latestCheckpoint(jobId)
  if (checkpoint === undefined) throw new CliError(`${location}: job '${jobId}' has no complete checkpoint`, ExitCode.usage)
  return {
    description: `checkpoint ${checkpoint.checkpointId} of job '${jobId}' in ${location}`,
    storage,
    storageLocation: location,
    jobId,
    checkpointId: checkpoint.checkpointId,
    handles: checkpoint.handles,
    wholeJob: true,
    problems: [],
  }
}

async function fromJsonFile(file: string, options: TargetOptions): Promise<CheckpointTarget> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new CliError(`${file}: not a JSON handle or job checkpoint manifest: ${(error as Error).message}`, ExitCode.corrupt)
  }
  if (isObject(json) && json.format === MANIFEST_FORMAT) return fromManifest(file, json, options)
  const handles = Array.isArray(json) ? json : [json]
  if (handles.length === 0) throw new CliError(`${file}: an empty array holds no handle`, ExitCode.corrupt)
  const location = options.storage ?? (await findStorageRoot(file, handles[0]))
  return {
    description: `${handles.length} handle(s) from ${file}`,
    storage: openStorage(location),
    storageLocation: location,
    handles,
    wholeJob: false,
    problems: [],
  }
}

/**
 * A manifest as `completeCheckpoint` writes it: `{ format, version, jobId, checkpointId, sha256, handles }`,
 * `sha256` being the digest of `JSON.stringify(handles)` (docs/format.md).
 */
function fromManifest(file: string, manifest: Record<string, unknown>, options: TargetOptions): CheckpointTarget {
  const resolved = path.resolve(file)
  const key = resolved.split(path.sep).slice(-3).join('/')
  const named = parseManifestKey(key)
  const location = options.storage ?? (named === undefined ? undefined : path.resolve(path.dirname(resolved), '..', '..'))
  if (location === undefined) throw new CliError(`${file}: a manifest outside <root>/jobs/<job>/: pass --storage`, ExitCode.usage)
  if (!Array.isArray(manifest.handles)) throw new CliError(`${file}: the manifest has no handles array`, ExitCode.corrupt)
  const problems: string[] = []
  const digest = createHash('sha256').update(JSON.stringify(manifest.handles)).digest('hex')
  if (manifest.sha256 !== digest) problems.push(`${file}: the manifest's handles do not match its sha256`)
  if (manifest.handles.length === 0) problems.push(`${file}: the manifest holds no handle: no key group is covered`)
  const jobId = typeof manifest.jobId === 'string' ? manifest.jobId : undefined
  const checkpointId = typeof manifest.checkpointId === 'number' ? manifest.checkpointId : undefined
  if (named !== undefined && (named.jobId !== jobId || named.checkpointId !== checkpointId)) {
    problems.push(`${file}: the manifest names job ${JSON.stringify(jobId)} checkpoint ${checkpointId}, its path job '${named.jobId}' checkpoint ${named.checkpointId}`)
  }
  return {
    description: `checkpoint ${checkpointId} of job '${jobId}' in ${location}`,
    storage: openStorage(location),
    storageLocation: location,
    jobId,
    checkpointId,
    handles: manifest.handles,
    wholeJob: true,
    problems,
  }
}

/** The nearest directory at or above `file` where the handle's first file exists. */
async function findStorageRoot(file: string, handle: unknown): Promise<string> {
  const key = firstFileKey(handle)
  let dir = path.dirname(path.resolve(file))
  if (key !== undefined) {
    for (;;) {
      if ((await stat(path.join(dir, key)).catch(() => undefined))?.isFile()) return dir
      const parent = path.dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  throw new CliError(`${file}: cannot find the storage holding its files above it; pass --storage <dir>`, ExitCode.usage)
}

function firstFileKey(handle: unknown): string | undefined {
  if (!isObject(handle)) return undefined
  const candidates = [handle.stream, handle.metadata]
  for (const candidate of candidates) if (isObject(candidate) && typeof candidate.key === 'string') return candidate.key
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

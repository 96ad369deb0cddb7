import { fileURLToPath } from 'node:url'
import { checkOptionNames } from '../option-names'
import type { CheckpointStorage } from './checkpoint-storage'
import { FsCheckpointStorage, type FsCheckpointStorageOptions } from './fs-checkpoint-storage'
import { S3CheckpointStorage, S3_OPTION_NAMES, type S3CheckpointStorageOptions } from './s3-checkpoint-storage'

/** Options for either storage; those of S3 (endpoint, credentials, ...) apply to `s3://` URLs only. */
export type OpenCheckpointStorageOptions = FsCheckpointStorageOptions & Omit<S3CheckpointStorageOptions, 'bucket' | 'prefix'>

const COMMON_OPTIONS = new Set(['retain', 'concurrency'])
/** S3's options but the two an s3:// URL gives (FsCheckpointStorage's are among them). */
const OPEN_OPTION_NAMES: ReadonlySet<string> = new Set([...S3_OPTION_NAMES].filter((name) => name !== 'bucket' && name !== 'prefix'))
/** S3's rules for bucket names (3-63 lowercase letters, digits, dots and hyphens). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * The checkpoint storage a URL names, for tools and examples:
 *
 * - `s3://bucket/prefix` (scheme in any case; no query or fragment): an `S3CheckpointStorage`. The endpoint of an S3-compatible server comes
 *   from `options.endpoint`, else the environment's `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`
 *   (else AWS itself); credentials and region from the options or the AWS SDK's usual chain.
 * - `file:///path` or a plain path: an `FsCheckpointStorage` in that directory.
 */
export function openCheckpointStorage(url: string, options: OpenCheckpointStorageOptions = {}): CheckpointStorage {
  if (typeof url !== 'string' || url.length === 0) throw new TypeError('a checkpoint storage URL must be a non-empty string')
  // First: a misspelt option is neither an S3 option nor a directory's.
  checkOptionNames(options, OPEN_OPTION_NAMES)
  if (/^s3:\/\//i.test(url)) {
    const rest = url.slice('s3://'.length)
    // Not silently part of the prefix: this function knows no query parameters.
    if (/[?#]/.test(rest)) throw new RangeError(`an s3:// URL takes no query or fragment ('?', '#'), got '${url}'`)
    const slash = rest.indexOf('/')
    const bucket = slash < 0 ? rest : rest.slice(0, slash)
    if (!BUCKET_NAME.test(bucket)) throw new RangeError(`invalid S3 bucket name ${JSON.stringify(bucket)} in '${url}'`)
    const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined)
    return new S3CheckpointStorage({ ...options, endpoint, bucket, prefix: slash < 0 ? '' : rest.slice(slash + 1) })
  }
  const s3Only = Object.keys(options).filter((name) => !COMMON_OPTIONS.has(name) && options[name as keyof OpenCheckpointStorageOptions] !== undefined)
  if (s3Only.length > 0) throw new RangeError(`option(s) ${s3Only.join(', ')} apply to s3:// URLs only, not to '${url}'`)
  if (url.startsWith('file:')) return new FsCheckpointStorage(fileURLToPath(url), options)
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)
  if (scheme !== null) throw new RangeError(`unsupported checkpoint storage URL scheme '${scheme[1]}:' in '${url}' (use s3://, file: or a path)`)
  return new FsCheckpointStorage(url, options)
}

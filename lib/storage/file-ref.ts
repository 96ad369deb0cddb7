import { CorruptCheckpointError } from '../errors'

/**
 * A file in checkpoint storage, as state handles record it: `key` is a `/`-separated path relative
 * to the storage root, `size` its length in bytes and `sha256` the lowercase hex digest of its bytes.
 */
export interface FileRef {
  key: string
  size: number
  sha256: string
}

/** S3's limit on object keys; keys valid here are valid on every storage. */
const MAX_KEY_BYTES = 1024

const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * Why `key` is not a valid storage key, or `undefined` when it is. Keys are relative paths of
 * non-empty `/`-separated segments without backslashes or NUL; no segment starts with `.`, which
 * rules out `.` and `..` and reserves dot names for the storages' own temporary files.
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `a key must be a string, got ${typeof key}`
  if (key.length === 0) return 'a key must not be empty'
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `a key must be at most ${MAX_KEY_BYTES} bytes`
  if (key.includes('\\')) return 'a key must not contain backslashes'
  if (key.includes('\0')) return 'a key must not contain NUL'
  if (key.startsWith('/')) return 'a key must be relative'
  for (const segment of key.split('/')) {
    if (segment === '') return 'a key must not have empty segments'
    if (segment.startsWith('.')) return `a key's segments must not start with '.' (got '${segment}')`
  }
  return undefined
}

/** Checks a key a caller passes in; `RangeError` names the problem. */
export function checkKey(key: string): string {
  const problem = keyProblem(key)
  if (problem !== undefined) throw new RangeError(`invalid storage key ${JSON.stringify(key)}: ${problem}`)
  return key
}

/**
 * Reads an untrusted file reference (from a handle's JSON): a `CorruptCheckpointError` unless it
 * has a valid key, a non-negative integer size and a SHA-256 hex digest. Returns a fresh object
 * holding only those three fields.
 */
export function checkFileRef(value: unknown): FileRef {
  const fail = (problem: string): never => {
    throw new CorruptCheckpointError(`invalid file reference ${describe(value)}: ${problem}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not an object')
  const { key, size, sha256 } = value as Record<string, unknown>
  const problem = keyProblem(key)
  if (problem !== undefined) return fail(problem)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return fail("'size' must be a non-negative integer")
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return fail("'sha256' must be 64 lowercase hex digits")
  return { key: key as string, size, sha256 }
}

/**
 * Every file reference inside a JSON value (a state handle, a job manifest), found by shape: an
 * object with `key`, `size` and `sha256` properties. Each is validated with `checkFileRef`; a key
 * that occurs twice is listed once. Lets storage track files without knowing the handle kinds.
 */
export function collectFileRefs(json: unknown): FileRef[] {
  const found = new Map<string, FileRef>()
  // An explicit stack: untrusted JSON may nest deeper than the call stack.
  const stack: unknown[] = [json]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value !== 'object' || value === null) continue
    if (!Array.isArray(value) && 'key' in value && 'size' in value && 'sha256' in value) {
      const ref = checkFileRef(value)
      const seen = found.get(ref.key)
      if (seen !== undefined && (seen.size !== ref.size || seen.sha256 !== ref.sha256)) {
        throw new CorruptCheckpointError(`file '${ref.key}' is referenced with two different sizes or checksums`)
      }
      found.set(ref.key, ref)
    } else {
      // One push per element: spreading a huge array would overflow the argument limit.
      for (const child of Object.values(value)) stack.push(child)
    }
  }
  return [...found.values()]
}

/** `CorruptCheckpointError` unless the digest (or the part of it known so far) matches the reference. */
export function checkDigest(ref: FileRef, digest: { size?: number; sha256?: string }): void {
  if (digest.size !== undefined && digest.size !== ref.size) {
    throw new CorruptCheckpointError(`checkpoint file '${ref.key}' has ${digest.size} bytes, expected ${ref.size}`)
  }
  if (digest.sha256 !== undefined && digest.sha256 !== ref.sha256) {
    throw new CorruptCheckpointError(`checkpoint file '${ref.key}' has SHA-256 ${digest.sha256}, expected ${ref.sha256}`)
  }
}

function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value)
  return json.length > 200 ? `${json.slice(0, 200)}...` : json
}

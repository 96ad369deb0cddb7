import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { NotAnInstanceError } from '../errors'
import { writeFileAtomically } from './atomic-file'

/** Written into every instance directory the library creates: only such directories are ever reused. */
export const INSTANCE_MARKER = 'KEYED_STATE_INSTANCE'
const MARKER_CONTENT = `${JSON.stringify({ format: 'rocksdb-keyed-state-instance', version: 1 })}\n`

/** A directory an open may use, and how to undo what claiming it did. */
export interface ClaimedDirectory {
  /** False for an instance that existed before (its RocksDB files, locks included, are not ours to remove). */
  created: boolean
  /** Removes exactly what the claim created: the directory (and parents) it made, or the entries it added to an empty one. */
  undo(): Promise<void>
}

/**
 * Makes `dir` an instance directory, or checks that it is one: a missing path is created (with
 * its missing parents), an empty directory is taken, and either gets the marker file; an
 * existing instance (marker present) is accepted untouched. Anything else (a file, a directory
 * with other contents, a RocksDB database this library did not create) is a NotAnInstanceError
 * and nothing is touched: the library never deletes what it did not create.
 */
export async function claimInstanceDirectory(dir: string): Promise<ClaimedDirectory> {
  const absolute = path.resolve(dir)
  const entries = await existingEntries(absolute)
  if (entries === undefined) {
    const first = await mkdir(absolute, { recursive: true })
    // Someone else created it meanwhile: look again at what it now holds.
    if (first === undefined) return claimInstanceDirectory(dir)
    await writeMarker(absolute)
    return { created: true, undo: () => rm(first, { recursive: true, force: true }) }
  }
  if (entries.length === 0) {
    await writeMarker(absolute)
    return {
      created: true,
      undo: async () => {
        for (const entry of await readdir(absolute)) await rm(path.join(absolute, entry), { recursive: true, force: true })
      },
    }
  }
  if (entries.includes(INSTANCE_MARKER) && (await readMarker(absolute)) === MARKER_CONTENT) {
    return { created: false, undo: async () => undefined }
  }
  const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '')
  throw new NotAnInstanceError(
    `'${dir}' is not empty and not an instance directory of rocksdb-keyed-state (it holds ${shown}, no ${INSTANCE_MARKER} marker): ` +
      'give a new or empty directory; nothing in it was changed',
  )
}

/** The names in `dir`; undefined when there is nothing at `dir`. NotAnInstanceError when it is not a directory. */
async function existingEntries(dir: string): Promise<string[] | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new NotAnInstanceError(`'${dir}' exists and is not a directory: nothing was changed`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return (await readdir(dir)).sort()
}

async function writeMarker(dir: string): Promise<void> {
  await writeFileAtomically(path.join(dir, INSTANCE_MARKER), [Buffer.from(MARKER_CONTENT)])
}

async function readMarker(dir: string): Promise<string> {
  try {
    return await readFile(path.join(dir, INSTANCE_MARKER), 'utf8')
  } catch {
    return ''
  }
}

import { lstat, mkdir, open, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { LockedError, NotAnInstanceError } from '../errors'
import type { OpenOptions } from '../native/rocksdb'
import { fsyncDirectory, publish } from './atomic-file'
import { INSTANCE_LOCK } from './instance-lock'

/** Written into every instance directory the library creates: only such directories are ever reused. */
export const INSTANCE_MARKER = 'KEYED_STATE_INSTANCE'
/**
 * Created exclusively (O_EXCL) by the open claiming a new or empty directory, then renamed to the
 * marker: of several opens racing for one directory exactly one creates it, the others see it.
 */
const CLAIM = `${INSTANCE_MARKER}.claim`
const MARKER_CONTENT = `${JSON.stringify({ format: 'rocksdb-keyed-state-instance', version: 1 })}\n`
/**
 * The names RocksDB gives its files in a database directory (its `ParseFileName` grammar). In a
 * directory this library claimed empty, RocksDB treats such files as its own (it deletes obsolete
 * ones by these names), so a failed open may remove them; anything else there is someone else's.
 */
const ROCKSDB_FILE = /^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|(MANIFEST|OPTIONS|METADB)-\d+(\.dbtmp)?|\d+\.(log|sst|ldb|blob|dbtmp))$/

/**
 * How a backend opens its instance's database, on its own open and when a restore installs one.
 * No WAL: the backend's durability is its checkpoint, and it starts from one (or from nothing) on
 * every open, so a log of writes since would only cost time. RocksDB's 64 MiB memtables instead of
 * the addon's 8 MiB: every checkpoint flushes them, and with 8 MiB several level-0 files a
 * checkpoint interval made level 0 compact into level 1 (most of the state) every 1-2 checkpoints
 * instead of every 4, and incremental checkpoints upload what a compaction rewrites (9 checkpoints
 * of 20 MB of updates to a 60 MB state uploaded 608 MB instead of 281 MB).
 */
export const INSTANCE_DATABASE_OPTIONS = { wal: false, writeBufferBytes: 64 * 2 ** 20 } as const satisfies OpenOptions

/** The file naming the database's MANIFEST: RocksDB opens what it names. */
export const CURRENT = 'CURRENT'

/** Whether `name` is one of RocksDB's file names (see ROCKSDB_FILE). */
export function isRocksDBFile(name: string): boolean {
  return ROCKSDB_FILE.test(name)
}

/** A directory an open may use, and how to undo what claiming it did. */
export interface ClaimedDirectory {
  /** False for an instance that existed before (its RocksDB files are not this open's to remove). */
  created: boolean
  /**
   * Once the instance lock is held: throws LockedError when the marker is gone, i.e. another open
   * that failed removed the instance it created (it drops the marker before releasing the lock).
   */
  checkStillMarked(): Promise<void>
  /**
   * Undoes a failed open, given the function closing its database (which must not have written
   * anything but RocksDB's files and the work directory by then), while the instance lock is held.
   * For a claimed directory: drops the marker, closes, removes RocksDB's files and the lock's file,
   * then removes the directories this claim made only while they are empty. Never removes anything else.
   */
  undo(closeDatabase: () => Promise<void>): Promise<void>
}

/**
 * Makes `dir` an instance directory, or checks that it is one: a missing path is created (with
 * its missing parents), an empty directory (or one holding only the instance lock's file, left by
 * an open that lost a race with a failed one) is taken, and either gets the marker file; an
 * existing instance (marker present) is accepted untouched. A directory another open is claiming
 * is a LockedError. Anything else (a file, a directory with other contents, a RocksDB database
 * this library did not create) is a NotAnInstanceError and nothing is touched: the library never
 * deletes what it did not create.
 */
export async function claimInstanceDirectory(dir: string): Promise<ClaimedDirectory> {
  const absolute = path.resolve(dir)
  const entries = await existingEntries(absolute)
  if (entries === undefined) {
    const made = await makeMissingDirectories(absolute)
    // Someone else created it meanwhile: look again at what it now holds.
    if (made === undefined) return claimInstanceDirectory(dir)
    return claimEmpty(dir, absolute, made)
  }
  if (entries.length === 0 || (entries.length === 1 && entries[0] === INSTANCE_LOCK)) return claimEmpty(dir, absolute, [])
  if (entries.includes(INSTANCE_MARKER) && (await readMarker(absolute)) === MARKER_CONTENT) {
    return { created: false, checkStillMarked: () => checkMarked(dir, absolute), undo: (closeDatabase) => closeDatabase() }
  }
  if (entries.includes(CLAIM)) throw claimedByAnother(dir)
  const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '')
  throw new NotAnInstanceError(
    `'${dir}' is not empty and not an instance directory of rocksdb-keyed-state (it holds ${shown}, no ${INSTANCE_MARKER} marker): ` +
      'give a new or empty directory; nothing in it was changed',
  )
}

/** Claims the new or empty directory `absolute` by writing its marker; `made` are the directories this open created, outermost first. */
async function claimEmpty(dir: string, absolute: string, made: string[]): Promise<ClaimedDirectory> {
  const claim = path.join(absolute, CLAIM)
  const marker = path.join(absolute, INSTANCE_MARKER)
  const removeMadeDirectories = async () => {
    for (const directory of [...made].reverse()) if (!(await removeIfEmpty(directory))) return
  }
  let file
  try {
    file = await open(claim, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw claimedByAnother(dir)
    throw error
  }
  try {
    await file.writeFile(MARKER_CONTENT)
    await file.sync()
    await file.close()
    await publish(claim, marker)
  } catch (error) {
    await file.close().catch(() => undefined)
    await rm(claim, { force: true })
    await removeMadeDirectories()
    throw error
  }
  return {
    created: true,
    checkStillMarked: () => checkMarked(dir, absolute),
    async undo(closeDatabase) {
      await rm(marker, { force: true })
      await closeDatabase()
      for (const entry of await readdir(absolute)) {
        if (isRocksDBFile(entry) || entry === INSTANCE_LOCK) await rm(path.join(absolute, entry), { force: true })
      }
      await removeMadeDirectories()
    },
  }
}

/**
 * Creates the missing directories of `absolute` one by one (never recursively, so each one known
 * to be this open's), outermost first, and returns them; undefined when `absolute` itself was
 * created by someone else meanwhile.
 */
async function makeMissingDirectories(absolute: string): Promise<string[] | undefined> {
  const missing: string[] = []
  for (let at = absolute; !(await isPresent(at)); at = path.dirname(at)) missing.unshift(at)
  const made: string[] = []
  for (const directory of missing) {
    try {
      await mkdir(directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (directory === absolute) return undefined
      continue
    }
    await fsyncDirectory(path.dirname(directory))
    made.push(directory)
  }
  return made
}

/** rmdir: removes `directory` only when it is empty; false when it is not (or already gone). */
async function removeIfEmpty(directory: string): Promise<boolean> {
  try {
    await rmdir(directory)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false
    throw error
  }
}

async function checkMarked(dir: string, absolute: string): Promise<void> {
  if ((await readMarker(absolute)) !== MARKER_CONTENT) {
    throw new LockedError(`'${dir}': another open of this directory failed and is removing the instance it created; open again once it is done`)
  }
}

function claimedByAnother(dir: string): LockedError {
  return new LockedError(
    `'${dir}': another open is claiming this directory (${CLAIM} present); if no other open is running, ` +
      `one crashed while claiming it: remove ${CLAIM} and open again`,
  )
}

/** The names in `dir`; undefined when there is nothing at `dir`. NotAnInstanceError when it is not a directory. */
async function existingEntries(dir: string): Promise<string[] | undefined> {
  if (!(await isPresent(dir))) return undefined
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new NotAnInstanceError(`'${dir}' exists and is not a directory (or is a symbolic link to nothing): nothing was changed`)
  }
  return (await readdir(dir)).sort()
}

/** Whether there is anything at `at`, a symbolic link to nothing included. */
async function isPresent(at: string): Promise<boolean> {
  try {
    await lstat(at)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

async function readMarker(dir: string): Promise<string> {
  try {
    return await readFile(path.join(dir, INSTANCE_MARKER), 'utf8')
  } catch {
    return ''
  }
}

/**
 * What is wrong with a database whose files were being replaced (a restore killed meanwhile), given
 * the error its open failed with, else `undefined`: its CURRENT names a MANIFEST that is missing, or
 * there was no CURRENT beside RocksDB's other files. RocksDB 7.8 then creates a new database over
 * them; 9.x refuses "While creating a new Db" (having already written a new CURRENT, so only its
 * message tells).
 */
export async function interruptedDatabase(instancePath: string, openError: unknown): Promise<string | undefined> {
  if (openError instanceof Error && openError.message.includes('While creating a new Db')) {
    return `it had no CURRENT beside files of an earlier database (${openError.message})`
  }
  const current = await readFile(path.join(instancePath, CURRENT), 'utf8').catch(() => undefined)
  const manifest = current?.trim()
  if (manifest === undefined || !/^MANIFEST-\d+$/.test(manifest)) return undefined
  const present = (await stat(path.join(instancePath, manifest)).catch(() => undefined)) !== undefined
  return present ? undefined : `its CURRENT names ${manifest}, which is missing`
}

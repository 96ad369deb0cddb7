import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { binding, type NativeFileLock } from '../native/binding'

/**
 * The file of the instance lock, in the instance directory itself: the library never writes
 * beside the directory, and an open takes the lock right after claiming the directory (which for
 * an existing instance only reads it, and for a new or empty one is exclusive by itself). The file
 * stays for the instance's life: removing a lock file others may have opened would let two opens
 * lock two different files of one name. Only a failed open that created the directory removes it,
 * holding the lock and after dropping the marker, which every open checks once it holds the lock.
 */
export const INSTANCE_LOCK = 'KEYED_STATE_LOCK'

/**
 * Locks the instance directory `dir` (which must exist): an OS lock (RocksDB's Env::LockFile,
 * fcntl), so a process or worker that dies holding it releases it. LockedError when another
 * backend holds it, in this process (any thread) or another. The path is resolved through
 * symbolic links first: within one process the lock tells holders apart by path only.
 */
export async function lockInstance(dir: string): Promise<NativeFileLock> {
  return new binding.FileLock(path.join(await realpath(dir), INSTANCE_LOCK))
}

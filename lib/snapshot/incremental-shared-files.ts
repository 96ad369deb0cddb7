import { stat } from 'node:fs/promises'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { digestOfFile } from '../storage/file-digest'
import type { FileRef } from '../storage/file-ref'
import { sharedFileKey } from '../storage/layout'
import { mapWithConcurrency } from '../storage/pool'

/** Shared files `plan` decides on at once. */
const PLAN_CONCURRENCY = 8

/** A shared SST file of a local checkpoint: referenced (`ref`) or to be uploaded to `key`. */
export type SharedFilePlan = { name: string; localPath: string } & ({ ref: FileRef; key?: never } | { key: string; ref?: never })

/** What a snapshot that will not complete wrote into one storage. */
export interface WrittenKeys {
  storage: CheckpointStorage
  keys: readonly string[]
}

/**
 * Which key each shared SST file of one backend has, and which keys its snapshots still need
 * (Flink's SharedStateRegistry, kept by the backend).
 *
 * One key per file: an SST file of the last completed checkpoint (the base) keeps the key it has
 * there; any other one gets the stable key `shared/<backendId>/<number>-<size>.sst`. SST files are
 * immutable, never reuse a number within a database, and stay live from their creation until a
 * compaction drops them. So every checkpoint of this backend holding a file holds it under the same
 * key, and a file live both at the base and now was live at every checkpoint taken in between:
 * the newest completed one, which retention always keeps, references that key too. That is what
 * makes the base safe to diff against when notifications come late or never (a lost
 * `notifyCheckpointComplete` leaves an older base, never a key retention already deleted). Fresh
 * keys per upload would not be: a later checkpoint holding its own copy lets retention delete the
 * base's. Two bases have no such checkpoint, so `plan` checks their keys are still stored and
 * uploads again the files whose keys are not: a restored checkpoint's files (until a checkpoint of
 * this backend completes, whoever owns the restored one, another job or this one's retention, may
 * delete them) and a base once this backend took a full snapshot (its checkpoint may complete,
 * referencing no shared file, and push the base's out of retention, its notification lost or not).
 *
 * Overlapping snapshots share keys, so a snapshot whose file another unfinished one already
 * uploaded (same key, size and SHA-256, still present) references it instead of uploading it again.
 * Sharing is why deletion is guarded: a snapshot that will not complete deletes only the keys that
 * neither the base nor another running or finished snapshot uses (and the storage keeps those a
 * complete job checkpoint references). Planning and deleting run one at a time, so no snapshot
 * picks a key while it is being deleted.
 */
export class IncrementalSharedFiles {
  /** `restored`: the files of the checkpoint this backend was restored from, which no checkpoint of its own references yet. */
  private base: { checkpointId: number; files: ReadonlyMap<string, FileRef>; restored: boolean } = { checkpointId: -1, files: new Map(), restored: false }
  /** The newest checkpoint this backend took a full snapshot of; -1 when none. */
  private newestFullSnapshot = -1
  /** Snapshots neither completed nor discarded: the keys each uses and, once finished, its shared files by name. */
  private readonly snapshots = new Map<number, { keys: Set<string>; files?: ReadonlyMap<string, FileRef> }>()
  private serial: Promise<unknown> = Promise.resolve()

  constructor(private readonly backendId: string) {}

  /** The checkpoint the next snapshot diffs against; -1 when none. */
  get baseCheckpointId(): number {
    return this.base.checkpointId
  }

  /** A restored checkpoint's shared files become the base (their keys are kept, while still stored). */
  adopt(checkpointId: number, files: Readonly<Record<string, FileRef>>): void {
    this.base = { checkpointId, files: new Map(Object.entries(files)), restored: true }
  }

  /** Decides, for each shared file of snapshot `checkpointId`, whether it is referenced or uploaded, and records its keys as in use. */
  plan(checkpointId: number, files: readonly { name: string; localPath: string }[], storage: CheckpointStorage): Promise<SharedFilePlan[]> {
    return this.oneAtATime(async () => {
      const keys = new Set<string>()
      this.snapshots.set(checkpointId, { keys })
      // Whether the newest completed checkpoint may not reference the base's keys, so they may be gone.
      const unguarded = this.base.restored || this.newestFullSnapshot > this.base.checkpointId
      // Files at once: checking keys in a remote storage is a request each.
      return mapWithConcurrency(files, PLAN_CONCURRENCY, async ({ name, localPath }): Promise<SharedFilePlan> => {
        const size = (await stat(localPath)).size
        const inBase = this.base.files.get(name)
        if (inBase !== undefined && inBase.size === size && (!unguarded || (await storage.stat(inBase.key))?.size === size)) {
          keys.add(inBase.key)
          return { name, localPath, ref: inBase }
        }
        const key = sharedFileKey(this.backendId, `${name.slice(0, -'.sst'.length)}-${size}.sst`)
        keys.add(key)
        const uploaded = this.finishedRef(key)
        const present = uploaded !== undefined && (await storage.stat(key))?.size === size && (await digestOfFile(localPath)).sha256 === uploaded.sha256
        return present ? { name, localPath, ref: uploaded } : { name, localPath, key }
      })
    })
  }

  /** Snapshot `checkpointId` finished with these shared files (ignored once it completed or was discarded). */
  finished(checkpointId: number, files: Readonly<Record<string, FileRef>>): void {
    const snapshot = this.snapshots.get(checkpointId)
    if (snapshot !== undefined) snapshot.files = new Map(Object.entries(files))
  }

  /** The backend took a full snapshot of checkpoint `checkpointId`: the base's keys are checked until a newer incremental one completes. */
  fullSnapshotTaken(checkpointId: number): void {
    this.newestFullSnapshot = Math.max(this.newestFullSnapshot, checkpointId)
  }

  /** Checkpoint `checkpointId` completed: its files become the base; snapshots up to it can no longer complete. */
  completed(checkpointId: number): void {
    const files = this.snapshots.get(checkpointId)?.files
    if (files !== undefined && checkpointId > this.base.checkpointId) this.base = { checkpointId, files, restored: false }
    for (const id of this.snapshots.keys()) if (id <= checkpointId) this.snapshots.delete(id)
  }

  /**
   * Snapshot `checkpointId` will not complete: forgets its keys, then deletes those of `written`
   * that the base and the other snapshots do not use (and no complete job checkpoint references).
   */
  discard(checkpointId: number, written: readonly WrittenKeys[]): Promise<void> {
    return this.oneAtATime(async () => {
      this.snapshots.delete(checkpointId)
      const inUse = new Set([...this.base.files.values()].map((ref) => ref.key))
      for (const { keys } of this.snapshots.values()) for (const key of keys) inUse.add(key)
      for (const { storage, keys } of written) await storage.deleteUnreferencedFiles(keys.filter((key) => !inUse.has(key)))
    })
  }

  /** The reference a finished snapshot recorded for `key`. */
  private finishedRef(key: string): FileRef | undefined {
    for (const { files } of this.snapshots.values()) {
      for (const ref of files?.values() ?? []) if (ref.key === key) return ref
    }
    return undefined
  }

  private oneAtATime<T>(task: () => Promise<T>): Promise<T> {
    const result = this.serial.then(task)
    this.serial = result.catch(() => undefined)
    return result
  }
}

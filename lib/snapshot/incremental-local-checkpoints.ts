import { mkdirSync, rmSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { RocksDB } from '../native/rocksdb'

/** The local checkpoints' directory inside the instance directory (RocksDB ignores subdirectories). */
export const LOCAL_CHECKPOINTS_DIRECTORY = 'keyed-state-checkpoints'
/** The metadata file's name in storage and, once uploaded, in the local checkpoint (for local recovery). */
export const METADATA_FILE_NAME = 'keyed-state-metadata.json'

const CHECKPOINT_DIRECTORY = /^chk-(0|[1-9][0-9]*)$/

/**
 * The RocksDB checkpoints (hard links of the live SST files plus copies of the small files) that
 * incremental snapshots take, one directory `chk-<id>` each. A checkpoint's directory stays after
 * its upload: the newest completed one is what local recovery restores from without fetching.
 */
export class LocalCheckpoints {
  readonly root: string

  constructor(instanceDirectory: string) {
    this.root = path.join(instanceDirectory, LOCAL_CHECKPOINTS_DIRECTORY)
  }

  directory(checkpointId: number): string {
    return path.join(this.root, `chk-${checkpointId}`)
  }

  /** Takes checkpoint `checkpointId` now, replacing a directory an earlier attempt left. */
  takeSync(db: RocksDB, checkpointId: number): string {
    const directory = this.directory(checkpointId)
    rmSync(directory, { recursive: true, force: true })
    mkdirSync(this.root, { recursive: true })
    db.checkpointSync(directory)
    return directory
  }

  async remove(checkpointId: number): Promise<void> {
    await rm(this.directory(checkpointId), { recursive: true, force: true })
  }

  /** Removes every checkpoint directory for which `drop(id)` holds. */
  async removeWhere(drop: (checkpointId: number) => boolean): Promise<void> {
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const match = CHECKPOINT_DIRECTORY.exec(name)
      if (match === null || drop(Number(match[1]))) await rm(path.join(this.root, name), { recursive: true, force: true })
    }
  }
}

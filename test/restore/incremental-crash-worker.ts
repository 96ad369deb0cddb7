// A worker that takes incremental checkpoints and is killed (SIGKILL, by itself) at one point of
// checkpoint 2: during an upload, between the upload and the job manifest, or while completing
// checkpoint 2 discards checkpoint 1's files. Checkpoint 1 completed before; the test restores.
// With 'collect-garbage' it only runs collectGarbage on the storage and is killed after its first deletion.
import { FsCheckpointStorage, Serializers as S, type FileRef, type TransferOptions } from '../../lib'
import { openIncrementalBackend } from './incremental-backend'

const [root, instance, point] = process.argv.slice(2) as [string, string, 'upload' | 'before-manifest' | 'discard' | 'collect-garbage']

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}

class DyingStorage extends FsCheckpointStorage {
  armed = false
  private uploads = 0

  override uploadFile(localPath: string, key: string, options: TransferOptions = {}): Promise<FileRef> {
    // The second upload dies once its first bytes are written to the temporary file.
    if (this.armed && point === 'upload' && ++this.uploads === 2) return super.uploadFile(localPath, key, { ...options, onProgress: die })
    return super.uploadFile(localPath, key, options)
  }

  override async deleteFile(key: string): Promise<void> {
    await super.deleteFile(key)
    if (this.armed && (point === 'discard' || point === 'collect-garbage') && !key.startsWith('jobs/')) die()
  }
}

async function main(): Promise<void> {
  const storage = new DyingStorage(root, { retain: 1, concurrency: 1 })
  if (point === 'collect-garbage') {
    storage.armed = true
    await storage.collectGarbage({ olderThanMs: 0, unreferencedOlderThanMs: 0 })
    throw new Error('collectGarbage deleted nothing')
  }
  const backend = await openIncrementalBackend(instance, storage)
  const state = backend.valueState('v', S.int32)
  const write = (round: number) => {
    for (let i = 0; i < 2000; i++) {
      backend.setCurrentKey(`k${i}`)
      state.update(round * 10_000 + i)
    }
  }
  write(1)
  const first = await backend.snapshot(1)
  await storage.completeCheckpoint('job', 1, [first])
  await backend.notifyCheckpointComplete(1)
  write(2)
  // New files only in checkpoint 2, and checkpoint 1's files dropped from it.
  await backend.db.compactRange(backend.db.columnFamily('v'))
  storage.armed = true
  const second = await backend.snapshot(2)
  if (point === 'before-manifest') die()
  await storage.completeCheckpoint('job', 2, [second])
  throw new Error(`the worker was not killed at '${point}'`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

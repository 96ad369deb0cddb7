import { FsCheckpointStorage } from '../../lib'
import type { DownloadOptions, FileRef, TransferOptions } from '../../lib'

/**
 * A real FsCheckpointStorage that counts what goes in and out: the bytes of every checkpoint file
 * uploaded (job manifests aside), and every read of a stored file.
 */
export class CountingStorage extends FsCheckpointStorage {
  uploadedBytes = 0
  uploadedKeys: string[] = []
  reads = 0

  reset(): void {
    this.uploadedBytes = 0
    this.uploadedKeys = []
    this.reads = 0
  }

  override async uploadFile(localPath: string, key: string, options?: TransferOptions): Promise<FileRef> {
    return this.count(await super.uploadFile(localPath, key, options))
  }

  override async writeFile(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, options?: TransferOptions): Promise<FileRef> {
    return this.count(await super.writeFile(key, data, options))
  }

  override downloadFile(ref: FileRef, localPath: string, options?: DownloadOptions): Promise<void> {
    this.reads++
    return super.downloadFile(ref, localPath, options)
  }

  override readFile(ref: FileRef, options?: TransferOptions): Promise<Buffer> {
    this.reads++
    return super.readFile(ref, options)
  }

  override localPath(ref: FileRef, options?: TransferOptions): Promise<string> {
    this.reads++
    return super.localPath(ref, options)
  }

  private count(ref: FileRef): FileRef {
    if (ref.key.startsWith('jobs/')) return ref
    this.uploadedBytes += ref.size
    this.uploadedKeys.push(ref.key)
    return ref
  }
}

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { FsCheckpointStorage } from '../../lib/storage/fs-checkpoint-storage'
import { useTempDirs } from '../helpers/temp-dir'
import { describeStorageContract } from './contract'
import { filesUnder } from './helpers'

const tempDir = useTempDirs()

describeStorageContract('FsCheckpointStorage', async () => {
  const root = tempDir('checkpoints')
  return {
    storage: ({ under = '', ...options } = {}) => new FsCheckpointStorage(path.join(root, under), options),
    readStored: async (key) => readFileSync(path.join(root, key)),
    writeStored: async (key, bytes) => {
      const file = path.join(root, key)
      mkdirSync(path.dirname(file), { recursive: true })
      if (existsSync(file)) chmodSync(file, 0o644) // stored files are read-only
      writeFileSync(file, bytes)
    },
    deleteStored: async (key) => rmSync(path.join(root, key)),
    listStored: async () => (existsSync(root) ? filesUnder(root) : []),
  }
})

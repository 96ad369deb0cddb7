// Restores the latest checkpoint of job 'job' into an instance directory and kills itself (SIGKILL)
// right after the n-th file the same-range install renames into that directory. Prints 'installed'
// when the install has fewer renames than n.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { FsCheckpointStorage } from '../../lib'
import { openIncrementalBackend } from './incremental-backend'

const [root, instance, n] = process.argv.slice(2) as [string, string, string]

async function main(): Promise<void> {
  const rename = fsp.rename
  let renamed = 0
  fsp.rename = async (from, to) => {
    await rename(from, to)
    if (path.dirname(path.resolve(String(to))) === path.resolve(instance) && ++renamed === Number(n)) process.kill(process.pid, 'SIGKILL')
  }
  const storage = new FsCheckpointStorage(root)
  const backend = await openIncrementalBackend(instance, storage, (await storage.latestCheckpoint('job'))!.handles)
  await backend.close()
  console.log('installed')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

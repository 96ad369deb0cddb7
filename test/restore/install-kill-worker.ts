// Restores the latest checkpoint of job 'job' into an instance directory and kills itself (SIGKILL)
// right after the n-th file the same-range install renames into that directory. Prints 'installed'
// when the install has fewer renames than n.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, Serializers as S } from '../../lib'

const [root, instance, n] = process.argv.slice(2) as [string, string, string]

async function main(): Promise<void> {
  const rename = fsp.rename
  let renamed = 0
  fsp.rename = async (from, to) => {
    await rename(from, to)
    if (path.dirname(path.resolve(String(to))) === path.resolve(instance) && ++renamed === Number(n)) process.kill(process.pid, 'SIGKILL')
  }
  const storage = new FsCheckpointStorage(root)
  const backend = await KeyedStateBackend.open({
    path: instance,
    keySerializer: S.string,
    maxParallelism: 128,
    keyGroupRange: new KeyGroupRange(0, 127),
    storage,
    restoreFrom: (await storage.latestCheckpoint('job'))!.handles,
    incremental: true,
  })
  await backend.close()
  console.log('installed')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

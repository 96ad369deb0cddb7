import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, Serializers as S } from '../../lib'
import { collectFileRefs } from '../../lib/storage/file-ref'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'
import { filesUnder } from '../storage/helpers'

const tempDir = useTempDirs()
const worker = path.join(__dirname, 'incremental-crash-worker.ts')

async function restoredValues(storage: FsCheckpointStorage, handles: unknown[]): Promise<number[]> {
  const backend = await KeyedStateBackend.open({
    path: tempDir('restored'),
    keySerializer: S.string,
    maxParallelism: 128,
    keyGroupRange: new KeyGroupRange(0, 127),
    storage,
    restoreFrom: handles,
    incremental: true,
  })
  try {
    const state = backend.valueState('v', S.int32)
    return Array.from({ length: 2000 }, (_, i) => {
      backend.setCurrentKey(`k${i}`)
      return state.value()!
    })
  } finally {
    await backend.close()
  }
}

/** What the storage holds besides job manifests: referenced files and anything a crash left. */
function checkpointFiles(root: string): string[] {
  return filesUnder(root).filter((file) => !file.startsWith('jobs/'))
}

describe('SIGKILL during an incremental checkpoint', () => {
  const points = [
    { point: 'upload', when: 'during an upload', latestId: 1, left: (file: string) => path.basename(file).startsWith('.tmp-') },
    { point: 'before-manifest', when: 'between the upload and the manifest', latestId: 1, left: (file: string) => file.startsWith('chk-2/') },
    { point: 'discard', when: 'while completing checkpoint 2 discards checkpoint 1', latestId: 2, left: (file: string) => file === 'jobs/job/discard-1.json' },
    { point: 'collect-garbage', when: 'during collectGarbage of what a crash between upload and manifest left', latestId: 1, left: (file: string) => file.startsWith('chk-2/') },
  ] as const
  for (const { point, when, latestId, left } of points) {
    it(`killed ${when}: checkpoint ${latestId} restores, and a later collectGarbage collects the leftovers`, async () => {
      const root = tempDir('checkpoints')
      const instance = tempDir('instance')
      if (point === 'collect-garbage') expect(runScript(worker, [root, instance, 'before-manifest']).signal).toBe('SIGKILL')
      const result = runScript(worker, [root, instance, point])
      expect(result.signal, result.stderr).toBe('SIGKILL')
      expect(readdirSync(root)).toContain('shared')
      expect(filesUnder(root).some(left)).toBe(true)

      const storage = new FsCheckpointStorage(root, { retain: 1 })
      const latest = (await storage.latestCheckpoint('job'))!
      expect(latest.checkpointId).toBe(latestId)
      const referenced = collectFileRefs(latest.handles).map((ref) => ref.key)
      // No file the latest checkpoint references was deleted, and it restores exactly.
      for (const key of referenced) expect(await storage.stat(key), key).toBeDefined()
      expect(await restoredValues(storage, latest.handles)).toEqual(Array.from({ length: 2000 }, (_, i) => latestId * 10_000 + i))
      // The crash left files no checkpoint references (a temporary file, uploads, a discard record).
      expect(filesUnder(root).length).toBeGreaterThan(referenced.length + 1)

      await storage.collectGarbage({ olderThanMs: 0, unreferencedOlderThanMs: 0 })
      expect(checkpointFiles(root)).toEqual([...referenced].sort())
      expect(filesUnder(root).filter((file) => file.startsWith('jobs/'))).toEqual([`jobs/job/chk-${latestId}.json`])
      expect(await restoredValues(storage, (await storage.latestCheckpoint('job'))!.handles)).toHaveLength(2000)
    })
  }
})

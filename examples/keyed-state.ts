/**
 * End to end on the keyed-state backend: per-user counters, page lists and session timers
 * with TTL, a checkpoint while the service keeps writing, and a restore of that checkpoint
 * onto two workers (rescaling from one). Run: npx tsx examples/keyed-state.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, Serializers as S } from '../lib'

const MAX_PARALLELISM = 128

async function main() {
  const workDir = mkdtempSync(path.join(tmpdir(), 'rocksdb-keyed-state-example-'))
  try {
    const storage = new FsCheckpointStorage(path.join(workDir, 'checkpoints'))
    const worker = await KeyedStateBackend.open({
      path: path.join(workDir, 'worker-0'),
      keySerializer: S.string,
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange: KeyGroupRange.forOperator(MAX_PARALLELISM, 1, 0), // one worker holds every key group
    })
    const clicks = worker.valueState('clicks', S.int64, { ttl: { seconds: 3600 } })
    const pages = worker.listState('pages', S.string, { ttl: { seconds: 1800 } })
    const sessionEnds = worker.timerService<string>({
      name: 'sessions',
      namespaceSerializer: S.string,
      queue: 'rocksdb',
      onTimer: (timer) => console.log(`  session of ${timer.key} ends at t=${timer.timestamp}: ${pages.get().join(' → ')}`),
    })

    const events: [string, string, number][] = [
      ['alice', '/home', 10],
      ['bob', '/pricing', 12],
      ['alice', '/docs', 15],
      ['carol', '/home', 20],
      ['alice', '/pricing', 31],
      ['bob', '/signup', 33],
    ]
    for (const [user, page, time] of events) {
      worker.setCurrentKey(user)
      clicks.update((clicks.value() ?? 0n) + 1n) // synchronous hot path
      pages.add(page) // RocksDB merge: no read
      sessionEnds.registerEventTimeTimer('session', time + 30)
    }

    const checkpoint = worker.snapshot(1, storage) // RocksDB snapshot taken now
    worker.setCurrentKey('dave') // the service keeps writing meanwhile
    clicks.update(1n)
    const handle = await checkpoint
    await storage.completeCheckpoint('example-job', 1, [handle])
    if (handle.kind === 'full') console.log(`checkpoint 1: ${handle.stream.size} bytes in ${handle.stream.key}`)
    await worker.close()

    // Restart with two workers: each restores only its own key groups from the same checkpoint.
    const latest = await storage.latestCheckpoint('example-job')
    for (let index = 0; index < 2; index++) {
      const restored = await KeyedStateBackend.open({
        path: path.join(workDir, `rescaled-${index}`),
        keySerializer: S.string,
        maxParallelism: MAX_PARALLELISM,
        keyGroupRange: KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index),
        restoreFrom: latest!.handles,
        storage,
      })
      const restoredClicks = restored.valueState('clicks', S.int64, { ttl: { seconds: 3600 } })
      const restoredPages = restored.listState('pages', S.string, { ttl: { seconds: 1800 } })
      console.log(`worker ${index} of 2 (key groups ${restored.keyGroupRange.start}-${restored.keyGroupRange.end}):`)
      for (const user of restored.getKeys('clicks')) {
        restored.setCurrentKey(user)
        console.log(`  ${user}: ${restoredClicks.value()} clicks, pages ${restoredPages.get().join(', ')}`)
      }
      const timers = restored.timerService<string>({
        name: 'sessions',
        namespaceSerializer: S.string,
        queue: 'heap',
        onTimer: (timer) => console.log(`  session of ${timer.key} ends at t=${timer.timestamp}: ${restoredPages.get().join(' → ')}`),
      })
      timers.advanceWatermark(100)
      await restored.close()
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

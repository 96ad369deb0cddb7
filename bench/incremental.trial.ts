/**
 * One incremental-checkpoint trial in its own process (started by bench/incremental.bench.ts):
 *
 *   node --expose-gc --import tsx bench/incremental.trial.ts <stateMB> <rounds> <dir>
 *
 * Loads a value state of about <stateMB> MB of SST files (16-character string keys, 100-byte
 * random values, raw WriteBatches; flushed and compacted, untimed) into a backend opened with
 * `incremental: true` on an FsCheckpointStorage in <dir>, and completes a first checkpoint (timed,
 * it uploads everything). Then, each timed from `snapshot()` to its handle, the synchronous part
 * (until `snapshot()` returns) recorded apart, each checkpoint completed and notified:
 *   - unchanged:   <rounds> checkpoints with nothing written since the last one
 *   - 1% changed:  max(<rounds>, 5) checkpoints, each after overwriting 1% of the keys (a different
 *                  1%): from the fourth flushed file on, RocksDB compacts level 0 into level 1
 *   - full:        one full snapshot (`type: 'full'`) of the same state, for comparison
 * Uploaded bytes come from the handles: the shared files whose keys the previous checkpoint did
 * not have, plus the private files and the metadata (what the storage was given to write). New
 * SST files are split by the level `liveFiles()` reports at the checkpoint: level 0 = flushed
 * from the memtable (the changed entries), deeper = written by compaction.
 * Prints one JSON line.
 */
import path from 'node:path'
import { FsCheckpointStorage, KeyedStateBackend, KeyGroupRange, Serializers as S, type IncrementalKeyedStateHandle, type KeyedStateHandle } from '../lib/index'
import { generate } from './data'
import { describeOurs } from './drivers/ours'
import { gc, rssMB, trialMain } from './harness'
import { compositeKey, encodedValue, MAX_PARALLELISM, stringKeys } from './keyed-data'

/** SST bytes per entry, roughly: 18-byte key + 8-byte internal key trailer, 101-byte value + 4-byte TTL stamp, index and filter. */
const SST_BYTES_PER_ENTRY = 135
const CHUNK = 250_000
const CHANGED_PERCENT = 1

export interface CheckpointMeasure {
  what: 'first' | 'unchanged' | 'changed' | 'full'
  seconds: number
  syncSeconds: number
  /** SST bytes uploaded (new shared files); for 'full', the stream's size. */
  uploadedSstBytes: number
  /** Everything written to the storage: new SST files, private files, metadata (or the stream). */
  uploadedBytes: number
  /** Of the new SST files: bytes flushed from the memtable (level 0) and written by compaction (deeper levels). */
  flushedBytes?: number
  compactedBytes?: number
  newSstFiles?: number
  sstFiles?: number
  /** 'changed': raw key + value bytes overwritten before this checkpoint. */
  changedBytes?: number
}

export interface IncrementalTrialResult {
  stateMB: number
  entries: number
  /** SST bytes of the loaded state, as `liveFiles()` reports after compaction. */
  sstBytes: number
  sstFiles: number
  measured: CheckpointMeasure[]
  describe: string
  loadSeconds: number
  maxRssMB: number
}

async function main(): Promise<IncrementalTrialResult> {
  const [stateMB, rounds, dir] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!]
  const entries = Math.round((stateMB * 2 ** 20) / SST_BYTES_PER_ENTRY)
  const storage = new FsCheckpointStorage(path.join(dir, 'checkpoints'), { retain: 1 })
  const backend = await KeyedStateBackend.open({
    path: path.join(dir, 'instance'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1),
    storage,
    incremental: true,
  })
  backend.valueState('value', S.bytes)
  const cf = backend.db.columnFamily('value')
  let maxRss = 0
  const loadStarted = process.hrtime.bigint()
  // Chunk c holds keys of seed c; `pick` chooses which of them a pass writes.
  const writePass = (valueSeed: number, pick: (i: number) => boolean): number => {
    let written = 0
    const batch = backend.db.batch()
    for (let start = 0, c = 0; start < entries; start += CHUNK, c++) {
      const count = Math.min(CHUNK, entries - start)
      const names = stringKeys(count, 0x1c0000 + c)
      const { values } = generate(count, valueSeed * 1000 + c)
      for (let i = 0; i < count; i++) {
        if (!pick(start + i)) continue
        const key = compositeKey(names[i]!)
        const value = encodedValue(values[i]!)
        batch.put(cf, key, value)
        written += key.length + value.length
        if (batch.count >= 1000) {
          backend.db.write(batch)
          batch.clear()
        }
      }
      maxRss = Math.max(maxRss, rssMB())
    }
    backend.db.write(batch)
    batch.close()
    return written
  }
  writePass(1, () => true)
  await backend.db.flush(cf)
  await backend.db.compactRange(cf)
  const loadSeconds = Number(process.hrtime.bigint() - loadStarted) / 1e9
  const live = backend.db.liveFiles()
  const sstBytes = live.reduce((sum, file) => sum + file.size, 0)

  const measured: CheckpointMeasure[] = []
  let previous: IncrementalKeyedStateHandle | undefined
  let id = 0
  const checkpoint = async (what: CheckpointMeasure['what'], changedBytes?: number): Promise<void> => {
    gc()
    id++
    const started = process.hrtime.bigint()
    const pending = backend.snapshot(id)
    const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9
    const levels = new Map(backend.db.liveFiles().map((file) => [file.name.replace(/^\//, ''), file.level]))
    const handle = (await pending) as IncrementalKeyedStateHandle
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const before = new Set(Object.values(previous?.sharedFiles ?? {}).map((ref) => ref.key))
    const fresh = Object.entries(handle.sharedFiles).filter(([, ref]) => !before.has(ref.key))
    const bytesAt = (test: (level: number | undefined) => boolean) => fresh.filter(([name]) => test(levels.get(name))).reduce((sum, [, ref]) => sum + ref.size, 0)
    const uploadedSstBytes = bytesAt(() => true)
    const privateBytes = Object.values(handle.privateFiles).reduce((sum, ref) => sum + ref.size, 0) + handle.metadata.size
    measured.push({
      what,
      seconds,
      syncSeconds,
      uploadedSstBytes,
      uploadedBytes: uploadedSstBytes + privateBytes,
      flushedBytes: bytesAt((level) => level === 0),
      compactedBytes: bytesAt((level) => level !== 0),
      newSstFiles: fresh.length,
      sstFiles: Object.keys(handle.sharedFiles).length,
      changedBytes,
    })
    await storage.completeCheckpoint('bench', id, [handle])
    await backend.notifyCheckpointComplete(id)
    previous = handle
    process.stderr.write(`    ${what}: ${seconds.toFixed(3)} s, ${(uploadedSstBytes / 2 ** 20).toFixed(1)} MB SST uploaded\n`)
  }
  await checkpoint('first')
  for (let round = 0; round < rounds; round++) await checkpoint('unchanged')
  for (let round = 0; round < Math.max(rounds, 5); round++) {
    // A different 1% of the keys each round, new values.
    const changed = writePass(2 + round, (i) => i % (100 / CHANGED_PERCENT) === round)
    await checkpoint('changed', changed)
  }
  gc()
  const started = process.hrtime.bigint()
  const pending = backend.snapshot(++id, { type: 'full' })
  const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const full = (await pending) as KeyedStateHandle & { kind: 'full' }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  measured.push({ what: 'full', seconds, syncSeconds, uploadedSstBytes: full.stream.size, uploadedBytes: full.stream.size })
  process.stderr.write(`    full: ${seconds.toFixed(3)} s, ${(full.stream.size / 2 ** 20).toFixed(1)} MB stream\n`)
  await backend.close()
  return { stateMB, entries, sstBytes, sstFiles: live.length, measured, describe: describeOurs(), loadSeconds, maxRssMB: Math.max(maxRss, rssMB()) }
}

trialMain(main)

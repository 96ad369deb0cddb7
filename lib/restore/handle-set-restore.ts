import { KeyGroupRange } from '../keygroups/key-group-range'
import type { FullKeyedStateHandle, IncrementalKeyedStateHandle, KeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import type { FileRef } from '../storage/file-ref'
import { runConcurrently } from '../storage/pool'
import { checkStatesAgree, restoreFullKeyGroups, verifyFullSnapshots, type RestoreProgress, type RestoreTarget, type VerifiedSnapshots } from './full-restore'
import { bringInKeyGroups, openCheckpoints, type OpenedCheckpoints, type RescaleOptions, type RescaleStrategy } from './incremental-rescale-restore'
import { stageIncrementalRestore, type IncrementalInstance, type StagedIncrementalRestore } from './incremental-restore'
import { chooseBaseHandle, clipToKeyGroupRange, type ClippedRange } from './rescale-base'

/** The incremental checkpoint a restore installs as the instance's database. */
export interface InstalledBase {
  handle: IncrementalKeyedStateHandle
  staged: StagedIncrementalRestore
  /** True for a handle of exactly the target's range (nothing to clip); false for a rescaling base. */
  sameRange: boolean
}

/**
 * Every handle of a restore, fetched and verified, nothing of the instance changed yet: the base
 * to install (if any), the other incremental checkpoints opened read-only, the full streams opened.
 */
export interface VerifiedHandleSet {
  base?: InstalledBase
  incremental: OpenedCheckpoints
  full: VerifiedSnapshots
  /** Closes what was opened and removes what was fetched (a staged base stays in the instance's scratch space, the caller's to remove). Idempotent. */
  close(): Promise<void>
}

/** How a restore of a handle set is made (the backend's options). */
export interface HandleSetOptions extends RescaleOptions {
  strategy: RescaleStrategy
  /** `chooseBaseHandle`'s threshold. */
  overlapThreshold: number
}

/**
 * The incremental handle a restore of `range` installs as its database: the one handle of exactly
 * the range, or (strategy 'ingest') the rescaling base `chooseBaseHandle` picks; undefined when
 * every handle is brought in entry by entry.
 */
export function chooseInstalledHandle(
  handles: readonly KeyedStateHandle[],
  range: KeyGroupRange,
  options: Pick<HandleSetOptions, 'strategy' | 'overlapThreshold'>,
): { handle: IncrementalKeyedStateHandle; sameRange: boolean } | undefined {
  const [only] = handles
  if (handles.length === 1 && only!.kind === 'incremental' && only!.keyGroupRange.start === range.start && only!.keyGroupRange.end === range.end) {
    return { handle: only!, sameRange: true }
  }
  if (options.strategy !== 'ingest') return undefined
  const base = chooseBaseHandle(handles, range, options.overlapThreshold)
  return base === undefined ? undefined : { handle: base, sameRange: false }
}

/**
 * A restore's first phase, for any set of full and incremental handles (as `planRestore` selected
 * them): every full stream fetched and checked (SHA-256, header, key-group index), every other
 * incremental checkpoint fetched, checked and opened read-only, the base (`installed`) staged in
 * the instance's scratch space, and the states every snapshot records checked to agree (kind,
 * serializers, TTL on or off). Nothing of the instance's database changes, so a refused restore
 * leaves it as it was. On failure, what was fetched is removed. `instance.localDirectory` is for
 * local recovery: given only with a handle of the instance's own range.
 */
export async function verifyHandleSet(
  instance: IncrementalInstance,
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer' | 'workDirectory'>,
  handles: readonly KeyedStateHandle[],
  installed: { handle: IncrementalKeyedStateHandle; sameRange: boolean } | undefined,
  storage: CheckpointStorage,
  options: Pick<RescaleOptions, 'signal' | 'clock'> = {},
): Promise<VerifiedHandleSet> {
  const others = handles.filter((handle) => handle !== installed?.handle)
  const fullHandles = others.filter((handle): handle is FullKeyedStateHandle => handle.kind === 'full')
  const incrementalHandles = others.filter((handle): handle is IncrementalKeyedStateHandle => handle.kind === 'incremental')
  let full: VerifiedSnapshots | undefined
  let incremental: OpenedCheckpoints | undefined
  let staged: StagedIncrementalRestore | undefined
  const close = async () => {
    await full?.close()
    await incremental?.close()
  }
  try {
    full = await verifyFullSnapshots(target, fullHandles, storage, options)
    // The other checkpoints and the base at once: their files are fetched and hashed together.
    await runConcurrently(
      [
        async (signal) => {
          incremental = await openCheckpoints(target, incrementalHandles, storage, { ...options, signal })
        },
        async (signal) => {
          if (installed !== undefined) staged = await stageIncrementalRestore(instance, target, installed.handle, storage, { ...options, signal })
        },
      ],
      options.signal,
    )
    checkStatesAgree([
      ...(installed === undefined ? [] : [{ name: installed.handle.metadata.key, metadata: staged!.metadata }]),
      ...incremental!.checkpoints.map(({ handle, metadata }) => ({ name: handle.metadata.key, metadata })),
      ...full.snapshots.map(({ handle, metadata }) => ({ name: handle.stream.key, metadata })),
    ])
    options.signal?.throwIfAborted()
    const base = installed === undefined ? undefined : { ...installed, staged: staged! }
    return { base, incremental: incremental!, full, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** What `applyHandleSet` did. */
export interface AppliedHandleSet {
  progress: RestoreProgress
  /**
   * SST files of the database (by their names there) that are, byte for byte, shared files of the
   * restored handles: those of an installed rescaling base that clipping left, and those ingested as
   * they are. The next incremental checkpoint references their keys instead of uploading them.
   */
  restoredSharedFiles: Record<string, FileRef>
  /** The key ranges clipping hid behind range tombstones: `compactClippedRanges` reclaims them. */
  clipped: ClippedRange[]
}

/**
 * A restore's second phase, once `verified` holds every handle and the caller installed its base
 * as the target's database with the base's states registered (or there is none): the target is
 * cleared (no base), then the key groups of the other incremental checkpoints are brought in
 * (before anything is written, so their files can be ingested as they are), then the target is
 * clipped to its range where a rescaling base or a file ingested as it is holds keys outside it
 * (after every ingestion, so its range tombstones cover the ingested files too), then the key
 * groups of the full streams are brought in. States present only in some handles are created;
 * values are raw, so TTL write times and list elements' times are kept. Progress after the base
 * and after each handle, ending at every key group of the range. The caller removes what a failed
 * restore wrote.
 */
export async function applyHandleSet(target: RestoreTarget, verified: VerifiedHandleSet, options: HandleSetOptions): Promise<AppliedHandleSet> {
  const progress: RestoreProgress = { entries: 0, keyGroups: 0 }
  const restoredSharedFiles: Record<string, FileRef> = {}
  let clipped: ClippedRange[] = []
  const { base } = verified
  if (base === undefined) await target.clear()
  else {
    progress.keyGroups += KeyGroupRange.fromJSON(base.handle.keyGroupRange).intersection(target.keyGroupRange).numberOfKeyGroups
    options.onProgress?.(progress)
    Object.assign(restoredSharedFiles, base.handle.sharedFiles)
  }
  const { ingestedAsIs, reachesOutside } = await bringInKeyGroups(target, verified.incremental.checkpoints, options.strategy, progress, options)
  Object.assign(restoredSharedFiles, ingestedAsIs)
  if ((base !== undefined && !base.sameRange) || reachesOutside) {
    clipped = await clipToKeyGroupRange(target.db, target.keyGroupRange, target.maxParallelism, options.signal)
  }
  await restoreFullKeyGroups(target, verified.full.snapshots, progress, options)
  return { progress, restoredSharedFiles, clipped }
}

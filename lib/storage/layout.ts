import { checkKey, keyProblem } from './file-ref'

/*
 * The keys of a checkpoint storage, the same on every implementation:
 *
 *   shared/<backendId>/<file>        files several checkpoints of one backend may reference
 *                                    (incremental checkpoints' SST files, uploaded once)
 *   chk-<id>/<backendId>/<file>      files of checkpoint <id> only: full-snapshot streams,
 *                                    incremental metadata and private files (MANIFEST, CURRENT,
 *                                    OPTIONS), savepoints
 *   jobs/<jobId>/chk-<id>.json       the manifest of a complete job checkpoint, written last
 *   jobs/<jobId>/discard-<id>.json   a discard in progress (the manifest, renamed first)
 *
 * DESIGN's "private" state is exclusive to one checkpoint, so it lives in that checkpoint's
 * directory. Backend ids keep workers' files apart, so several jobs may share one root.
 */

/** Key of a file that several checkpoints of backend `backendId` may share. */
export function sharedFileKey(backendId: string, fileName: string): string {
  return checkKey(`shared/${segment(backendId, 'backend id')}/${segment(fileName, 'file name')}`)
}

/** Key of a file that belongs to checkpoint `checkpointId` alone. */
export function checkpointFileKey(checkpointId: number, backendId: string, fileName: string): string {
  return checkKey(`chk-${checkCheckpointId(checkpointId)}/${segment(backendId, 'backend id')}/${segment(fileName, 'file name')}`)
}

const CHECKPOINT_FILE_KEY = /^(shared|chk-(0|[1-9][0-9]*))\/[^/]+\/[^/]+$/

/**
 * Whether `key` has the shape of `sharedFileKey`'s or `checkpointFileKey`'s keys, at this root's own
 * level: what `collectGarbage` may remove. A deeper key (`shared/team/shared/b/f`) is not ours but
 * another storage's, rooted inside this one.
 */
export function isCheckpointFileKey(key: string): boolean {
  return CHECKPOINT_FILE_KEY.test(key)
}

export type ManifestState = 'complete' | 'discarding'

const MANIFEST_NAME = { complete: 'chk', discarding: 'discard' } as const

/** Key of job `jobId`'s manifest of checkpoint `checkpointId`, complete or being discarded. */
export function manifestKey(jobId: string, checkpointId: number, state: ManifestState): string {
  return checkKey(`jobs/${checkJobId(jobId)}/${MANIFEST_NAME[state]}-${checkCheckpointId(checkpointId)}.json`)
}

/** Reads a key that `manifestKey` made; `undefined` for any other key. */
export function parseManifestKey(key: string): { jobId: string; checkpointId: number; state: ManifestState } | undefined {
  const match = /^jobs\/([^/]+)\/(chk|discard)-(0|[1-9][0-9]*)\.json$/.exec(key)
  if (match === null) return undefined
  const checkpointId = Number(match[3])
  if (!Number.isSafeInteger(checkpointId)) return undefined
  return { jobId: match[1], checkpointId, state: match[2] === 'chk' ? 'complete' : 'discarding' }
}

export function checkJobId(jobId: string): string {
  return segment(jobId, 'job id')
}

export function checkCheckpointId(checkpointId: number): number {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new RangeError(`a checkpoint id must be a non-negative integer, got ${checkpointId}`)
  }
  return checkpointId
}

function segment(value: string, what: string): string {
  const problem = typeof value === 'string' && value.includes('/') ? "it must not contain '/'" : keyProblem(value)
  if (problem !== undefined) throw new RangeError(`invalid ${what} ${JSON.stringify(value)}: ${problem}`)
  return value
}

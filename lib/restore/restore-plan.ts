import { InvalidHandleSetError } from '../errors'
import { KeyGroupRange, type KeyGroupRangeJSON } from '../keygroups/key-group-range'
import type { KeyedStateHandle } from '../snapshot/keyed-state-handle'

/**
 * The handles a restore of `range` reads, after checking that together they are one checkpoint
 * (one checkpoint id, one job where handles name theirs; full and incremental handles alike)
 * whose ranges cover every key group of
 * `range` exactly once. Handles of other workers' key groups are part of a valid set and are
 * simply not read. Anything else is an `InvalidHandleSetError` naming the key groups or ids.
 */
export function planRestore<H extends KeyedStateHandle>(handles: readonly H[], range: KeyGroupRange): H[] {
  if (handles.length === 0) return []
  const checkpointIds = new Set(handles.map((handle) => handle.checkpointId))
  if (checkpointIds.size > 1) {
    throw new InvalidHandleSetError(`the handles belong to different checkpoints (${[...checkpointIds].sort((a, b) => a - b).join(', ')}): restore one checkpoint`)
  }
  const jobIds = new Set(handles.flatMap((handle) => (handle.jobId === undefined ? [] : [handle.jobId])))
  if (jobIds.size > 1) throw new InvalidHandleSetError(`the handles belong to different jobs (${[...jobIds].join(', ')})`)
  // How many handles cover each key group of the range.
  const coverage = new Uint32Array(range.numberOfKeyGroups)
  const selected: H[] = []
  for (const handle of handles) {
    const handleRange = KeyGroupRange.fromJSON(handle.keyGroupRange)
    const mine = handleRange.intersection(range)
    if (mine.isEmpty) continue
    selected.push(handle)
    for (const keyGroup of mine) coverage[keyGroup - range.start]++
  }
  const uncovered = runs(range, (at) => coverage[at] === 0)
  const doublyCovered = runs(range, (at) => coverage[at]! > 1)
  if (uncovered.length > 0 || doublyCovered.length > 0) {
    const parts = [
      uncovered.length > 0 ? `key groups ${describe(uncovered)} are in no handle` : '',
      doublyCovered.length > 0 ? `key groups ${describe(doublyCovered)} are in more than one handle` : '',
    ].filter((part) => part !== '')
    throw new InvalidHandleSetError(
      `the ${handles.length} handle(s) of checkpoint ${handles[0]!.checkpointId} do not cover ${range} exactly once: ${parts.join('; ')}`,
      uncovered,
      doublyCovered,
    )
  }
  return selected
}

/** The maximal runs of key groups of `range` whose index satisfies `test`. */
function runs(range: KeyGroupRange, test: (index: number) => boolean): KeyGroupRangeJSON[] {
  const found: KeyGroupRangeJSON[] = []
  for (let at = 0; at < range.numberOfKeyGroups; at++) {
    if (!test(at)) continue
    const last = found.at(-1)
    if (last !== undefined && last.end === range.start + at - 1) last.end++
    else found.push({ start: range.start + at, end: range.start + at })
  }
  return found
}

function describe(ranges: KeyGroupRangeJSON[]): string {
  const shown = ranges.slice(0, 10).map(({ start, end }) => (start === end ? `${start}` : `${start}-${end}`))
  return shown.join(', ') + (ranges.length > 10 ? ` and ${ranges.length - 10} more runs` : '')
}

import { CorruptCheckpointError } from '../errors'
import { checkMaxParallelism } from '../keygroups/assignment'
import { keyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { StateKind, StateMeta } from '../state/state-meta'
import { stateNameProblem } from '../state/state-name'
import { resolveTtl, type ResolvedTtl } from '../state/ttl-config'

/** A state as a snapshot records it: its metadata and its id in the stream. */
export interface SnapshotStateMeta extends StateMeta {
  kvStateId: number
}

/** The JSON header of a full snapshot, and the content of an incremental checkpoint's metadata file. */
export interface SnapshotMetadata {
  format: 'rocksdb-keyed-state'
  checkpointId: number
  backendId: string
  keySerializer: string
  maxParallelism: number
  keyGroupRange: { start: number; end: number }
  /** Values carry their 4-byte TTL write time, so restore keeps every entry's expiry. */
  rawTtlValues: true
  states: SnapshotStateMeta[]
}

/** The metadata a snapshot of `source`'s states (in kvStateId order) records. */
export function snapshotMetadata(
  source: { backendId: string; keySerializer: string; maxParallelism: number; keyGroupRange: KeyGroupRange },
  checkpointId: number,
  states: readonly StateMeta[],
): SnapshotMetadata {
  return {
    format: 'rocksdb-keyed-state',
    checkpointId,
    backendId: source.backendId,
    keySerializer: source.keySerializer,
    maxParallelism: source.maxParallelism,
    keyGroupRange: source.keyGroupRange.toJSON(),
    rawTtlValues: true,
    states: states.map((meta, kvStateId) => ({ ...meta, kvStateId })),
  }
}

const KINDS: readonly StateKind[] = ['value', 'list', 'map', 'reducing', 'aggregating', 'timers']
/** `timerColumnFamilyName(service, domain)` for a valid service name. */
const TIMER_STATE_NAME = /^_timer_[\w.\-:]{1,100}_(event|processing)$/
/** kvStateIds are int16 in the stream. */
const MAX_KV_STATE_ID = 0x7fff

/**
 * Checks a snapshot header's metadata (untrusted JSON, even with a valid file checksum: it may
 * have been crafted) field by field and returns it typed. `prefixBytes` is the key-group prefix
 * width the stream declares; it must be the one `maxParallelism` implies, or keys would be read
 * under the wrong key groups. Every problem is a `CorruptCheckpointError`; fields this version
 * does not know are ignored.
 */
export function parseSnapshotMetadata(value: unknown, prefixBytes: number): SnapshotMetadata {
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(`invalid snapshot metadata: ${why}`)
  }
  if (!isObject(value)) return fail('not an object')
  if (value.format !== 'rocksdb-keyed-state') return fail(`format ${JSON.stringify(value.format)} is not 'rocksdb-keyed-state'`)
  const { checkpointId, backendId, keySerializer, maxParallelism } = value
  if (!Number.isSafeInteger(checkpointId) || (checkpointId as number) < 0) return fail(`checkpointId ${JSON.stringify(checkpointId)} is not a non-negative integer`)
  if (!isName(backendId)) return fail(`backendId ${JSON.stringify(backendId)} is not a non-empty string`)
  if (!isName(keySerializer)) return fail(`keySerializer ${JSON.stringify(keySerializer)} is not a non-empty string`)
  const why = problem(() => checkMaxParallelism(maxParallelism as number))
  if (why !== undefined) return fail(why)
  if (prefixBytes !== keyGroupPrefixBytes(maxParallelism as number)) {
    return fail(`keyGroupPrefixBytes ${prefixBytes} does not match maxParallelism ${maxParallelism} (${keyGroupPrefixBytes(maxParallelism as number)})`)
  }
  let range = KeyGroupRange.EMPTY
  const rangeProblem = problem(() => (range = KeyGroupRange.fromJSON(value.keyGroupRange)))
  if (rangeProblem !== undefined) return fail(`keyGroupRange: ${rangeProblem}`)
  if (range.isEmpty || range.end >= (maxParallelism as number)) return fail(`keyGroupRange ${range} is empty or beyond maxParallelism ${maxParallelism}`)
  if (value.rawTtlValues !== true) return fail('rawTtlValues must be true: values without their TTL write time cannot be restored')
  if (!Array.isArray(value.states) || value.states.length > MAX_KV_STATE_ID + 1) return fail('states must be an array of at most 32768 states')
  const ids = new Set<number>()
  const names = new Set<string>()
  const states = value.states.map((state: unknown, index: number) => {
    const parsed = parseStateMeta(state, (why) => fail(`state ${index}: ${why}`))
    if (ids.has(parsed.kvStateId)) return fail(`kvStateId ${parsed.kvStateId} is used twice`)
    if (names.has(parsed.name)) return fail(`state '${parsed.name}' is listed twice`)
    ids.add(parsed.kvStateId)
    names.add(parsed.name)
    return parsed
  })
  return {
    format: 'rocksdb-keyed-state',
    checkpointId: checkpointId as number,
    backendId: backendId as string,
    keySerializer: keySerializer as string,
    maxParallelism: maxParallelism as number,
    keyGroupRange: range.toJSON(),
    rawTtlValues: true,
    states,
  }
}

function parseStateMeta(value: unknown, fail: (why: string) => never): SnapshotStateMeta {
  if (!isObject(value)) return fail('not an object')
  const { kvStateId, name, kind, namespaceSerializer, valueSerializer, userKeySerializer, ttl } = value
  if (!Number.isInteger(kvStateId) || (kvStateId as number) < 0 || (kvStateId as number) > MAX_KV_STATE_ID) {
    return fail(`kvStateId ${JSON.stringify(kvStateId)} is not an integer in [0, ${MAX_KV_STATE_ID}]`)
  }
  if (!KINDS.includes(kind as StateKind)) return fail(`unknown kind ${JSON.stringify(kind)}`)
  if (kind === 'timers') {
    if (typeof name !== 'string' || !TIMER_STATE_NAME.test(name)) return fail(`invalid timer name ${JSON.stringify(name)}`)
  } else {
    const why = stateNameProblem(name)
    if (why !== undefined) return fail(why)
  }
  if (!isName(namespaceSerializer)) return fail(`namespaceSerializer ${JSON.stringify(namespaceSerializer)} is not a non-empty string`)
  if (!isName(valueSerializer)) return fail(`valueSerializer ${JSON.stringify(valueSerializer)} is not a non-empty string`)
  if (kind === 'map' ? !isName(userKeySerializer) : userKeySerializer !== undefined) {
    return fail(`userKeySerializer ${JSON.stringify(userKeySerializer)}: map state needs one, other kinds have none`)
  }
  const resolved = parseTtl(ttl, fail)
  if (kind === 'timers' && resolved.seconds !== 0) return fail('timers have no TTL')
  return {
    kvStateId: kvStateId as number,
    name: name as string,
    kind: kind as StateKind,
    namespaceSerializer: namespaceSerializer as string,
    valueSerializer: valueSerializer as string,
    ...(userKeySerializer === undefined ? {} : { userKeySerializer: userKeySerializer as string }),
    ttl: resolved,
  }
}

/** A recorded TTL: `seconds` 0 (none) or a valid TTL, with valid `update` and `visibility` either way. */
function parseTtl(ttl: unknown, fail: (why: string) => never): ResolvedTtl {
  if (!isObject(ttl)) return fail('ttl is missing')
  const { seconds, update, visibility } = ttl
  if (typeof update !== 'string' || typeof visibility !== 'string') return fail('ttl needs update and visibility')
  let resolved: ResolvedTtl | undefined
  // Seconds 0 means "no TTL": the enum fields are still checked, through a valid stand-in.
  const why = problem(() => (resolved = resolveTtl({ seconds: seconds === 0 ? 1 : (seconds as number), update, visibility } as never)))
  if (why !== undefined) return fail(`ttl: ${why}`)
  return { ...resolved!, seconds: seconds as number }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Serializer ids and backend ids: any non-empty string (a struct's id grows with its fields). */
function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

/** The message of what `check` throws, or undefined. */
function problem(check: () => unknown): string | undefined {
  try {
    check()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

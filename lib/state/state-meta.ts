import type { ResolvedTtl } from './ttl-config'

/** 'timers': a timer queue, recorded like a state in snapshots. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating' | 'timers'

/**
 * What identifies a registered state: recorded in every snapshot and compared when a state
 * is registered again (after a restore, or twice in one backend), so that bytes written by
 * one serializer are never read by another.
 */
export interface StateMeta {
  name: string
  kind: StateKind
  namespaceSerializer: string
  /** The value's serializer; for list state the element's, for aggregating state the accumulator's. */
  valueSerializer: string
  /** Map state only. */
  userKeySerializer?: string
  ttl: ResolvedTtl
}

/**
 * Describes how `registered` and `requested` differ in what makes them incompatible, or
 * undefined. As in Flink, turning TTL on or off is incompatible; another duration, update
 * type or visibility is not (it applies to existing entries, whose write times are kept).
 */
export function incompatibility(registered: StateMeta, requested: StateMeta): string | undefined {
  const fields = ['kind', 'namespaceSerializer', 'valueSerializer', 'userKeySerializer'] as const
  for (const field of fields) {
    if (registered[field] !== requested[field]) {
      return `${field} is '${String(registered[field])}', requested '${String(requested[field])}'`
    }
  }
  const hasTtl = (meta: StateMeta) => (meta.ttl.seconds > 0 ? 'with a TTL' : 'without TTL')
  if (hasTtl(registered) !== hasTtl(requested)) return `it is ${hasTtl(registered)}, requested ${hasTtl(requested)}`
  return undefined
}

/** Describes how the TTL settings of `registered` and `requested` differ, or undefined. */
export function ttlDifference(registered: StateMeta, requested: StateMeta): string | undefined {
  const describe = ({ ttl }: StateMeta) => JSON.stringify(ttl)
  return describe(registered) === describe(requested) ? undefined : `TTL is ${describe(registered)}, requested ${describe(requested)}`
}

/** The column family options a state's data needs: list state holds timestamped elements, each with its own expiry. */
export function stateColumnFamilyOptions(kind: StateKind, ttlSeconds: number): { ttlSeconds: number; timestampedList: boolean } {
  return { ttlSeconds, timestampedList: kind === 'list' }
}

import { createOursDriver } from './ours'
import type { Driver } from './types'

/** `ours` with the WAL off, for the WAL-off comparison (the peers cannot turn theirs off). */
export function createDriver(): Driver {
  return createOursDriver('ours-nowal', false)
}

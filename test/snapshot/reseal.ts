import { sealHandle, type FullKeyedStateHandle } from '../../lib/snapshot/keyed-state-handle'

/**
 * A crafted handle with a valid checksum: what a tool that rewrites handles (or an attacker)
 * produces, so that the checks behind the checksum are what a test exercises.
 */
export function reseal(handle: Omit<FullKeyedStateHandle, 'version' | 'checksum'> & Partial<FullKeyedStateHandle>): FullKeyedStateHandle {
  const { version: _version, checksum: _checksum, ...fields } = handle
  return sealHandle(fields)
}

import { describe, expect, it } from 'vitest'
import { prefixSuccessor } from '../../lib/state/prefix-range'

const successor = (bytes: number[]) => {
  const next = prefixSuccessor(Buffer.from(bytes))
  return next === undefined ? undefined : [...next]
}

describe('prefixSuccessor', () => {
  it('increments the last byte below 0xFF', () => {
    expect(successor([0x00])).toEqual([0x01])
    expect(successor([0x12, 0x34])).toEqual([0x12, 0x35])
    expect(successor([0x00, 0xfe])).toEqual([0x00, 0xff])
  })

  it('carries past trailing 0xFF bytes, dropping them', () => {
    expect(successor([0x00, 0xff])).toEqual([0x01])
    expect(successor([0x00, 0x00, 0x00, 0xff])).toEqual([0x00, 0x00, 0x01])
    expect(successor([0x07, 0xff, 0xff, 0xff, 0xff])).toEqual([0x08])
  })

  it('has none for an empty or all-0xFF prefix', () => {
    expect(successor([])).toBeUndefined()
    expect(successor([0xff])).toBeUndefined()
    expect(successor([0xff, 0xff, 0xff])).toBeUndefined()
  })

  it('does not modify its argument', () => {
    const prefix = Buffer.from([0x01, 0xff])
    prefixSuccessor(prefix)
    expect([...prefix]).toEqual([0x01, 0xff])
  })
})

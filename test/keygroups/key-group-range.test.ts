import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyGroupOutOfRangeError } from '../../lib/errors'
import { computeOperatorIndexForKeyGroup, KeyGroupRange } from '../../lib/keygroups'
import { golden } from '../fixtures/keygroup-golden'

describe('KeyGroupRange.forOperator', () => {
  it("matches Flink's computeKeyGroupRangeForOperatorIndex (golden vectors)", () => {
    let checked = 0
    for (const { maxParallelism, parallelism, ranges } of golden.operatorRanges) {
      ranges.forEach(([start, end], index) => {
        const range = KeyGroupRange.forOperator(maxParallelism, parallelism, index)
        expect([range.start, range.end], `${maxParallelism}/${parallelism}/${index}`).toEqual([start, end])
        checked++
      })
    }
    expect(checked).toBe(2304) // an emptied or truncated fixture fails
  })

  it('splits [0, maxParallelism) into contiguous ranges differing by at most one key group, agreeing with computeOperatorIndexForKeyGroup', () => {
    const setup = fc.integer({ min: 1, max: 32768 }).chain((maxParallelism) =>
      fc.tuple(fc.constant(maxParallelism), fc.integer({ min: 1, max: Math.min(maxParallelism, 300) })),
    )
    fc.assert(
      fc.property(setup, ([maxParallelism, parallelism]) => {
        let next = 0
        const sizes = new Set<number>()
        for (let index = 0; index < parallelism; index++) {
          const range = KeyGroupRange.forOperator(maxParallelism, parallelism, index)
          expect(range.start).toBe(next)
          sizes.add(range.numberOfKeyGroups)
          for (const keyGroup of [range.start, range.end]) {
            expect(computeOperatorIndexForKeyGroup(maxParallelism, parallelism, keyGroup)).toBe(index)
          }
          next = range.end + 1
        }
        expect(next).toBe(maxParallelism)
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('rejects bad arguments with RangeError', () => {
    expect(() => KeyGroupRange.forOperator(0, 1, 0)).toThrow(/maxParallelism/)
    expect(() => KeyGroupRange.forOperator(32769, 1, 0)).toThrow(/maxParallelism/)
    expect(() => KeyGroupRange.forOperator(128, 0, 0)).toThrow(/parallelism/)
    expect(() => KeyGroupRange.forOperator(4, 5, 0)).toThrow(/parallelism must be an integer in \[1, maxParallelism = 4\]/)
    expect(() => KeyGroupRange.forOperator(128, 3, 3)).toThrow(/operatorIndex must be an integer in \[0, 2\]/)
    expect(() => KeyGroupRange.forOperator(128, 3, -1)).toThrow(RangeError)
    expect(() => KeyGroupRange.forOperator(128, 3, 0.5)).toThrow(RangeError)
  })
})

describe('KeyGroupRange', () => {
  it('has inclusive ends', () => {
    const range = new KeyGroupRange(3, 7)
    expect(range.numberOfKeyGroups).toBe(5)
    expect(range.contains(2)).toBe(false)
    expect(range.contains(3)).toBe(true)
    expect(range.contains(7)).toBe(true)
    expect(range.contains(8)).toBe(false)
    expect([...range]).toEqual([3, 4, 5, 6, 7])
    expect(range.isEmpty).toBe(false)
    expect(String(range)).toBe('KeyGroupRange[3..7]')
  })

  it('EMPTY is { start: 0, end: -1 }, contains nothing and iterates nothing', () => {
    const empty = KeyGroupRange.EMPTY
    expect([empty.start, empty.end]).toEqual([0, -1])
    expect(empty.numberOfKeyGroups).toBe(0)
    expect(empty.isEmpty).toBe(true)
    expect(empty.contains(0)).toBe(false)
    expect(empty.contains(-1)).toBe(false)
    expect([...empty]).toEqual([])
    expect(String(empty)).toBe('KeyGroupRange[empty]')
  })

  it('intersection', () => {
    const a = new KeyGroupRange(0, 9)
    expect(a.intersection(new KeyGroupRange(5, 20)).toJSON()).toEqual({ start: 5, end: 9 })
    expect(a.intersection(new KeyGroupRange(9, 9)).toJSON()).toEqual({ start: 9, end: 9 })
    expect(a.intersection(new KeyGroupRange(10, 20))).toBe(KeyGroupRange.EMPTY)
    expect(a.intersection(KeyGroupRange.EMPTY)).toBe(KeyGroupRange.EMPTY)
    expect(KeyGroupRange.EMPTY.intersection(a)).toBe(KeyGroupRange.EMPTY)
    fc.assert(
      fc.property(fc.nat(200), fc.nat(50), fc.nat(200), fc.nat(50), (s1, n1, s2, n2) => {
        const r1 = new KeyGroupRange(s1, s1 + n1)
        const r2 = new KeyGroupRange(s2, s2 + n2)
        const both = r1.intersection(r2)
        expect(both.equals(r2.intersection(r1))).toBe(true)
        for (let kg = 0; kg <= 260; kg++) expect(both.contains(kg)).toBe(r1.contains(kg) && r2.contains(kg))
      }),
    )
  })

  it('indexOf gives the position in the range and KeyGroupOutOfRangeError outside it', () => {
    const range = new KeyGroupRange(10, 12)
    expect(range.indexOf(10)).toBe(0)
    expect(range.indexOf(12)).toBe(2)
    expect(() => range.indexOf(13)).toThrow(KeyGroupOutOfRangeError)
    expect(() => range.indexOf(9)).toThrow('key group 9 is not in KeyGroupRange[10..12]')
    expect(() => KeyGroupRange.EMPTY.indexOf(0)).toThrow(KeyGroupOutOfRangeError)
  })

  it('round trips through JSON', () => {
    for (const range of [new KeyGroupRange(0, 0), new KeyGroupRange(5, 32767), KeyGroupRange.forOperator(128, 3, 1)]) {
      const back = KeyGroupRange.fromJSON(JSON.parse(JSON.stringify(range)))
      expect(back).toBeInstanceOf(KeyGroupRange)
      expect(back.equals(range)).toBe(true)
    }
    expect(JSON.stringify(KeyGroupRange.EMPTY)).toBe('{"start":0,"end":-1}')
    expect(KeyGroupRange.fromJSON({ start: 0, end: -1 })).toBe(KeyGroupRange.EMPTY)
  })

  it('fromJSON rejects malformed input', () => {
    for (const bad of [null, undefined, 42, 'x', {}, { start: 1 }, { start: '1', end: 2 }]) {
      expect(() => KeyGroupRange.fromJSON(bad), JSON.stringify(bad)).toThrow(TypeError)
    }
    expect(() => KeyGroupRange.fromJSON({ start: 5, end: 2 })).toThrow(RangeError)
  })

  it('rejects invalid bounds', () => {
    for (const [start, end] of [[-1, 3], [5, 4], [1, 0], [0, 32768], [0.5, 3], [0, Number.NaN]] as const) {
      expect(() => new KeyGroupRange(start, end), `[${start}, ${end}]`).toThrow(RangeError)
    }
    expect(new KeyGroupRange(0, 32767).numberOfKeyGroups).toBe(32768)
  })

  it('is immutable', () => {
    const range = new KeyGroupRange(1, 2)
    expect(() => {
      ;(range as { start: number }).start = 0
    }).toThrow(TypeError)
    expect(Object.isFrozen(KeyGroupRange.EMPTY)).toBe(true)
  })
})

import { KeyGroupOutOfRangeError } from '../errors'
import { checkParallelism, UPPER_BOUND_MAX_PARALLELISM } from './assignment'

/** The JSON form of a `KeyGroupRange`, as stored in state handles. */
export interface KeyGroupRangeJSON {
  start: number
  end: number
}

/**
 * A contiguous range of key groups `[start, end]`, both ends inclusive (as Flink's). The one empty
 * range is `KeyGroupRange.EMPTY`, `{ start: 0, end: -1 }`. Immutable.
 */
export class KeyGroupRange implements Iterable<number> {
  static readonly EMPTY = new KeyGroupRange(0, -1)

  readonly start: number
  readonly end: number

  /** `0 <= start <= end < 32768`, or `(0, -1)` for the empty range. */
  constructor(start: number, end: number) {
    const empty = start === 0 && end === -1
    if (!empty && !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end < UPPER_BOUND_MAX_PARALLELISM)) {
      throw new RangeError(`invalid key-group range [${start}, ${end}]: needs integers 0 <= start <= end < ${UPPER_BOUND_MAX_PARALLELISM}`)
    }
    this.start = start
    this.end = end
    Object.freeze(this)
  }

  /**
   * The key groups of worker `operatorIndex` out of `parallelism`: Flink's
   * `computeKeyGroupRangeForOperatorIndex`. The ranges of all indexes split `[0, maxParallelism)`
   * into contiguous pieces whose sizes differ by at most one.
   */
  static forOperator(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
    checkParallelism(maxParallelism, parallelism)
    if (!(Number.isInteger(operatorIndex) && operatorIndex >= 0 && operatorIndex < parallelism)) {
      throw new RangeError(`operatorIndex must be an integer in [0, ${parallelism - 1}], got ${operatorIndex}`)
    }
    const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism)
    const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism)
    return new KeyGroupRange(start, end)
  }

  /** Reads the form `toJSON` writes; `TypeError` for anything else, `RangeError` for a bad range. */
  static fromJSON(json: unknown): KeyGroupRange {
    const { start, end } = (json ?? {}) as Partial<Record<keyof KeyGroupRangeJSON, unknown>>
    if (typeof start !== 'number' || typeof end !== 'number') {
      throw new TypeError(`a key-group range needs numeric 'start' and 'end', got ${JSON.stringify(json)}`)
    }
    return start === 0 && end === -1 ? KeyGroupRange.EMPTY : new KeyGroupRange(start, end)
  }

  get numberOfKeyGroups(): number {
    return this.end - this.start + 1
  }

  get isEmpty(): boolean {
    return this.end < this.start
  }

  contains(keyGroup: number): boolean {
    return keyGroup >= this.start && keyGroup <= this.end
  }

  /** The key groups in both ranges; `EMPTY` when they do not overlap. */
  intersection(other: KeyGroupRange): KeyGroupRange {
    const start = Math.max(this.start, other.start)
    const end = Math.min(this.end, other.end)
    return start <= end ? new KeyGroupRange(start, end) : KeyGroupRange.EMPTY
  }

  /** The position of `keyGroup` in this range (0 for `start`); `KeyGroupOutOfRangeError` if outside. */
  indexOf(keyGroup: number): number {
    if (!this.contains(keyGroup)) throw new KeyGroupOutOfRangeError(`key group ${keyGroup} is not in ${this.toString()}`)
    return keyGroup - this.start
  }

  equals(other: KeyGroupRange): boolean {
    return this.start === other.start && this.end === other.end
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let keyGroup = this.start; keyGroup <= this.end; keyGroup++) yield keyGroup
  }

  toJSON(): KeyGroupRangeJSON {
    return { start: this.start, end: this.end }
  }

  toString(): string {
    return this.isEmpty ? 'KeyGroupRange[empty]' : `KeyGroupRange[${this.start}..${this.end}]`
  }
}

/** What every benchmarked store implements. One driver per file in bench/drivers/. */

export type MaybePromise<T> = T | Promise<T>

export interface Driver {
  readonly name: string
  /**
   * Which calls are synchronous. An asynchronous call is awaited one at a time (the store
   * offers nothing synchronous for it); the table marks such cells with '*'.
   */
  readonly sync: { put: boolean; get: boolean; batchPut: boolean; getMany: boolean; scan: boolean }
  /** Engine, version and build ("RocksDB 7.8.3, system build, assertions on"). */
  describe(): string
  /** How this driver is configured where fairness matters (WAL, caches, API path). */
  readonly notes: string[]

  open(dir: string): Promise<void>
  put(key: Buffer, value: Buffer): MaybePromise<void>
  get(key: Buffer): MaybePromise<Buffer | undefined>
  /** Writes keys[start..end) with values[start..end) as one atomic batch. */
  batchPut(keys: Buffer[], values: Buffer[], start: number, end: number): MaybePromise<void>
  getMany(keys: Buffer[]): MaybePromise<(Buffer | undefined)[]>
  /**
   * Visits entries in key order (Map: insertion order) fetching `batchSize` per native call,
   * stopping after `limit` entries when given. Returns the number visited.
   */
  scan(batchSize: number, visit: (value: Buffer) => void, limit?: number): MaybePromise<number>
  close(): Promise<void>
}

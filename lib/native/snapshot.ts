import type { NativeSnapshot } from './binding'

/**
 * A consistent, point-in-time view of the whole database. Pass it to reads and iterators;
 * release it when done (closing the database releases it too).
 */
export class Snapshot {
  /** @internal */
  readonly native: NativeSnapshot

  /** @internal */
  constructor(native: NativeSnapshot) {
    this.native = native
  }

  /** RocksDB's sequence number of the view. */
  get sequenceNumber(): number {
    return this.native.sequenceNumber()
  }

  release(): void {
    this.native.release()
  }
}

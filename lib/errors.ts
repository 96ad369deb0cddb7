/**
 * The typed errors of rocksdb-keyed-state. Every error carries a stable string `code`
 * so callers can switch on it; the classes exist for `instanceof` checks.
 */

/** Base class of every error this library throws on purpose. */
export class KeyedStateError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * A non-OK `rocksdb::Status`. `code` is the status code's name as RocksDB spells it:
 * `NotFound`, `Corruption`, `NotSupported`, `InvalidArgument`, `IOError`, `MergeInProgress`,
 * `Incomplete`, `ShutdownInProgress`, `TimedOut`, `Aborted`, `Busy`, `Expired`, `TryAgain`,
 * `CompactionTooLarge`, `ColumnFamilyDropped`. The message is RocksDB's own.
 */
export class RocksDBError extends KeyedStateError {}

/**
 * The directory is held by another open instance: a backend's instance lock (`KEYED_STATE_LOCK`)
 * or RocksDB's own `LOCK` file, in this process or another.
 */
export class LockedError extends RocksDBError {
  constructor(message: string) {
    super('Locked', message)
  }
}

/**
 * RocksDB stopped accepting writes after a background error it cannot recover from (a failed
 * flush, compaction or write): every later write, flush, checkpoint and `close()` reports it,
 * naming the original cause. Reads still see the acknowledged data in memory.
 */
export class BackgroundError extends RocksDBError {
  constructor(message: string) {
    super('BackgroundError', message)
  }
}

/**
 * A write whose expiry (write time + the column family's TTL) does not fit DBWithTTL's int32
 * seconds, which end at 2038-01-19T03:14:07Z: refused, since it would expire at once.
 */
export class TimestampOverflowError extends KeyedStateError {
  constructor(message: string) {
    super('TimestampOverflow', message)
  }
}

/** A database, iterator, snapshot, batch or writer was used after it was closed or released. */
export class ClosedError extends KeyedStateError {
  constructor(message: string) {
    super('Closed', message)
  }
}

/** An operation is not allowed while another one on the same object is still running. */
export class OperationInProgressError extends KeyedStateError {
  constructor(message: string) {
    super('OperationInProgress', message)
  }
}

/** A column family the database does not have, or one dropped since (also inside a batch written after the drop). */
export class ColumnFamilyNotFoundError extends KeyedStateError {
  constructor(message: string) {
    super('ColumnFamilyNotFound', message)
  }
}

/** A key whose key group lies outside the backend's key-group range. */
export class KeyGroupOutOfRangeError extends KeyedStateError {
  constructor(message: string) {
    super('KeyGroupOutOfRange', message)
  }
}

/**
 * A state registered with another kind or serializer than it has; with a TTL when it has none
 * or the other way round; or, when already registered on this backend, with other TTL
 * settings. A state restored from a snapshot may be registered with another TTL duration,
 * update type or visibility (they apply to the restored write times), as in Flink.
 */
export class IncompatibleStateError extends KeyedStateError {
  constructor(message: string) {
    super('IncompatibleState', message)
  }
}

/** A checkpoint or snapshot file that is truncated, corrupt, of an unknown version or missing. */
export class CorruptCheckpointError extends KeyedStateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CorruptCheckpoint', message, options)
  }
}

/**
 * The handles given to a restore do not form one checkpoint covering the backend's key-group range
 * exactly once: key groups no handle covers, key groups two handles cover, or handles of different
 * checkpoints or jobs. Restoring them would silently lose or duplicate state.
 */
export class InvalidHandleSetError extends KeyedStateError {
  constructor(
    message: string,
    /** Key groups of the requested range that no handle covers, as inclusive ranges. */
    readonly uncovered: readonly { start: number; end: number }[] = [],
    /** Key groups that more than one handle covers, as inclusive ranges. */
    readonly doublyCovered: readonly { start: number; end: number }[] = [],
  ) {
    super('InvalidHandleSet', message)
  }
}

/**
 * A backend's `path` holds something other than an instance this library created (files of
 * another program, a plain RocksDB database, a regular file). The library never deletes it.
 */
export class NotAnInstanceError extends KeyedStateError {
  constructor(message: string) {
    super('NotAnInstance', message)
  }
}

/**
 * The instance directory's database is incomplete: its `CURRENT` names a MANIFEST that is not
 * there, which only a restore killed while it replaced the database files leaves. Open it again
 * with `restoreFrom` (the restore is redone), or remove the directory.
 */
export class InterruptedRestoreError extends KeyedStateError {
  constructor(message: string) {
    super('InterruptedRestore', message)
  }
}

/**
 * `snapshot(id)` with an id not above every id this backend already used, completed or restored
 * from: checkpoint ids increase monotonically (as Flink's), and a stale id's files could collide
 * with, or be mistaken for, those of the checkpoint that already had it.
 */
export class CheckpointIdNotIncreasingError extends KeyedStateError {
  constructor(
    message: string,
    /** The highest checkpoint id this backend snapshotted, completed or was restored from. */
    readonly lastCheckpointId: number,
  ) {
    super('CheckpointIdNotIncreasing', message)
  }
}

/**
 * An option that is known but cannot be honoured in this combination: `compression` asked of an
 * incremental checkpoint (it uploads RocksDB's SST files as they are; take `type: 'full'` or
 * 'savepoint' to compress). Unknown options and values of the wrong type are TypeErrors.
 */
export class UnsupportedOptionError extends KeyedStateError {
  constructor(message: string) {
    super('UnsupportedOption', message)
  }
}

/**
 * Bytes that do not decode as the serializer or layout expects: truncated input, a length running
 * past the end, an invalid tag byte, trailing bytes. Stored data is corrupt or was written with
 * another serializer.
 */
export class CorruptDataError extends KeyedStateError {
  constructor(message: string) {
    super('CorruptData', message)
  }
}

/**
 * Checkpoint storage could not be reached or refused a request: a remote store (S3) still failing
 * after its retries, or answering with an error other than throttling. `cause` is the underlying
 * error; `attempts` how many times the request was sent. Nothing the failed operation wrote counts
 * as stored.
 */
export class CheckpointStorageError extends KeyedStateError {
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super('CheckpointStorage', message, options)
  }
}

/** Builds the error the native layer reports; `code` picks the class. */
export function errorFromNative(code: string, message: string): KeyedStateError {
  switch (code) {
    case 'Closed':
      return new ClosedError(message)
    case 'Locked':
      return new LockedError(message)
    case 'BackgroundError':
      return new BackgroundError(message)
    case 'TimestampOverflow':
      return new TimestampOverflowError(message)
    case 'OperationInProgress':
      return new OperationInProgressError(message)
    case 'ColumnFamilyNotFound':
      return new ColumnFamilyNotFoundError(message)
    default:
      return new RocksDBError(code, message)
  }
}

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

/** The instance directory is locked by another open instance (RocksDB's LOCK file). */
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

/** A column family name that the database does not have. */
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

/** A state re-registered with another kind, serializer or TTL than it has. */
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
 * Bytes that do not decode as the serializer or layout expects: truncated input, a length running
 * past the end, an invalid tag byte, trailing bytes. Stored data is corrupt or was written with
 * another serializer.
 */
export class CorruptDataError extends KeyedStateError {
  constructor(message: string) {
    super('CorruptData', message)
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

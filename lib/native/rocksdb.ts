import { binding, type NativeColumnFamilyInfo, type NativeDatabase, type NativeLiveFile, type NativeMemoryBudget } from './binding'
import { checkRange, toBytes, type Bytes } from './bytes'
import { ColumnFamily } from './column-family'
import { ManualClock } from './clock'
import { ReadPool } from './read-pool'
import { Snapshot } from './snapshot'
import { SstWriter } from './sst-writer'
import { WriteBatch } from './write-batch'
import { ClosedError, ColumnFamilyNotFoundError } from '../errors'
import { checkOptionNames } from '../option-names'

/** A column family of `RocksDB.open` (and `createColumnFamily`'s options, without `name`): any other key is a TypeError. */
export interface ColumnFamilyOptions {
  name: string
  /** Entries expire this many seconds after their last write (0 or absent = never). */
  ttlSeconds?: number
  /** Compact files older than this, so expired data leaves them (default: the TTL). */
  periodicCompactionSeconds?: number
  /**
   * Values are lists of timestamped elements (what keyed list state stores): records of
   * `uint32 BE length | payload | int32 BE write time (seconds)`, concatenated. `merge`
   * appends records with no delimiter, and `ttlSeconds` applies to each element, not to the
   * whole value: compaction drops expired elements, and the entry once none is left. The
   * whole value never expires, so `skipExpired` never hides such an entry. Must be given
   * again every time the database is opened (default false).
   */
  timestampedList?: boolean
}

/** Options of `RocksDB.open`: any other key, also in a column family descriptor, is a TypeError. */
export interface OpenOptions {
  /** Column families to open or create. Existing ones not listed are opened without TTL. */
  columnFamilies?: ColumnFamilyOptions[]
  /** Create the database, and the missing directories of `path`, when `path` holds none (default true). */
  createIfMissing?: boolean
  /** Refuse a `path` that already holds a database (default false). */
  errorIfExists?: boolean
  /**
   * Only read (default false): every call that would change the database is a RocksDBError with
   * code `NotSupported`, so it can be opened beside the process writing it.
   */
  readOnly?: boolean
  /**
   * Write-ahead log (default on, unsynced as RocksDB's default): every acknowledged write
   * survives the process ending, `process.exit()` and crashes of it included. Off, writes live
   * in memory until a flush, checkpoint, `close()` or the process's exit (a synchronous flush
   * then; a crash or `worker.terminate()` loses them); for callers whose durability is a
   * checkpoint (KeyedStateBackend turns it off).
   */
  wal?: boolean
  /**
   * Size of each column family's memtable in bytes, 64 KiB to 1 GiB (default 8 MiB: RocksDB's
   * 64 MiB made batched writes half as fast; larger ones absorb more overwrites of the same keys
   * and flush fewer, larger files). Under a memory budget, the most a column family's share of the
   * budget's write buffers can be.
   */
  writeBufferBytes?: number
  /** The byte merge() puts between operands (default ',' = 0x2C); `timestampedList` column families use none. */
  mergeDelimiter?: number | string
  /** A test clock for every TTL decision of this database. */
  clock?: ManualClock
  /** Use the process-wide memory budget when one is set (default true). */
  useMemoryBudget?: boolean
}

// Re-exported under their public names, so the API reference shows their fields.
export type { NativeLiveFile as LiveFile, NativeMemoryBudget as MemoryBudget } from './binding'

const OPEN_OPTION_NAMES: ReadonlySet<string> = new Set([
  'columnFamilies',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
  'wal',
  'writeBufferBytes',
  'mergeDelimiter',
  'clock',
  'useMemoryBudget',
] satisfies (keyof OpenOptions)[])
const COLUMN_FAMILY_OPTION_NAMES: ReadonlySet<string> = new Set(['name', 'ttlSeconds', 'periodicCompactionSeconds', 'timestampedList'] satisfies (keyof ColumnFamilyOptions)[])
/** `createColumnFamily`'s: the name is its own argument. */
const CREATE_COLUMN_FAMILY_OPTION_NAMES: ReadonlySet<string> = new Set([...COLUMN_FAMILY_OPTION_NAMES].filter((name) => name !== 'name'))
const MEMORY_BUDGET_OPTION_NAMES: ReadonlySet<string> = new Set(['bytes', 'writeBufferRatio'])
const INGEST_OPTION_NAMES: ReadonlySet<string> = new Set(['moveFiles', 'dbGeneratedFiles'])

function delimiterByte(delimiter: number | string | undefined): number | undefined {
  if (typeof delimiter !== 'string') return delimiter
  const bytes = Buffer.from(delimiter, 'latin1')
  if (bytes.length !== 1) throw new RangeError('mergeDelimiter must be a single byte')
  return bytes[0]
}

/**
 * Open databases without a WAL: their memtables hold the only copy of recent writes, so they
 * are flushed, synchronously, when the process (or worker) exits, also by `process.exit()`
 * or an uncaught exception. Weak, so a forgotten database can still be collected and closed.
 */
const unlogged = new Set<WeakRef<NativeDatabase>>()
const forgetUnlogged = new FinalizationRegistry<WeakRef<NativeDatabase>>((ref) => unlogged.delete(ref))
let exitFlushInstalled = false

function flushUnloggedOnExit(): void {
  for (const ref of unlogged) {
    try {
      ref.deref()?.flushSync()
    } catch {
      // Closing, closed or failed: at exit there is nobody left to tell.
    }
  }
}

function flushOnExit(native: NativeDatabase): WeakRef<NativeDatabase> {
  if (!exitFlushInstalled) {
    process.on('exit', flushUnloggedOnExit)
    exitFlushInstalled = true
  }
  const ref = new WeakRef(native)
  unlogged.add(ref)
  forgetUnlogged.register(native, ref, ref)
  return ref
}

/** Checks `open`'s options, each column family descriptor's included, before anything touches the disk. */
function checkOpenOptions(options: OpenOptions): void {
  checkOptionNames(options, OPEN_OPTION_NAMES)
  if (options.clock !== undefined && !(options.clock instanceof ManualClock)) throw new TypeError('clock must be a ManualClock')
  if (options.columnFamilies === undefined) return
  if (!Array.isArray(options.columnFamilies)) throw new TypeError("option 'columnFamilies' must be an array")
  options.columnFamilies.forEach((family, i) => checkOptionNames(family, COLUMN_FAMILY_OPTION_NAMES, `columnFamilies[${i}]`))
}

/**
 * A RocksDB instance (DBWithTTL) with column families that each have their own TTL.
 * `open`, `close` and everything that works on files return promises and run off the
 * event loop; point reads and writes on a `ColumnFamily` are synchronous.
 */
export class RocksDB {
  /** Version of the RocksDB library the addon was built with. */
  static readonly version: string = binding.rocksdbVersion
  /** Which RocksDB the addon links: Debian's shared library ('system') or the static release build ('bundled'). */
  static readonly build: 'system' | 'bundled' = binding.rocksdbBuild
  /** Whether `ingest` can take SST files another database wrote, as they are (`dbGeneratedFiles`; RocksDB 9.10 on). */
  static readonly canIngestDbGeneratedFiles: boolean = binding.canIngestDbGeneratedFiles

  private readonly native: NativeDatabase
  private readonly families = new Map<string, ColumnFamily>()
  private readonly reads: ReadPool
  /** @internal True from the moment `close()` is called (batches check it: they are JS until written). */
  closing = false
  /** Set while the database is flushed at process exit (WAL off). */
  private exitFlush: WeakRef<NativeDatabase> | undefined

  private constructor(
    native: NativeDatabase,
    readonly path: string,
  ) {
    this.native = native
    this.reads = new ReadPool(native)
  }

  /**
   * Opens (by default creating) the database at `path` with the listed column families. Unknown
   * options are a TypeError; a directory another instance holds is a LockedError.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<RocksDB> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string')
    checkOpenOptions(options)
    const native = new binding.Database()
    const families = await native.open(path, {
      ...options,
      clock: options.clock?.native,
      mergeDelimiter: delimiterByte(options.mergeDelimiter),
    })
    const db = new RocksDB(native, path)
    for (const family of families) db.addFamily(family)
    if (options.wal === false && options.readOnly !== true) db.exitFlush = flushOnExit(native)
    return db
  }

  /** Names of the column families stored in the database at `path`. */
  static async listColumnFamilies(path: string): Promise<string[]> {
    return binding.listColumnFamilies(path)
  }

  /**
   * Sets the process-wide memory budget: one block cache of `bytes` (from 1 MiB up to the
   * machine's memory), with a share of `writeBufferRatio` (default 0.5) for memtables, shared by
   * every database opened afterwards (also in worker threads). Without arguments returns the budget in force;
   * `null` removes it. The memtable share makes RocksDB flush, it does not stop writes: while
   * flushes lag behind sustained writes, each column family can hold two memtables of a quarter
   * of the share (1 MiB up to `writeBufferBytes`) waiting to be flushed, so the cache's usage may exceed `bytes`
   * (writes of 1M entries into 24 column families under a 16 MiB budget peaked at 38 MiB).
   * RocksDB's stalling write buffer manager would bound it, but can deadlock every writer of a
   * process whose memory sits in column families that no longer write. Any other option is a
   * TypeError, and leaves the budget as it was.
   */
  static memoryBudget(options?: { bytes: number; writeBufferRatio?: number } | null): NativeMemoryBudget | null {
    if (options !== undefined && options !== null) checkOptionNames(options, MEMORY_BUDGET_OPTION_NAMES)
    return binding.memoryBudget(options)
  }

  /** The column family `name`; throws ColumnFamilyNotFoundError when there is none. */
  columnFamily(name: string = 'default'): ColumnFamily {
    const family = this.families.get(name)
    if (family === undefined) throw new ColumnFamilyNotFoundError(`column family '${name}' does not exist`)
    return family
  }

  hasColumnFamily(name: string): boolean {
    return this.families.has(name)
  }

  columnFamilies(): ColumnFamily[] {
    return [...this.families.values()]
  }

  async createColumnFamily(name: string, options: Omit<ColumnFamilyOptions, 'name'> = {}): Promise<ColumnFamily> {
    checkOptionNames(options, CREATE_COLUMN_FAMILY_OPTION_NAMES)
    const { ttlSeconds = 0, periodicCompactionSeconds, timestampedList = false } = options
    const id = await this.native.createColumnFamily(name, ttlSeconds, periodicCompactionSeconds, timestampedList)
    return this.addFamily({ name, id, ttlSeconds, timestampedList })
  }

  /**
   * `createColumnFamily` on the calling thread: it only appends to the MANIFEST, and keyed
   * state registration, which uses it, is synchronous.
   */
  createColumnFamilySync(name: string, options: Omit<ColumnFamilyOptions, 'name'> = {}): ColumnFamily {
    checkOptionNames(options, CREATE_COLUMN_FAMILY_OPTION_NAMES)
    const { ttlSeconds = 0, periodicCompactionSeconds, timestampedList = false } = options
    const id = this.native.createColumnFamilySync(name, ttlSeconds, periodicCompactionSeconds, timestampedList)
    return this.addFamily({ name, id, ttlSeconds, timestampedList })
  }

  async dropColumnFamily(family: ColumnFamily | string): Promise<void> {
    const cf = typeof family === 'string' ? this.columnFamily(family) : family
    // Forgotten only once the native layer accepted the drop (a readOnly database refuses it).
    const dropped = this.native.dropColumnFamily(cf.id)
    cf.dropped = true
    this.families.delete(cf.name)
    await dropped
  }

  batch(): WriteBatch {
    if (this.closing) throw new ClosedError('Database is closed')
    return new WriteBatch(this, this.native)
  }

  /** Applies every operation of `batch` atomically, in one native call. */
  write(batch: WriteBatch): void {
    if (!(batch instanceof WriteBatch)) throw new TypeError('expected a WriteBatch')
    this.native.write(batch.encoded(this.native))
    batch.written()
  }

  snapshot(): Snapshot {
    return new Snapshot(this.native.snapshot())
  }

  /** Flushes memtables to SST files: of one column family, or of all. */
  async flush(family?: ColumnFamily): Promise<void> {
    return this.native.flush(family?.id)
  }

  /** Compacts [begin, end) (all when absent), dropping expired and deleted entries. */
  async compactRange(family: ColumnFamily, begin?: Bytes, end?: Bytes): Promise<void> {
    const from = begin === undefined ? null : toBytes(begin)
    const to = end === undefined ? null : toBytes(end)
    if (from !== null && to !== null) checkRange(from, to, 'compactRange')
    return this.native.compactRange(family.id, from, to)
  }

  /** A RocksDB property such as 'rocksdb.estimate-num-keys'; undefined when unknown. */
  getProperty(name: string, family?: ColumnFamily): string | undefined {
    return this.native.getProperty(name, family?.id)
  }

  /** Approximate bytes used by keys in [begin, end), memtables included. */
  approximateSize(family: ColumnFamily, begin: Bytes, end: Bytes): number {
    const [from, to] = [toBytes(begin), toBytes(end)]
    return checkRange(from, to, 'approximateSize') ? this.native.approximateSize(family.id, from, to) : 0
  }

  /** The database's clock in seconds (the test clock when one was given). */
  nowSeconds(): number {
    return this.native.nowSeconds()
  }

  /**
   * Writes a consistent copy of the database into `directory` (which must not exist; missing
   * parent directories are created): SST files are hard-linked, the rest copied. Memtables are
   * flushed first.
   */
  async checkpoint(directory: string): Promise<{ directory: string; sequenceNumber: number }> {
    return this.native.checkpoint(directory)
  }

  /**
   * `checkpoint` on the calling thread: the copy holds exactly the writes made before the call,
   * none made after (an incremental snapshot's synchronous part).
   */
  checkpointSync(directory: string): { directory: string; sequenceNumber: number } {
    return this.native.checkpointSync(directory)
  }

  /** The SST files of the database with their column family, level, key range and sizes. */
  liveFiles(): NativeLiveFile[] {
    return this.native.liveFiles()
  }

  sstWriter(family: ColumnFamily, path: string): SstWriter {
    return new SstWriter(this.native.sstWriter(family.id), path)
  }

  /**
   * Adds SST files (from `sstWriter`) to a column family; `moveFiles` links instead of copying.
   * `dbGeneratedFiles` (when `canIngestDbGeneratedFiles`): files another database wrote, every key
   * at sequence number 0 and none overlapping the column family's files, ingested unchanged.
   * Any other option is a TypeError, before anything is ingested.
   */
  async ingest(family: ColumnFamily, files: string[], options: { moveFiles?: boolean; dbGeneratedFiles?: boolean } = {}): Promise<void> {
    checkOptionNames(options, INGEST_OPTION_NAMES)
    return this.native.ingest(family.id, files, options)
  }

  /** Drops whole SST files whose keys all lie in [begin, end): frees disk at once after a deleteRange. */
  async deleteFilesInRange(family: ColumnFamily, begin: Bytes, end: Bytes): Promise<void> {
    const [from, to] = [toBytes(begin), toBytes(end)]
    checkRange(from, to, 'deleteFilesInRange')
    return this.native.deleteFilesInRange(family.id, from, to)
  }

  /**
   * Waits for running asynchronous operations, releases every iterator, snapshot, batch and
   * SST writer still open, and closes the database. Any use from the moment it is called
   * throws ClosedError. Rejects (the database is closed all the same) when RocksDB is in a
   * background-error state or, with the WAL off, when the final flush of memtables fails.
   */
  async close(): Promise<void> {
    this.closing = true
    try {
      await this.native.close()
    } finally {
      // Not before: a process exiting while the close still runs flushes at exit instead.
      if (this.exitFlush !== undefined) {
        unlogged.delete(this.exitFlush)
        forgetUnlogged.unregister(this.exitFlush)
        this.exitFlush = undefined
      }
    }
  }

  private addFamily(info: NativeColumnFamilyInfo): ColumnFamily {
    const family = new ColumnFamily(this.native, this.reads, info)
    this.families.set(info.name, family)
    return family
  }
}

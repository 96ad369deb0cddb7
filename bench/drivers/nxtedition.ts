import fs from 'node:fs'
import path from 'node:path'
import type { Driver } from './types'

// @nxtedition/rocksdb ships no type declarations; this is the part of it used here.
export interface NxtChainedBatch {
  _put(key: Buffer, value: Buffer, options: object): void
  _merge(key: Buffer, value: Buffer, options: object): void
  _writeSync(options?: object): void
  _clear(): void
}
export interface NxtIterator {
  _nextvSync(size: number, options?: object): { rows: Buffer[]; finished: boolean }
  _closeSync(): void
}
export interface NxtRocksLevel {
  open(options?: object): Promise<void>
  close(): Promise<void>
  batch(): NxtChainedBatch
  iterator(options?: object): NxtIterator
  _getManySync(keys: Buffer[], options?: object): (Buffer | undefined)[]
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: new (location: string, options?: object) => NxtRocksLevel }

const EMPTY = {}

function packageDir(): string {
  return path.dirname(require.resolve('@nxtedition/rocksdb/package.json'))
}

/** The RocksDB version in the headers the package was built from. */
function bundledRocksDBVersion(): string {
  try {
    const header = fs.readFileSync(path.join(packageDir(), 'deps/rocksdb/rocksdb/include/rocksdb/version.h'), 'utf8')
    const part = (name: string) => header.match(new RegExp(`#define ROCKSDB_${name} (\\d+)`))?.[1] ?? '?'
    return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`
  } catch {
    return 'unknown'
  }
}

/** "@nxtedition/rocksdb <version>: RocksDB <version> (...)" */
export function describeNxtedition(): string {
  const version = JSON.parse(fs.readFileSync(path.join(packageDir(), 'package.json'), 'utf8')).version as string
  return `@nxtedition/rocksdb ${version}: RocksDB ${bundledRocksDBVersion()} (bundled prebuild, assertions in)`
}

/** Opens a RocksLevel as this driver does (buffers, WAL compression off); `extra` adds open options. */
export async function openRocksLevel(dir: string, extra: object = {}): Promise<NxtRocksLevel> {
  const options = { createIfMissing: true, keyEncoding: 'buffer', valueEncoding: 'buffer', walCompression: false, infoLogLevel: 'error', ...extra }
  const db = new RocksLevel(dir, options)
  await db.open(options)
  return db
}

/**
 * @nxtedition/rocksdb (RocksLevel) through its synchronous entry points, which it exposes
 * as underscore methods (its own code calls them): a reused ChainedBatch with _writeSync
 * for put and batch, _getManySync for get and getMany, iterator _nextvSync for the scan.
 */
export function createDriver(): Driver {
  let db: NxtRocksLevel | undefined
  let one: NxtChainedBatch
  let batch: NxtChainedBatch
  const single: Buffer[] = [Buffer.alloc(0)]
  const description = describeNxtedition()
  return {
    name: 'nxtedition',
    sync: { put: true, get: true, batchPut: true, getMany: true, scan: true },
    describe: () => description,
    notes: ['WAL on: the binding has no option to disable it (writes use sync=false); walCompression off'],
    async open(dir) {
      db = await openRocksLevel(dir)
      one = db.batch()
      batch = db.batch()
    },
    put(key, value) {
      one._put(key, value, EMPTY)
      one._writeSync(EMPTY)
      one._clear()
    },
    get(key) {
      single[0] = key
      return db!._getManySync(single, EMPTY)[0]
    },
    batchPut(keys, values, start, end) {
      for (let i = start; i < end; i++) batch._put(keys[i], values[i], EMPTY)
      batch._writeSync(EMPTY)
      batch._clear()
    },
    getMany(keys) {
      return db!._getManySync(keys, EMPTY)
    },
    scan(batchSize, visit, limit = Infinity) {
      // Values only, as ours (forEachValue) and the ceiling read them: no key Buffers.
      const iterator = db!.iterator({ keys: false, values: true, keyEncoding: 'buffer', valueEncoding: 'buffer' })
      let count = 0
      try {
        while (count < limit) {
          const { rows, finished } = iterator._nextvSync(Math.min(batchSize, limit - count))
          for (let i = 1; i < rows.length; i += 2) visit(rows[i])
          count += rows.length >> 1
          if (finished) break
        }
      } finally {
        iterator._closeSync()
      }
      return count
    },
    async close() {
      await db?.close()
      db = undefined
    },
  }
}

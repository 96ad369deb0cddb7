import fs from 'node:fs'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { Driver } from './types'

function packageDir(): string {
  return path.dirname(require.resolve('classic-level/package.json'))
}

/** The LevelDB version in the headers the package was built from. */
function bundledLevelDBVersion(): string {
  try {
    const deps = path.join(packageDir(), 'deps/leveldb')
    const dir = fs.readdirSync(deps).find((name) => name.startsWith('leveldb-'))
    const header = fs.readFileSync(path.join(deps, dir!, 'include/leveldb/db.h'), 'utf8')
    const part = (name: string) => header.match(new RegExp(`k${name}Version = (\\d+)`))?.[1] ?? '?'
    return `${part('Major')}.${part('Minor')}`
  } catch {
    return 'unknown'
  }
}

/**
 * classic-level (LevelDB). Synchronous where it can be: getSync for get, and getMany as
 * a loop of getSync (faster than its promise-returning getMany, one thread-pool hop per
 * call). put, batch and iterator.nextv only exist as promises and are awaited one at a time.
 */
export function createDriver(): Driver {
  let db: ClassicLevel<Buffer, Buffer> | undefined
  const version = JSON.parse(fs.readFileSync(path.join(packageDir(), 'package.json'), 'utf8')).version as string
  return {
    name: 'classic-level',
    sync: { put: false, get: true, batchPut: false, getMany: true, scan: false },
    describe: () => `classic-level ${version}: LevelDB ${bundledLevelDBVersion()} (bundled prebuild)`,
    notes: ["LevelDB always writes its log (sync=false); put/batch/nextv are async only"],
    async open(dir) {
      db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
    },
    put(key, value) {
      return db!.put(key, value)
    },
    get(key) {
      return db!.getSync(key)
    },
    async batchPut(keys, values, start, end) {
      const batch = db!.batch()
      for (let i = start; i < end; i++) batch.put(keys[i], values[i])
      await batch.write()
    },
    getMany(keys) {
      const result = new Array<Buffer | undefined>(keys.length)
      for (let i = 0; i < keys.length; i++) result[i] = db!.getSync(keys[i])
      return result
    },
    async scan(batchSize, visit, limit = Infinity) {
      // Values only, as ours (forEachValue) and the ceiling read them: no key Buffers.
      const iterator = db!.iterator({ keys: false })
      let count = 0
      try {
        while (count < limit) {
          const entries = await iterator.nextv(Math.min(batchSize, limit - count))
          if (entries.length === 0) break
          for (let i = 0; i < entries.length; i++) visit(entries[i][1])
          count += entries.length
        }
      } finally {
        await iterator.close()
      }
      return count
    },
    async close() {
      await db?.close()
      db = undefined
    },
  }
}

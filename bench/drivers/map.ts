import type { Driver } from './types'

/**
 * A JS Map keyed by the key bytes as a latin1 string: the ceiling, no storage engine at
 * all. Values are kept by reference (no copy); the scan walks insertion order, not key order.
 */
export function createDriver(): Driver {
  let map = new Map<string, Buffer>()
  return {
    name: 'map',
    sync: { put: true, get: true, batchPut: true, getMany: true, scan: true },
    describe: () => `JS Map (V8 ${process.versions.v8})`,
    notes: ['Buffer key -> latin1 string; value kept by reference; scan in insertion order'],
    async open() {
      map = new Map()
    },
    put(key, value) {
      map.set(key.toString('latin1'), value)
    },
    get(key) {
      return map.get(key.toString('latin1'))
    },
    batchPut(keys, values, start, end) {
      for (let i = start; i < end; i++) map.set(keys[i].toString('latin1'), values[i])
    },
    getMany(keys) {
      const result = new Array<Buffer | undefined>(keys.length)
      for (let i = 0; i < keys.length; i++) result[i] = map.get(keys[i].toString('latin1'))
      return result
    },
    scan(_batchSize, visit, limit = Infinity) {
      let count = 0
      for (const value of map.values()) {
        if (count >= limit) break
        visit(value)
        count++
      }
      return count
    },
    async close() {
      map = new Map()
    },
  }
}

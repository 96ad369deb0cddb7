/**
 * One trial in its own process: `node --expose-gc --import tsx bench/drivers/run-trial.ts
 * <driver> <workload> <keys> [dir]`. Opens the driver on a fresh directory, prepares the
 * data (untimed), warms up, then times the whole workload loop with process.hrtime.bigint
 * (no per-operation timers). Prints one JSON line (TrialResult) on stdout.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generate, permutation, DEFAULT_SEED, type Dataset } from '../data'
import { loadDriver } from './index'
import { TrialClock, expectEqual as expect, gc, rssMB } from '../harness'
import type { Driver } from './types'

export const WORKLOADS = ['put', 'get', 'batchPut', 'getMany', 'scan'] as const
export type Workload = (typeof WORKLOADS)[number]

export const BATCH_PUT_SIZE = 1000
export const GET_MANY_SIZE = 100
export const SCAN_BATCH_SIZE = 1000

export interface TrialResult {
  driver: string
  workload: Workload
  keys: number
  /** Operations timed (entries for scan, keys read for getMany, entries written for batchPut). */
  ops: number
  seconds: number
  opsPerSecond: number
  /** User + system CPU seconds of the whole process (RocksDB background threads included) during the timed part. */
  cpuSeconds: number
  /** Whether the timed call was synchronous (false: each call awaited). */
  sync: boolean
  describe: string
  notes: string[]
  rssMB: number
  /** Untimed phases in seconds: open, data, load, other (warm-up, checks), close. */
  phases: Record<string, number>
}

async function load(driver: Driver, data: Dataset, count: number): Promise<void> {
  phase('other')
  for (let start = 0; start < count; start += BATCH_PUT_SIZE) {
    await driver.batchPut(data.keys, data.values, start, Math.min(start + BATCH_PUT_SIZE, count))
  }
  phase('load')
}

/** Sum of first byte + length of every value read: cheap, defeats dead-code elimination, checks results. */
function checksum(values: Buffer[], indices: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < indices.length; i++) sum += values[indices[i]][0] + values[indices[i]].length
  return sum
}

const clock = new TrialClock()
const phase = (name: string) => clock.phase(name)
const startClock = () => clock.start()
const seconds = (start: bigint) => clock.stop(start)

/** Runs `workload` and returns [ops, seconds] of the timed part. */
async function runWorkload(driver: Driver, workload: Workload, keys: number): Promise<[number, number]> {
  phase('open')
  const data = generate(keys)
  phase('data')
  const warmupCount = Math.min(10_000, Math.max(1, Math.floor(keys / 10)))
  const { keys: k, values: v } = data

  switch (workload) {
    case 'put': {
      const warm = generate(warmupCount, DEFAULT_SEED + 1)
      for (let i = 0; i < warmupCount; i++) await driver.put(warm.keys[i], warm.values[i])
      gc()
      const start = startClock()
      if (driver.sync.put) {
        for (let i = 0; i < keys; i++) driver.put(k[i], v[i])
      } else {
        for (let i = 0; i < keys; i++) await driver.put(k[i], v[i])
      }
      return [keys, seconds(start)]
    }
    case 'batchPut': {
      const warm = generate(warmupCount, DEFAULT_SEED + 1)
      await load(driver, warm, warmupCount)
      gc()
      const start = startClock()
      if (driver.sync.batchPut) {
        for (let s = 0; s < keys; s += BATCH_PUT_SIZE) driver.batchPut(k, v, s, Math.min(s + BATCH_PUT_SIZE, keys))
      } else {
        for (let s = 0; s < keys; s += BATCH_PUT_SIZE) await driver.batchPut(k, v, s, Math.min(s + BATCH_PUT_SIZE, keys))
      }
      return [keys, seconds(start)]
    }
    case 'get': {
      await load(driver, data, keys)
      const order = permutation(keys)
      const warmOrder = permutation(keys, DEFAULT_SEED + 2)
      for (let i = 0; i < warmupCount; i++) await driver.get(k[warmOrder[i]])
      const expected = checksum(v, order)
      gc()
      let sum = 0
      const start = startClock()
      if (driver.sync.get) {
        for (let i = 0; i < keys; i++) {
          const value = driver.get(k[order[i]]) as Buffer
          sum += value[0] + value.length
        }
      } else {
        for (let i = 0; i < keys; i++) {
          const value = (await driver.get(k[order[i]])) as Buffer
          sum += value[0] + value.length
        }
      }
      const elapsed = seconds(start)
      expect('get checksum', sum, expected)
      return [keys, elapsed]
    }
    case 'getMany': {
      await load(driver, data, keys)
      const order = permutation(keys)
      const batches: Buffer[][] = []
      for (let s = 0; s < keys; s += GET_MANY_SIZE) {
        const batch: Buffer[] = []
        for (let i = s; i < Math.min(s + GET_MANY_SIZE, keys); i++) batch.push(k[order[i]])
        batches.push(batch)
      }
      const warmOrder = permutation(keys, DEFAULT_SEED + 2)
      for (let s = 0; s + GET_MANY_SIZE <= warmupCount; s += GET_MANY_SIZE) {
        await driver.getMany(Array.from(warmOrder.subarray(s, s + GET_MANY_SIZE), (i) => k[i]))
      }
      const expected = checksum(v, order)
      gc()
      let sum = 0
      const start = startClock()
      for (let b = 0; b < batches.length; b++) {
        const values = (driver.sync.getMany ? driver.getMany(batches[b]) : await driver.getMany(batches[b])) as Buffer[]
        for (let i = 0; i < values.length; i++) sum += values[i][0] + values[i].length
      }
      const elapsed = seconds(start)
      expect('getMany checksum', sum, expected)
      return [keys, elapsed]
    }
    case 'scan': {
      await load(driver, data, keys)
      await driver.scan(SCAN_BATCH_SIZE, () => {}, warmupCount)
      const expected = checksum(v, Uint32Array.from({ length: keys }, (_, i) => i))
      gc()
      let sum = 0
      const visit = (value: Buffer) => {
        sum += value[0] + value.length
      }
      const start = startClock()
      const count = driver.sync.scan ? (driver.scan(SCAN_BATCH_SIZE, visit) as number) : await driver.scan(SCAN_BATCH_SIZE, visit)
      const elapsed = seconds(start)
      expect('scan count', count, keys)
      expect('scan checksum', sum, expected)
      return [count, elapsed]
    }
  }
}

export async function runTrial(driverName: string, workload: Workload, keys: number, dir: string): Promise<TrialResult> {
  const driver = await loadDriver(driverName)
  clock.resetMark()
  await driver.open(dir)
  let result: TrialResult
  try {
    const [ops, elapsed] = await runWorkload(driver, workload, keys)
    result = {
      driver: driver.name,
      workload,
      keys,
      ops,
      seconds: elapsed,
      opsPerSecond: ops / elapsed,
      cpuSeconds: clock.cpuSeconds,
      sync: driver.sync[workload],
      describe: driver.describe(),
      notes: driver.notes,
      rssMB: rssMB(),
      phases: clock.phases,
    }
  } finally {
    phase('other')
    await driver.close()
    phase('close')
  }
  return result
}

async function main(): Promise<void> {
  const [driverName, workload, keysArg, dirArg] = process.argv.slice(2)
  if (!driverName || !(WORKLOADS as readonly string[]).includes(workload) || !/^\d+$/.test(keysArg ?? '')) {
    console.error(`usage: run-trial.ts <driver> <${WORKLOADS.join('|')}> <keys> [dir]`)
    process.exit(2)
  }
  const dir = dirArg ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rks-bench-'))
  try {
    const result = await runTrial(driverName, workload as Workload, Number(keysArg), dir)
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    if (dirArg === undefined) fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}

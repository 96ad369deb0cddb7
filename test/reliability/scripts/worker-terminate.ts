// Worker threads ended from outside while the addon works for them. `worker-terminate.ts <mode>`:
//   each [task] - every long task of worker-tasks.ts (or the one named), terminated at its 1st and at its 3rd round;
//   many - 100 workers open, use and are terminated, 10 at a time, each on its own database,
//          all under one memory budget;
//   exit - a worker calls process.exit(3) with work in flight;
//   processExit <base> - the main thread calls process.exit(0) while a worker runs each long task;
//   reopen <base> - reports what the databases processExit left under <base> hold.
// After each worker is gone the main thread reopens its database (the worker's cleanup hook
// must have closed it) and reports what it holds. The process must then exit 0 by itself.
import { cpSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { RocksDB } from '../../../lib/native'
import { fill, report, runMain, tempBase } from './support'
import { bundleForWorkers } from './worker-bundle'
import { OPTIONS, PREFILLED } from './worker-tasks'

const bundle = bundleForWorkers(path.join(__dirname, 'worker-tasks.ts'))

let template: Promise<string> | undefined

/** A copy of one prefilled database in its own directory (the tasks put checkpoints and SST files next to it). */
async function prefilled(base: string, name: string): Promise<string> {
  template ??= (async () => {
    const dir = path.join(base, 'template')
    const db = await RocksDB.open(dir, OPTIONS)
    fill(db.columnFamily(), PREFILLED, 100)
    await db.flush()
    await db.close()
    return dir
  })()
  const dir = path.join(base, name, 'db')
  cpSync(await template, dir, { recursive: true })
  return dir
}

/** Runs `task` in a worker, terminating it at its `terminateAt`th 'started' (never when 0); resolves its exit code. */
function runWorker(task: string, dir: string, terminateAt: number): Promise<number> {
  // execArgv: [] keeps the parent's `--import tsx` out of the worker: the bundle is plain
  // CommonJS, and tsx's loader in every worker costs ~100 ms of CPU.
  const worker = new Worker(bundle, { workerData: { task, dir }, execArgv: [] })
  let rounds = 0
  worker.on('message', () => {
    if (++rounds === terminateAt) void worker.terminate()
  })
  return new Promise((resolve, reject) => {
    worker.on('error', reject)
    worker.on('exit', resolve)
  })
}

async function counts(dir: string) {
  const db = await RocksDB.open(dir, OPTIONS)
  const cf = db.columnFamily()
  const result = { prefilled: [...cf.iterator({ gte: 'k', lt: 'l' })].length, written: [...cf.iterator({ gte: 'w', lt: 'x' })].length }
  await db.close()
  return result
}

const LONG_TASKS = [
  'nextvAsync',
  'compactRange',
  'flush',
  'checkpoint',
  'ingest',
  'sstWriterFinish',
  'deleteFilesInRange',
  'createAndDropColumnFamily',
  'listColumnFamilies',
  'snapshotStream',
  'close',
  'syncGetLoop',
  'syncIteratorLoop',
  'syncBatchLoop',
]

async function each(only?: string) {
  const base = tempBase('terminate')
  const results: Record<string, unknown> = {}
  for (const task of only === undefined ? LONG_TASKS : [only]) {
    for (const terminateAt of [1, 3]) {
      const dir = await prefilled(base, `${task}-${terminateAt}`)
      const exitCode = await runWorker(task, dir, terminateAt)
      results[`${task}@${terminateAt}`] = { exitCode, ...(await counts(dir)) }
    }
  }
  return results
}

async function many() {
  // One process-wide block cache and write-buffer manager, shared by all 100 workers' databases
  // while their environments are torn down one after another.
  RocksDB.memoryBudget({ bytes: 64 << 20 })
  const base = tempBase('many-workers')
  const dirs = Array.from({ length: 100 }, (_, i) => path.join(base, `db-${i}`))
  const exitCodes: number[] = []
  for (let start = 0; start < dirs.length; start += 10) {
    exitCodes.push(...(await Promise.all(dirs.slice(start, start + 10).map((dir) => runWorker('openUseAndWait', dir, 1)))))
  }
  const written: number[] = []
  for (const dir of dirs) written.push((await counts(dir)).written)
  return { workers: dirs.length, exitCodes: [...new Set(exitCodes)], written: [...new Set(written)] }
}

async function exit() {
  const dir = await prefilled(tempBase('worker-exit'), 'db')
  return { exitCode: await runWorker('exitFromWorker', dir, 0), ...(await counts(dir)) }
}

/** Starts every long task in its own worker and calls process.exit(0) once all are under way. */
async function processExit(base: string) {
  mkdirSync(base, { recursive: true })
  const dirs = await Promise.all(LONG_TASKS.map((task) => prefilled(base, task)))
  let started = 0
  LONG_TASKS.forEach((task, i) => {
    const worker = new Worker(bundle, { workerData: { task, dir: dirs[i] }, execArgv: [] })
    worker.once('message', () => {
      if (++started === LONG_TASKS.length) process.exit(0)
    })
  })
  return new Promise<never>(() => {})
}

/** What every database under `base` that processExit left holds. */
async function reopen(base: string) {
  const results: Record<string, unknown> = {}
  for (const task of LONG_TASKS) results[task] = (await counts(path.join(base, task, 'db'))).prefilled
  return results
}

const modes = { each, many, exit, processExit, reopen }

runMain(async () => report(await modes[process.argv[2] as keyof typeof modes](process.argv[3])))

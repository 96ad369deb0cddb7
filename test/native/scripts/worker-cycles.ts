// Worker threads each open and close databases in a loop; some end with a database still
// open, which the per-environment cleanup hook closes. Argument: the directory to work in (the
// test removes it).
import path from 'node:path'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { RocksDB } from '../../../lib'

const WORKERS = 4
const CYCLES = 25

async function workerMain(dir: string, index: number, leaveOpen: boolean) {
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'w', ttlSeconds: 60 }] })
    const cf = db.columnFamily('w')
    cf.put(`worker-${index}-cycle-${cycle}`, 'v')
    cf.iterator().nextv(10)
    if (leaveOpen && cycle === CYCLES - 1) {
      db.snapshot()
      parentPort!.postMessage('left-open')
      return
    }
    await db.close()
  }
  parentPort!.postMessage('done')
}

async function main() {
  const base = process.argv[2]
  const results = await Promise.all(
    Array.from({ length: WORKERS }, (_, index) => {
      // tsx's CommonJS hook lets the worker load this TypeScript file.
      const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)})`, {
        eval: true,
        workerData: { dir: path.join(base, `db-${index}`), index, leaveOpen: index % 2 === 0 },
      })
      return new Promise<string>((resolve, reject) => {
        let message = ''
        worker.on('message', (m: string) => (message = m))
        worker.on('error', reject)
        worker.on('exit', (code) => (code === 0 ? resolve(message) : reject(new Error(`worker exited with ${code}`))))
      })
    }),
  )
  // Databases left open by exited workers were closed by their cleanup hook: they open again.
  let entries = 0
  for (let index = 0; index < WORKERS; index++) {
    const db = await RocksDB.open(path.join(base, `db-${index}`), { columnFamilies: [{ name: 'w', ttlSeconds: 60 }] })
    entries += [...db.columnFamily('w').iterator()].length
    await db.close()
  }
  console.log(JSON.stringify({ results, entries }))
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
} else {
  const { dir, index, leaveOpen } = workerData as { dir: string; index: number; leaveOpen: boolean }
  void workerMain(dir, index, leaveOpen)
}

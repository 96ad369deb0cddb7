// Workers start an operation of the addon and are terminated while it runs: an open, async
// nextv, compactRange, checkpoint, SST file finish or close in flight, or a loop of
// synchronous gets. The process must survive every one, and each database must open again
// afterwards (the worker's cleanup released it) with what was written before.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { RocksDB } from '../../../../lib'

const MODES = ['open', 'nextvAsync', 'compactRange', 'checkpoint', 'sstFinish', 'close', 'getLoop'] as const
const ROUNDS = Number(process.argv[2] ?? 8)

async function workerMain(dir: string, mode: (typeof MODES)[number]) {
  const opening = RocksDB.open(dir)
  if (mode === 'open') parentPort!.postMessage('started')
  const db = await opening
  const cf = db.columnFamily()
  const batch = db.batch()
  for (let i = 0; i < 20_000; i++) batch.put(cf, `key-${i}`, 'v'.repeat(64))
  db.write(batch)
  const ready = () => parentPort!.postMessage('started')
  switch (mode) {
    case 'open':
      for (;;) await new Promise((resolve) => setTimeout(resolve, 10))
    case 'nextvAsync': {
      const it = cf.iterator()
      for (;;) {
        const pending = it.nextvAsync(500)
        ready()
        if ((await pending).length === 0) it.seek('key-')
      }
    }
    case 'compactRange':
      for (;;) {
        const pending = db.compactRange(cf)
        ready()
        await pending
      }
    case 'checkpoint':
      for (let n = 0; ; n++) {
        const pending = db.checkpoint(`${dir}-cp-${n}`)
        ready()
        await pending
      }
    case 'sstFinish':
      for (let n = 0; ; n++) {
        const writer = db.sstWriter(cf, `${dir}-${n}.sst`)
        for (let i = 0; i < 5000; i++) writer.put(`key-${String(i).padStart(5, '0')}`, 'v')
        const pending = writer.finish()
        ready()
        await pending
      }
    case 'close': {
      const pending = db.close()
      ready()
      await pending
      return
    }
    case 'getLoop':
      ready()
      for (let i = 0; ; i = (i + 1) % 20_000) cf.get(`key-${i}`)
  }
}

async function main() {
  const base = mkdtempSync(path.join(tmpdir(), 'rks-terminate-'))
  let terminated = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const dir = path.join(base, `${mode}-${round}`)
      // tsx's CommonJS hook lets the worker load this TypeScript file.
      const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)})`, {
        eval: true,
        workerData: { dir, mode },
      })
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => void worker.terminate())
        worker.on('error', reject)
        worker.on('exit', () => resolve())
      })
      terminated++
      const reopened = await RocksDB.open(dir)
      const written = mode !== 'open' // terminated while opening, before writing
      if (written && reopened.columnFamily().get('key-1')?.toString() !== 'v'.repeat(64)) throw new Error(`${mode}: data lost`)
      await reopened.close()
    }
  }
  rmSync(base, { recursive: true, force: true })
  console.log(JSON.stringify({ terminated }))
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
} else {
  const { dir, mode } = workerData as { dir: string; mode: (typeof MODES)[number] }
  void workerMain(dir, mode)
}

// Writes 5000 values of 2 KB with the WAL on into `dir` (a 2 MiB tmpfs), and reports as JSON
// how the failing puts and close() ended. RocksDB's own info logger aborted
// the process here, logging the background error to a LOG on the same full disk.
import { randomBytes } from 'node:crypto'
import { RocksDB } from '../../../../lib'

function described(error: unknown) {
  return { name: (error as Error).name, code: (error as { code?: string }).code }
}

async function main(dir: string) {
  const db = await RocksDB.open(dir, { wal: true })
  const cf = db.columnFamily()
  let acked = 0
  let failedPut: unknown
  // No flushes: the WAL fills the disk. Writing on after the first failure is what made
  // RocksDB log once more to the LOG whose earlier write had failed.
  const laterPuts = new Set<string>()
  for (let i = 0; i < 5000; i++) {
    try {
      cf.put(`k${String(i).padStart(6, '0')}`, randomBytes(2000))
      acked++
    } catch (error) {
      if (failedPut === undefined) failedPut = described(error)
      else laterPuts.add(JSON.stringify(described(error)))
    }
  }
  const close = await db.close().then(() => 'resolved', described)
  console.log(JSON.stringify({ diskFilled: acked < 5000, failedPut, laterPuts: [...laterPuts].map((e) => JSON.parse(e)), close }))
}

void main(process.argv[2])

// The process ends with a database, iterators (one mid-async-nextv), a snapshot and an SST
// writer still open; the environment cleanup hook must close all of it without crashing.
// Arguments: drain|exit, and the directory to work in (the test removes it).
import path from 'node:path'
import { RocksDB } from '../../../lib'

async function main() {
  const base = process.argv[3]
  const db = await RocksDB.open(path.join(base, 'db'), { columnFamilies: [{ name: 'a', ttlSeconds: 10 }] })
  const cf = db.columnFamily('a')
  for (let i = 0; i < 10_000; i++) cf.put(`k${i}`, 'v'.repeat(100))
  const it = cf.iterator()
  it.nextv(10)
  const snapshot = db.snapshot()
  cf.iterator({ snapshot }).nextvAsync(5000)
  db.sstWriter(cf, path.join(base, 'x.sst')).put('a', 'b')
  void db.checkpoint(path.join(base, 'cp'))
  console.log('exiting with open handles')
  if (process.argv[2] === 'exit') process.exit(0)
}

void main()

// Acknowledged writes must survive the end of the process. `exit-with-writes.ts <mode> <dir>`
// writes 1,000 puts, a 100-put batch and 100 merges, leaves an iterator, a snapshot, an SST
// writer and async work open, and then ends by <mode>:
//   drain    - the event loop runs empty with everything still open;
//   exit     - process.exit(0) right after the writes;
//   uncaught - an uncaught exception (exit 1);
//   kill     - SIGKILL: no cleanup at all, only what reached the WAL (the OS has it) survives.
// A third argument 'default' opens with default options instead of an explicit `wal: true`.
// `verify <dir>` reopens the directory and reports what it holds.
import path from 'node:path'
import { RocksDB } from '../../../lib/native'
import { fill, report, runMain } from './support'

const PUTS = 1000
const BATCHED = 100
const MERGES = 100
const FAMILIES = { columnFamilies: [{ name: 'ttl', ttlSeconds: 3600 }] }

async function write(mode: string, dir: string, options: string) {
  const db = await RocksDB.open(dir, options === 'default' ? FAMILIES : { ...FAMILIES, wal: true })
  const cf = db.columnFamily()
  const ttl = db.columnFamily('ttl')
  fill(cf, PUTS)
  const batch = db.batch()
  for (let i = 0; i < BATCHED; i++) batch.put(ttl, `b${i}`, 'v')
  db.write(batch)
  for (let i = 0; i < MERGES; i++) ttl.merge('list', `${i}`)
  cf.iterator().nextv(10)
  db.snapshot()
  db.sstWriter(cf, path.join(path.dirname(dir), 'open.sst')).put('a', 'b')
  void cf.iterator().nextvAsync(PUTS)
  void db.checkpoint(path.join(path.dirname(dir), 'checkpoint'))
  console.log('acknowledged')
  if (mode === 'exit') process.exit(0)
  if (mode === 'kill') process.kill(process.pid, 'SIGKILL')
  if (mode === 'uncaught') setImmediate(() => {
    throw new Error('uncaught after acknowledged writes')
  })
}

async function verify(dir: string) {
  const db = await RocksDB.open(dir, FAMILIES)
  const ttl = db.columnFamily('ttl')
  report({
    puts: [...db.columnFamily().iterator()].length,
    batched: [...ttl.iterator({ gte: 'b', lt: 'c' })].length,
    merged: ttl.get('list')?.toString().split(',').length ?? 0,
  })
  await db.close()
}

runMain(async () => {
  const [mode, dir, options = 'wal'] = process.argv.slice(2)
  await (mode === 'verify' ? verify(dir) : write(mode, dir, options))
})

// Opens a database with the WAL on or off (argument 2: 'wal' or 'no-wal', passed explicitly),
// writes without flushing, then dies by SIGKILL: no close, no flush, no exit handler.
// Argument 1: the database directory (the test removes it).
import { RocksDB } from '../../../lib'

async function main() {
  const [dir, mode] = process.argv.slice(2)
  const db = await RocksDB.open(dir, { wal: mode === 'wal', columnFamilies: [{ name: 'a', ttlSeconds: 3600 }] })
  const cf = db.columnFamily('a')
  for (let i = 0; i < 100; i++) cf.put(`k${i}`, `v${i}`)
  db.write(db.batch().put(db.columnFamily(), 'batched', 'yes').merge(cf, 'list', 'x').merge(cf, 'list', 'y'))
  console.log('written')
  process.kill(process.pid, 'SIGKILL')
}

void main()

// 1000 synchronous puts on RocksDB.open(dir) (default options, or `wal: false` when the
// third argument is `no-wal`), then the process ends abruptly: `exit` calls process.exit(),
// `close-exit` calls it right after starting db.close(), `throw` dies of an uncaught exception.
import { RocksDB } from '../../../../lib'

async function main(dir: string, mode: string, wal: string | undefined) {
  const db = await RocksDB.open(dir, wal === 'no-wal' ? { wal: false } : {})
  const cf = db.columnFamily()
  for (let i = 0; i < 1000; i++) cf.put(`key-${i}`, `value-${i}`)
  console.log('acknowledged 1000')
  if (mode === 'close-exit') void db.close()
  if (mode !== 'throw') process.exit(0)
  throw new Error('uncaught after 1000 puts')
}

void main(process.argv[2], process.argv[3], process.argv[4])

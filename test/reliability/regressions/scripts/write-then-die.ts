// 1000 synchronous puts on RocksDB.open(dir) with default options, then the process ends
// abruptly: `exit` calls process.exit(), `throw` dies of an uncaught exception.
import { RocksDB } from '../../../../lib'

async function main(dir: string, mode: string) {
  const db = await RocksDB.open(dir)
  const cf = db.columnFamily()
  for (let i = 0; i < 1000; i++) cf.put(`key-${i}`, `value-${i}`)
  console.log('acknowledged 1000')
  if (mode === 'exit') process.exit(0)
  throw new Error('uncaught after 1000 puts')
}

void main(process.argv[2], process.argv[3])

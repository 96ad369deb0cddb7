// A JS getter that the native layer evaluates while reading its arguments calls db.close()
// and waits until the close ran on the thread pool; the native call must then refuse with
// ClosedError instead of using the freed database. Prints the outcome as JSON.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RocksDB } from '../../../../lib'
import { binding, type NativeDatabase } from '../../../../lib/native/binding'

async function main(which: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rks-getter-'))
  const db = await RocksDB.open(dir)
  const cf = db.columnFamily()
  for (let i = 0; i < 100; i++) cf.put(`k${i}`, 'v')
  const native = (db as unknown as { native: NativeDatabase }).native
  let closing: Promise<void> | undefined
  const closeAndWait = () => {
    closing = db.close()
    // Busy-waits (no event loop turn) until the thread pool finished the close.
    const until = Date.now() + 500
    while (Date.now() < until) {}
  }
  let outcome: unknown
  try {
    if (which === 'getMany') {
      const keys: Buffer[] = [Buffer.from('k1'), Buffer.from('k2')]
      Object.defineProperty(keys, 1, { get: () => (closeAndWait(), Buffer.from('k2')) })
      outcome = native.getMany(cf.id, keys).length
    } else if (which === 'iterator') {
      const options = { get gte() { closeAndWait(); return Buffer.from('k') } }
      outcome = native.iterator(cf.id, options).nextv(10, 1 << 20)
    } else {
      const other = new binding.Database()
      const options = { get createIfMissing() { closing = other.close(); return true } }
      outcome = await other.open(`${dir}-other`, options)
    }
  } catch (error) {
    outcome = { error: (error as Error).name, code: (error as { code?: string }).code }
  }
  await closing
  console.log(JSON.stringify(outcome))
}

void main(process.argv[2])

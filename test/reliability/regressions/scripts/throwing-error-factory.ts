// A completion callback whose error cannot be built the usual way (the error factory
// throws): the promise must still settle, and close() must not stay pending forever.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RocksDB } from '../../../../lib'
import { binding } from '../../../../lib/native/binding'

async function settled(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: Error & { code?: string }) => `rejected ${error.code}`,
  )
}

async function main() {
  const base = mkdtempSync(path.join(tmpdir(), 'rks-factory-'))
  const dir = path.join(base, 'db')
  const db = await RocksDB.open(dir, { wal: false })
  db.columnFamily().put('k', 'v')
  rmSync(dir, { recursive: true, force: true }) // the next flush fails: a background error
  binding.setErrorFactory(() => {
    throw new Error('the error factory is broken')
  })
  console.log(`flush ${await settled(db.flush())}`)
  console.log(`close ${await settled(db.close())}`)
  rmSync(base, { recursive: true, force: true })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

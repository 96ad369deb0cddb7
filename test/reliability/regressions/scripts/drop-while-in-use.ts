// dropColumnFamily while the family's handle is in use: a flush, compactRange, ingest and
// deleteFilesInRange running on the thread pool, and SST writers made before the drop that
// are opened, written and finished after it, and an iterator made before it and read after.
// Nothing may read a destroyed handle.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RocksDB } from '../../../../lib'

const ROUNDS = Number(process.argv[2] ?? 20)

async function settle(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: Error & { code?: string }) => error.code ?? error.name,
  )
}

async function main() {
  const base = mkdtempSync(path.join(tmpdir(), 'rks-drop-'))
  const db = await RocksDB.open(path.join(base, 'db'))
  const outcomes = new Set<string>()
  for (let round = 0; round < ROUNDS; round++) {
    const cf = await db.createColumnFamily(`cf-${round}`)
    const batch = db.batch()
    for (let i = 0; i < 5000; i++) batch.put(cf, `key-${String(i).padStart(5, '0')}`, 'v'.repeat(32))
    db.write(batch)
    const sst = path.join(base, `in-${round}.sst`)
    const prepared = db.sstWriter(cf, sst)
    prepared.put('zz', 'ingested')
    await prepared.finish()
    // Native writers made before the drop, opened and used after it.
    const native = (db as unknown as { native: { sstWriter(cf: number): { open(p: string): void; put(k: Uint8Array, v: Uint8Array, raw: boolean): void; finish(): Promise<unknown>; close(): void } } }).native
    const unopened = native.sstWriter(cf.id)
    const iterator = cf.iterator()
    const inUse = [
      db.flush(cf),
      db.compactRange(cf),
      db.ingest(cf, [sst]),
      db.deleteFilesInRange(cf, 'key-00000', 'key-02000'),
    ].map(settle)
    const dropped = settle(db.dropColumnFamily(cf))
    for (const outcome of await Promise.all([...inUse, dropped])) outcomes.add(outcome)
    unopened.open(path.join(base, `late-${round}.sst`))
    unopened.put(Buffer.from('a'), Buffer.from('b'), false)
    outcomes.add(await settle(unopened.finish()))
    outcomes.add(iterator.nextv(10).length === 10 ? 'ok' : 'iterator lost entries')
    iterator.close()
  }
  await db.close()
  rmSync(base, { recursive: true, force: true })
  console.log(JSON.stringify({ rounds: ROUNDS, outcomes: [...outcomes].sort() }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

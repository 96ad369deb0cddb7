// Closes databases while async work is in flight, with iterators, snapshots, batches and SST
// writers open, and with several close() calls at once. Every promise must settle ('ok' or
// ClosedError), close() must resolve, and the directory must reopen with its data.
import path from 'node:path'
import { RocksDB } from '../../../lib/native'
import { openFixture, type Fixture } from './surface'
import { outcome, report, runMain, tempBase } from './support'

/** Each async operation, started on an open database (its promise is what close must not strand). */
const asyncWork: Record<string, (f: Fixture) => Promise<unknown>> = {
  nextvAsync: (f) => f.cf.iterator().nextvAsync(2000),
  flush: (f) => f.db.flush(),
  compactRange: (f) => f.db.compactRange(f.cf),
  checkpoint: (f) => f.db.checkpoint(path.join(f.base, 'checkpoint')),
  ingest: (f) => f.db.ingest(f.cf, [f.sstFile]),
  deleteFilesInRange: (f) => f.db.deleteFilesInRange(f.cf, 'k0000000', 'k0000500'),
  sstWriterFinish: (f) => f.writer.finish(),
  createColumnFamily: (f) => f.db.createColumnFamily('created'),
  dropColumnFamily: (f) => f.db.dropColumnFamily(f.other),
}

async function entriesAfterReopen(f: Fixture): Promise<number> {
  const db = await RocksDB.open(path.join(f.base, 'db'))
  const count = [...db.columnFamily().iterator()].length
  await db.close()
  return count
}

/** Starts `names` on one fixture, then calls close() `closers` times at once. */
async function closeDuring(names: string[], closers: number) {
  const f = await openFixture(tempBase('busy'))
  const work = names.map((name) => outcome(() => asyncWork[name](f)))
  const closes = Array.from({ length: closers }, () => outcome(() => f.db.close()))
  const results = await Promise.all(work)
  const outcomes = Object.fromEntries(names.map((name, i) => [name, results[i]]))
  return { outcomes, closes: await Promise.all(closes), entries: await entriesAfterReopen(f) }
}

runMain(async () => {
  const names = Object.keys(asyncWork)
  const each: Record<string, unknown> = {}
  for (const name of names) each[name] = await closeDuring([name], 1)
  report({ each, all: await closeDuring(names, 1), concurrentCloses: await closeDuring(names, 8) })
})

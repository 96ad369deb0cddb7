// Calls that used to abort the process (a RocksDB assertion or an escaping C++ exception),
// each made directly on the native binding so the TypeScript checks cannot hide them.
// Prints every outcome (error class and code, or the result) as JSON.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RocksDB } from '../../../../lib'
import type { NativeDatabase } from '../../../../lib/native/binding'

function outcome(run: () => unknown): unknown {
  try {
    const value = run()
    return Array.isArray(value) ? value.map((v) => (v === undefined ? null : String(v))) : value === undefined ? null : String(value)
  } catch (error) {
    const e = error as Error & { code?: string }
    return { error: e.constructor.name, code: e.code }
  }
}

async function asyncOutcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    const e = error as Error & { code?: string }
    return { error: e.constructor.name, code: e.code }
  }
}

async function main(which: string) {
  const base = mkdtempSync(path.join(tmpdir(), 'rks-boundary-'))
  const db = await RocksDB.open(path.join(base, 'db'))
  const cf = db.columnFamily()
  const native = (db as unknown as { native: NativeDatabase }).native
  const b = (text: string) => Buffer.from(text)
  cf.put('a', '1')
  cf.put('b', '2')
  const results: Record<string, unknown> = {}
  switch (which) {
    case 'ranges':
      results.approximateSize = outcome(() => native.approximateSize(cf.id, b('z'), b('a')))
      results.approximateSizeEmpty = outcome(() => native.approximateSize(cf.id, b('a'), b('a')))
      results.compactRange = await asyncOutcome(() => native.compactRange(cf.id, b('z'), b('a')))
      results.deleteFilesInRange = await asyncOutcome(() => native.deleteFilesInRange(cf.id, b('z'), b('a')))
      results.iteratorReversedBounds = outcome(() => native.iterator(cf.id, { gte: b('z'), lt: b('a') }).nextv(10).readUInt32LE(0))
      break
    case 'huge-array':
      results.getMany = outcome(() => native.getMany(cf.id, new Array(2 ** 32 - 1)))
      break
    case 'empty-bytes': {
      results.getMany = outcome(() => cf.getMany(['', 'b']))
      results.getManyBuffers = outcome(() => cf.getMany([Buffer.alloc(0), new Uint8Array(0), b('a')]))
      cf.put(Buffer.alloc(0), new Uint8Array(0))
      results.emptyKeyValue = outcome(() => cf.get(new Uint8Array(0))?.length)
      results.deleteRangeFromEmpty = outcome(() => cf.deleteRange('', 'a'))
      const writer = db.sstWriter(cf, path.join(base, 'w.sst'))
      writer.put('a', 'x')
      results.sstDescendingEmptyKey = outcome(() => writer.put('', 'y'))
      writer.close()
      break
    }
    case 'memory-budget-reentrant': {
      let inner: unknown
      const budget = RocksDB.memoryBudget({
        get bytes() {
          inner = RocksDB.memoryBudget()
          return 8 << 20
        },
      })
      results.budget = budget?.bytes
      results.inner = inner
      RocksDB.memoryBudget(null)
      break
    }
  }
  await db.close()
  rmSync(base, { recursive: true, force: true })
  console.log(JSON.stringify(results))
}

main(process.argv[2]).catch((error) => {
  console.error(error)
  process.exit(1)
})

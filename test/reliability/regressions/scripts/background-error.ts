// Puts a database into RocksDB's background-error state (its directory is removed, so the
// next flush fails) and prints what every later call reports, as JSON. A child process: the
// files vanish under RocksDB's background threads.
import { rmSync } from 'node:fs'
import { RocksDB } from '../../../../lib'

type Outcome = string | { error: string; code?: string; message: string }

function describe(error: unknown): Outcome {
  const e = error as Error & { code?: string }
  return { error: e.constructor.name, code: e.code, message: e.message }
}

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    const value = await run()
    return value === undefined ? 'ok' : String(value)
  } catch (error) {
    return describe(error)
  }
}

async function main(dir: string, wal: boolean) {
  const db = await RocksDB.open(dir, { wal })
  const cf = db.columnFamily()
  for (let i = 0; i < 100; i++) cf.put(`key-${i}`, 'v')
  rmSync(dir, { recursive: true, force: true })
  const results = {
    flush: await outcome(() => db.flush()),
    put: await outcome(() => cf.put('later', 'v')),
    delete: await outcome(() => cf.delete('key-1')),
    checkpoint: await outcome(() => db.checkpoint(`${dir}-cp`)),
    get: await outcome(() => cf.get('key-1')?.toString()),
    close: await outcome(() => db.close()),
  }
  console.log(JSON.stringify(results))
}

main(process.argv[2], process.argv[3] === 'wal').catch((error) => {
  console.error(error)
  process.exit(1)
})

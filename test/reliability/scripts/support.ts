// Shared by the reliability scripts, which run in child processes: temporary directories,
// the one-line report the tests parse, the typed-error check, and a small data set.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { KeyedStateError, RocksDBError } from '../../../lib/errors'
import type { ColumnFamily } from '../../../lib/native'

const made: string[] = []
process.on('exit', () => {
  for (const dir of made) {
    // Never throw from an exit listener: with worker threads still running, Node then hangs
    // instead of exiting. A temp dir left behind is harmless.
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {}
  }
})

/**
 * A fresh directory, removed when the process exits normally: under the system temp dir, or
 * with 'memory' in tmpfs where there is one (for cases that test calls, not disks: there
 * flush, checkpoint and SST files cost no fsync).
 */
export function tempBase(prefix: string, where: 'disk' | 'memory' = 'disk'): string {
  const parent = where === 'memory' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dir = mkdtempSync(path.join(parent, `rks-${prefix}-`))
  made.push(dir)
  return dir
}

/** Prints the script's result as the line test/helpers/child-report.ts looks for. */
export function report(result: unknown): void {
  console.log(`REPORT ${JSON.stringify(result)}`)
}

/** Runs a script's main; a rejection is printed and fails the process (exit 1). */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}

/** The errors a misused call may end in: argument errors and the library's own errors. */
export function isTypedError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof KeyedStateError
}

/**
 * How a call ended: 'ok', or the class of what it threw (sync) or rejected with (async),
 * with the code of a RocksDBError ('RocksDBError:ColumnFamilyDropped').
 */
export async function outcome(call: () => unknown): Promise<string> {
  try {
    await call()
    return 'ok'
  } catch (error) {
    if (error instanceof RocksDBError) return `RocksDBError:${error.code}`
    return error instanceof Error ? error.constructor.name : `non-error ${String(error)}`
  }
}

/** Writes `count` entries `k<i>` → `v<i>` padded to `valueBytes`. */
export function fill(cf: ColumnFamily, count: number, valueBytes = 16): void {
  for (let i = 0; i < count; i++) cf.put(`k${String(i).padStart(7, '0')}`, `v${i}`.padEnd(valueBytes, '.'))
}

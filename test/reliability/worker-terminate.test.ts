import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HEAVY_TIMEOUT, childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const script = path.join(__dirname, 'scripts', 'worker-terminate.ts')
const tempDir = useTempDirs()

/** Runs a mode in a child process, which must exit 0 by itself, and returns its report. */
function run<T>(mode: string, ...args: string[]): T {
  const result = runScript(script, [mode, ...args])
  expectCleanExit(result)
  return childReport<T>(result)
}

// worker.terminate() gives exit code 1.
const TERMINATED = 1

describe('ending worker threads never takes the process down or loses the database', () => {
  it('worker.terminate() during each async operation (nextvAsync, compactRange, flush, checkpoint, ingest, SST writer finish, deleteFilesInRange, create/dropColumnFamily, listColumnFamilies, the snapshot stream with its snappy and zstd frames, open/close) and synchronous get, iterator and batch loops, at the 1st and 3rd round', () => {
    const results = run<Record<string, { exitCode: number; prefilled: number }>>('each')
    expect(Object.keys(results)).toHaveLength(28)
    for (const [task, { exitCode, prefilled }] of Object.entries(results)) {
      // The main thread reopened the database: the worker's cleanup released it, data intact.
      expect({ task, exitCode, prefilled }).toEqual({ task, exitCode: TERMINATED, prefilled: 20_000 })
    }
  }, HEAVY_TIMEOUT)

  it('100 workers sharing one memory budget open, write, leave work in flight and are terminated; every database reopens with its writes', () => {
    expect(run('many')).toEqual({ workers: 100, exitCodes: [TERMINATED], written: [10] })
  }, HEAVY_TIMEOUT)

  it('a worker calling process.exit() ends only itself; its acknowledged writes survive', () => {
    expect(run('exit')).toEqual({ exitCode: 3, prefilled: 20_000, written: 100 })
  })

  it('process.exit() in the main thread while a worker runs each long task: exit 0, every database reopens intact', () => {
    const base = tempDir()
    const result = runScript(script, ['processExit', base])
    expectCleanExit(result)
    const prefilled = Object.values(run<Record<string, number>>('reopen', base))
    expect(prefilled).toHaveLength(14)
    expect(new Set(prefilled)).toEqual(new Set([20_000]))
  })
})

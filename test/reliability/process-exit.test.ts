import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const script = path.join(__dirname, 'scripts', 'exit-with-writes.ts')

function survivors(dir: string) {
  const result = runScript(script, ['verify', dir])
  expectCleanExit(result)
  return childReport<{ puts: number; batched: number; merged: number }>(result)
}

const EVERY_WRITE = { puts: 1000, batched: 100, merged: 100 }

describe('writes acknowledged before the process ends survive reopen (WAL on), with handles left open', () => {
  it.each([
    ['the event loop drains', 'drain'],
    ['process.exit()', 'exit'],
  ])('%s', (_, mode) => {
    const dir = tempDir()
    const result = runScript(script, [mode, dir])
    expectCleanExit(result)
    expect(result.stdout).toContain('acknowledged')
    expect(survivors(dir)).toEqual(EVERY_WRITE)
  })

  it('an uncaught exception: exit 1 with the exception, no abort', () => {
    const dir = tempDir()
    const result = runScript(script, ['uncaught', dir])
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 1, signal: null })
    expect(result.stderr).toContain('uncaught after acknowledged writes')
    expect(result.stderr).not.toMatch(/terminate called|Abort|Segmentation|AddressSanitizer/)
    expect(survivors(dir)).toEqual(EVERY_WRITE)
  })

  it.each(['wal', 'default'])('SIGKILL, opened with %s options: what reached the WAL survives', (options) => {
    const dir = tempDir()
    const result = runScript(script, ['kill', dir, options])
    expect(result.signal).toBe('SIGKILL')
    expect(result.stdout).toContain('acknowledged')
    expect(survivors(dir)).toEqual(EVERY_WRITE)
  })
})

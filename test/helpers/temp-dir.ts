import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'

/** A fresh temporary directory per call, removed after the test. */
export function useTempDirs(): (name?: string) => string {
  const made: string[] = []
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  return (name = 'db') => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rks-test-'))
    made.push(dir)
    return path.join(dir, name)
  }
}

// Issue 8 review: a full disk with the WAL on aborted the process on Debian's RocksDB build
// (`Assertion 'sync_without_flush_called_' failed`): RocksDB's info logger wrote the
// background error to the LOG on the same full disk. The LOG is now written by a logger that
// stops at its first failed write, so the put fails with a BackgroundError and close() rejects.
// A small disk needs a tmpfs mount, which needs root: other users skip this test.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runScript } from '../../helpers/run-script'

const isRoot = process.getuid?.() === 0

describe('a full disk', () => {
  it.skipIf(!isRoot)('regression: a full disk with the WAL on aborted the process (RocksDB logging to the full disk)', () => {
    const mountPoint = mkdtempSync(path.join(tmpdir(), 'rks-full-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint])
    try {
      const result = runScript(path.join(__dirname, 'scripts', 'disk-full.ts'), [path.join(mountPoint, 'db')])
      expect(result.signal).toBeNull()
      expect(result.stderr).toBe('')
      expect(result.status).toBe(0)
      const backgroundError = { name: 'BackgroundError', code: 'BackgroundError' }
      expect(JSON.parse(result.stdout)).toEqual({
        diskFilled: true,
        failedPut: backgroundError,
        laterPuts: [backgroundError],
        close: backgroundError,
      })
    } finally {
      execFileSync('umount', [mountPoint])
      rmSync(mountPoint, { recursive: true, force: true })
    }
  })
})

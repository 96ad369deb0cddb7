// Issue 8, "Data loss": RocksDB.open ran without a WAL by default, so process.exit() or an
// uncaught exception after 1000 acknowledged synchronous puts lost all 1000. The WAL is on
// by default now, and a database opened with `wal: false` is flushed when the process exits.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../../lib'
import { runScript } from '../../helpers/run-script'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

async function survivors(dir: string): Promise<number> {
  const db = await RocksDB.open(dir)
  const cf = db.columnFamily()
  let found = 0
  for (let i = 0; i < 1000; i++) if (cf.get(`key-${i}`)?.toString() === `value-${i}`) found++
  await db.close()
  return found
}

describe('acknowledged writes survive the process ending', () => {
  for (const [mode, status, wal] of [
    ['exit', 0, 'default'],
    ['throw', 1, 'default'],
    ['exit', 0, 'no-wal'],
    ['throw', 1, 'no-wal'],
    ['close-exit', 0, 'no-wal'],
  ] as const) {
    const endings = { exit: 'process.exit()', 'close-exit': 'close() and at once process.exit()', throw: 'an uncaught exception' }
    const ending = endings[mode]
    const options = wal === 'no-wal' ? '{ wal: false }, flushed at exit' : 'default options, WAL on'
    it(`regression: 1000 puts then ${ending} lost every write (${options})`, async () => {
      const dir = tempDir()
      const result = runScript(path.join(__dirname, 'scripts', 'write-then-die.ts'), [dir, mode, wal])
      expect(result.signal).toBeNull()
      expect(result.status).toBe(status)
      expect(result.stdout).toContain('acknowledged 1000')
      expect(await survivors(dir)).toBe(1000)
    })
  }
})

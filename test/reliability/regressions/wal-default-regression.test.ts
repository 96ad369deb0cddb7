// Issue 8, "Data loss": RocksDB.open ran without a WAL by default, so process.exit() or an
// uncaught exception after 1000 acknowledged synchronous puts lost all 1000.
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

describe('acknowledged writes survive the process ending (WAL on by default)', () => {
  for (const [mode, status] of [
    ['exit', 0],
    ['throw', 1],
  ] as const) {
    it(`regression: 1000 puts then ${mode === 'exit' ? 'process.exit()' : 'an uncaught exception'} lost every write`, async () => {
      const dir = tempDir()
      const result = runScript(path.join(__dirname, 'scripts', 'write-then-die.ts'), [dir, mode])
      expect(result.signal).toBeNull()
      expect(result.status).toBe(status)
      expect(result.stdout).toContain('acknowledged 1000')
      expect(await survivors(dir)).toBe(1000)
    })
  }
})

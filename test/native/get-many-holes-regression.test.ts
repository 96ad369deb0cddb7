// Regression: getMany's packed values (5f38cde) came back as a sparse array, missing keys as
// holes rather than undefined elements, so map, forEach, filter and `i in values` skipped them
// (`getMany(keys).map((v) => v ?? fallback)` kept the holes).
import { expect, it } from 'vitest'
import { RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

it('getMany returns a missing or expired key as an undefined element, not a hole', async () => {
  const db = await RocksDB.open(tempDir())
  const cf = db.columnFamily()
  cf.put('b', 'B')
  for (const options of [{}, { raw: true }, { skipExpired: true }]) {
    const values = cf.getMany(['a', 'b', 'c'], options)
    expect(values).toHaveLength(3)
    expect([0, 1, 2].map((i) => i in values)).toEqual([true, true, true])
    expect(values.map((value) => (value === undefined ? 'missing' : 'found'))).toEqual(['missing', 'found', 'missing'])
  }
  await db.close()
})

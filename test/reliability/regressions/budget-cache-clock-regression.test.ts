// A memory budget's block cache holds RocksDB's collector of its entry statistics, made with the
// clock of the database that first read them (a getProperty of rocksdb.block-cache-entry-stats,
// or the periodic stats dump) and used by every database under the budget after it. A
// ManualClock's clock was freed once that database and the clock were collected: the next
// database to read the statistics called the freed clock (segfault). The budget now keeps the
// clocks of the databases opened under it.
import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../../helpers/child-report'
import { runScript } from '../../helpers/run-script'

it('regression: a database under a memory budget read block cache statistics through a collected ManualClock', () => {
  const result = runScript(path.join(__dirname, 'scripts', 'budget-cache-clock.ts'), [], ['--expose-gc'])
  expectCleanExit(result)
  expect(childReport<{ stats: boolean }>(result).stats).toBe(true)
})

// A closed database kept its block cache until V8 collected its JS object, which may be much
// later: V8 does not see native memory. Harmless while the cache held only what was read, but a
// HyperClockCache (the bundled RocksDB 9.x, the release prebuild) allocates its 4 MiB slot table
// when it is made: 500 open/close cycles without a collection held 2 GB, and leaks.test.ts's
// 1,000 cycles grew RSS by 1.27 GB. Large allocations are made mmap'ed here, so that what close()
// frees leaves RSS at once instead of staying in glibc's heap; under ASan (npm run test:asan) its
// quarantine is turned off, else every freed byte stays allocated until 256 MB of them queue up.
import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../../helpers/child-report'
import { runScript } from '../../helpers/run-script'

it('regression: a closed database kept its block cache (4 MiB of slot table with HyperClockCache) until V8 collected it', () => {
  const asanOptions = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=0'].filter(Boolean).join(':')
  const result = runScript(path.join(__dirname, 'scripts', 'closed-database-cache.ts'), [], [], { MALLOC_MMAP_THRESHOLD_: '131072', ASAN_OPTIONS: asanOptions })
  expectCleanExit(result)
  const { cycles, grownMiB } = childReport<{ cycles: number; grownMiB: number }>(result)
  expect(cycles).toBe(200)
  expect(grownMiB).toBeLessThan(100) // 800 MiB before, with HyperClockCache
})

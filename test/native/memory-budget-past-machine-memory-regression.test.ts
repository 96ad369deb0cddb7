import os from 'node:os'
import { afterEach, expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'

afterEach(() => {
  RocksDB.memoryBudget(null)
})

// A HyperClockCache allocates its slot table, about 3% of its capacity, as it is made: 2 ** 53
// bytes (one of the fuzz's values) threw std::bad_alloc, a plain Error, and a budget of 64 GiB
// took 2 GiB of RSS at once (so 1 TiB, 32 GiB).
it('regression: memoryBudget refuses more bytes than the machine has with a RangeError, leaving the budget as it was', () => {
  RocksDB.memoryBudget({ bytes: 8 << 20 })
  for (const bytes of [2 ** 53, os.totalmem() + (1 << 20)]) {
    expect(() => RocksDB.memoryBudget({ bytes })).toThrow(RangeError)
    expect(RocksDB.memoryBudget()?.bytes).toBe(8 << 20)
  }
})

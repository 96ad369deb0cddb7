// Issue 8, "Process aborts": each call below used to kill the whole process (a RocksDB
// assertion, an escaping C++ exception, a deadlock or worker teardown), so each runs in a
// child process and the test checks that the child lives and reports a proper JS error.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runScript } from '../../helpers/run-script'

const script = (name: string) => path.join(__dirname, 'scripts', name)

function boundary(which: string): Record<string, unknown> {
  const result = runScript(script('native-boundary.ts'), [which])
  expect(result.stderr).toBe('')
  expect(result.signal).toBeNull()
  expect(result.status).toBe(0)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

describe('native calls that aborted the process', () => {
  it('regression: approximateSize(cf, "z", "a") hit a RocksDB assertion; every reversed range is a RangeError', () => {
    expect(boundary('ranges')).toEqual({
      approximateSize: { error: 'RangeError' },
      approximateSizeEmpty: '0',
      compactRange: { error: 'RangeError' },
      deleteFilesInRange: { error: 'RangeError' },
      iteratorReversedBounds: '0', // gte after lt: an empty iterator, never handed to RocksDB
    })
  })

  it('regression: getMany with a huge array let std::bad_alloc escape', () => {
    expect(boundary('huge-array')).toEqual({ getMany: { error: 'TypeError' } })
  })

  it("regression: zero-length keys reached RocksDB as null pointers (getMany(['', 'b']), SstWriter put('a') then put(''))", () => {
    expect(boundary('empty-bytes')).toEqual({
      getMany: [null, '2'],
      getManyBuffers: [null, null, '1'],
      emptyKeyValue: '0',
      deleteRangeFromEmpty: null,
      sstDescendingEmptyKey: { error: 'RocksDBError', code: 'InvalidArgument' }, // keys must ascend
    })
  })

  it('regression: memoryBudget(options) deadlocked when a getter of options called it again', () => {
    expect(boundary('memory-budget-reentrant')).toEqual({ budget: 8 << 20, inner: null })
  })

  it('regression: a throw inside a completion callback escaped it (uncaught exception, promises never settled)', () => {
    const result = runScript(script('throwing-error-factory.ts'))
    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    // The error factory throws: the error is built without it, and both promises settle.
    expect(result.stdout).toBe('flush rejected BackgroundError\nclose rejected BackgroundError\n')
  })

  it('regression: worker.terminate() during nextvAsync, compactRange, checkpoint, close or a get loop aborted the process (open and SST finish too)', () => {
    const result = runScript(script('terminate-workers.ts'), ['8'])
    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ terminated: 56 }) // 7 kinds of call x 8 rounds
  })
})

import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

it('GC releases forgotten iterators (also mid-nextvAsync), snapshots, batches, SST writers (also finishing) and whole databases holding them', () => {
  const result = runScript(path.join(__dirname, 'scripts', 'gc-forgotten.ts'), [], ['--expose-gc'])
  expectCleanExit(result)
  expect(childReport(result)).toEqual({ forgotten: 200, reopened: 5 })
})

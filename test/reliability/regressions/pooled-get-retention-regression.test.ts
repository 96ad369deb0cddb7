// Regression (5f38cde): get's pooled chunks were external ArrayBuffers, which Node frees only from
// a setImmediate after GC and V8 does not count: one synchronous loop of 300k gets of 1 KB
// values kept all 300 MB of them (values of their own, above 4 KiB, stayed flat). Chunks are
// ordinary ArrayBuffers now, so the native side must also never write into one JS detached.
import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../../helpers/child-report'
import { runScript } from '../../helpers/run-script'

const script = path.join(__dirname, 'scripts', 'pooled-get-retention.ts')

it('regression: pooled get values read in one synchronous loop are freed by GC, not kept until the event loop turns', () => {
  const result = runScript(script, ['retention'])
  expectCleanExit(result)
  const { grownMiB, bytes } = childReport<{ grownMiB: number; bytes: number }>(result)
  expect(bytes).toBe(600_000 * 1000)
  expect(grownMiB).toBeLessThan(100)
})

it('a chunk detached by ArrayBuffer.prototype.transfer is never written again', () => {
  // Behind a flag on Node 20, shipped from Node 21 on (where the flag is an error).
  const result = runScript(script, ['transfer'], 'transfer' in ArrayBuffer.prototype ? [] : ['--harmony-rab-gsab-transfer'])
  expectCleanExit(result)
  expect(childReport(result)).toEqual({ intact: true, laterValid: true })
})

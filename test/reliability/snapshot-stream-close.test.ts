import path from 'node:path'
import { expect, it } from 'vitest'
import { childReport, expectCleanExit, HEAVY_TIMEOUT } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

interface Stopped {
  snapshot: string
  stop: string
  midway: boolean
  leftovers: string[]
}

it(
  'a full snapshot stopped while its native stream runs ends in a typed error, leaves no file and never crashes',
  () => {
    const result = runScript(path.join(__dirname, 'scripts', 'snapshot-stream-close.ts'))
    expectCleanExit(result)
    const run = childReport<{ aborted: Stopped; backendClosed: Stopped; databaseClosed: Stopped; direct: Record<string, string> }>(result)
    expect(run.aborted).toEqual({ snapshot: 'DOMException', stop: 'ok', midway: true, leftovers: [] })
    expect(run.backendClosed).toEqual({ snapshot: 'ClosedError', stop: 'ok', midway: true, leftovers: [] })
    expect(run.databaseClosed).toEqual({ snapshot: 'ClosedError', stop: 'ok', midway: true, leftovers: [] })
    expect(run.direct).toEqual({
      first: 'ok',
      whileClosing: 'ClosedError', // close() with a chunk being framed: released when it returns
      afterClose: 'ClosedError',
      concurrent: 'OperationInProgressError',
      onClosedDatabase: 'ClosedError',
      afterDatabaseClosed: 'ClosedError',
    })
  },
  HEAVY_TIMEOUT,
)

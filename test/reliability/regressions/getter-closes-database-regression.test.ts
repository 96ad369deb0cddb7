// Issue 8 review: the native layer checked that the database was open before it read its
// arguments; a getter on a getMany key or an iterator option that called db.close() then
// made it run MultiGet / NewIterator on the freed database (segfault). Arguments are read
// first now, and the state checked after. Each case runs in a child process.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runScript } from '../../helpers/run-script'

function closedByGetter(which: string): unknown {
  const result = runScript(path.join(__dirname, 'scripts', 'getter-closes-database.ts'), [which])
  expect(result.signal).toBeNull()
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return JSON.parse(result.stdout)
}

const closed = { error: 'ClosedError', code: 'Closed' }

describe('getters that close the database while a native call reads its arguments', () => {
  it('regression: a getMany key getter closing the database made MultiGet use the freed database', () => {
    expect(closedByGetter('getMany')).toEqual(closed)
  })

  it('regression: an iterator option getter closing the database made NewIterator use the freed database', () => {
    expect(closedByGetter('iterator')).toEqual(closed)
  })

  it('regression: an open option getter calling close() left the database open after close() resolved', () => {
    expect(closedByGetter('open')).toEqual(closed)
  })
})

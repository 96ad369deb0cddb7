import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'

const script = path.join(__dirname, 'scripts', 'use-after-close.ts')

interface Refusals {
  checked: number
  failures: Record<string, string>
  closeAgain?: string | string[]
  inFlight?: string[]
  close?: string
}

function run(phase: string): Refusals {
  const result = runScript(script, [phase])
  expectCleanExit(result)
  return childReport<Refusals>(result)
}

describe('every method of every object refuses use after close with ClosedError', () => {
  it('after the database closed, and closing it again is harmless', () => {
    const { checked, failures, closeAgain } = run('closed')
    expect(checked).toBeGreaterThanOrEqual(40)
    expect(failures).toEqual({})
    expect(closeAgain).toBe('ok')
  })

  it('from the moment close() is called, while async work is still in flight', () => {
    const { failures, inFlight, close } = run('closing')
    expect(failures).toEqual({})
    // Work started before close() finishes normally; close() waits for it.
    expect(inFlight).toEqual(['ok', 'ok', 'ok'])
    expect(close).toBe('ok')
  })

  it("after the object's own close, release or finish, the database still open", () => {
    const { checked, failures, closeAgain } = run('released')
    expect(checked).toBeGreaterThanOrEqual(20)
    expect(failures).toEqual({})
    expect(closeAgain).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
  })
})

import { expect } from 'vitest'
import type { ScriptResult } from './run-script'

/** The child ended by itself, with status 0 and nothing on stderr (no crash, abort or sanitizer report). */
export function expectCleanExit(result: ScriptResult): void {
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  })
}

/** The JSON a child script printed on its `REPORT ` line (test/reliability/scripts/support.ts). */
export function childReport<T>(result: ScriptResult): T {
  const line = result.stdout.split('\n').find((l) => l.startsWith('REPORT '))
  if (line === undefined) throw new Error(`the child printed no report:\n${result.stdout}\n${result.stderr}`)
  return JSON.parse(line.slice('REPORT '.length)) as T
}

/**
 * Per-test limit for a heavy child: runScript already bounds the child at 120 s, and vitest's
 * default 60 s would cut it short on a busy machine.
 */
export const HEAVY_TIMEOUT = 120_000

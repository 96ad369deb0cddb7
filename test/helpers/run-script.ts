import { spawnSync } from 'node:child_process'
import path from 'node:path'

export interface ScriptResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

const root = path.join(__dirname, '..', '..')

/**
 * Runs a TypeScript file in a fresh Node process (so a crash shows as a signal, not a dead test
 * run), with `env` added to this process's environment.
 */
export function runScript(file: string, args: string[] = [], nodeFlags: string[] = [], env: NodeJS.ProcessEnv = {}): ScriptResult {
  const result = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  })
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

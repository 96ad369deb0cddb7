// The instance lock is an OS lock: a worker terminated or a process killed while holding it
// leaves a directory the next open accepts.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, KeyedStateBackend, LockedError, Serializers as S } from '../../lib'
import { HEAVY_TIMEOUT, childReport, expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const script = path.join(__dirname, 'scripts', 'instance-lock.ts')
const root = path.join(__dirname, '..', '..')
const tempDir = useTempDirs()

function open(dir: string): Promise<KeyedStateBackend<string>> {
  return KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127) })
}

describe('the instance lock is released when its holder dies', () => {
  it('a worker thread terminated while its backend is open: the main thread was refused before, opens after', () => {
    const result = runScript(script, ['worker'])
    expectCleanExit(result)
    expect(childReport(result)).toEqual({ whileHeld: 'LockedError', exitCode: 1, afterTerminate: 'open' })
  }, HEAVY_TIMEOUT)

  it('a process SIGKILLed while its backend is open: another process was refused before, opens after', async () => {
    const dir = path.join(tempDir(), 'instance')
    const child = spawn(process.execPath, ['--import', 'tsx', script, 'hold', dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('HELD') && resolve())
      child.once('exit', () => reject(new Error('the child exited before holding the lock')))
    })
    await expect(open(dir)).rejects.toBeInstanceOf(LockedError)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    await (await open(dir)).close()
  }, HEAVY_TIMEOUT)
})

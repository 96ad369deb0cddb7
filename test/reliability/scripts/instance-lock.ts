// The instance lock across threads and processes. Modes:
//   worker: a worker thread opens a backend; the main thread's open is refused; once the worker
//           is terminated, the main thread's open succeeds. Reports both outcomes.
//   hold <dir>: opens a backend on dir, prints HELD and waits (to be SIGKILLed).
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { KeyGroupRange, KeyedStateBackend, Serializers as S } from '../../../lib'
import { report, runMain, tempBase } from './support'
import { bundleForWorkers } from './worker-bundle'

function open(dir: string): Promise<KeyedStateBackend<string>> {
  return KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127) })
}

const outcome = (promise: Promise<KeyedStateBackend<string>>) =>
  promise.then(
    async (backend) => (await backend.close(), 'open'),
    (error: Error) => error.name,
  )

async function worker(): Promise<void> {
  const dir = path.join(tempBase('instance-lock'), 'instance')
  const thread = new Worker(bundleForWorkers(path.join(__dirname, 'instance-lock-worker.ts')), { workerData: { dir }, execArgv: [] })
  await new Promise((resolve, reject) => {
    thread.once('message', resolve)
    thread.once('error', reject)
  })
  const whileHeld = await outcome(open(dir))
  const exitCode = await thread.terminate()
  report({ whileHeld, exitCode, afterTerminate: await outcome(open(dir)) })
}

async function hold(dir: string): Promise<void> {
  await open(dir)
  console.log('HELD')
  setInterval(() => undefined, 1000)
}

const [mode, dir] = process.argv.slice(2)
runMain(() => (mode === 'worker' ? worker() : hold(dir!)))

import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { CliError, ExitCode } from './exit-codes'

/** MAX_PARALLELISM in examples/multi-worker.ts: the most workers the demo can run. */
export const DEMO_MAX_PARALLELISM = 128

export interface DemoOptions {
  workers: number
  rescaleTo: number
  events: number
  incremental?: boolean
  keep?: string
  json?: boolean
}

/**
 * `demo`: runs examples/multi-worker in a child process (it starts worker threads and owns its
 * process's lifetime): compiled beside this file in the package, from source with tsx in a clone.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const compiled = path.join(__dirname, '..', 'examples', 'multi-worker.js')
  const source = path.join(__dirname, '..', '..', 'examples', 'multi-worker.ts')
  const fromSource = !existsSync(compiled)
  const entry = fromSource ? ['--import', 'tsx', source] : [compiled]
  if (fromSource && !existsSync(source)) throw new CliError('the multi-worker example is not installed with this package', ExitCode.failure)
  const args = ['--workers', String(options.workers), '--rescale-to', String(options.rescaleTo), '--events', String(options.events)]
  if (options.keep !== undefined && existsSync(options.keep) && readdirSync(options.keep).length > 0) {
    throw new CliError(`--keep ${options.keep} is not empty: give a new or empty directory`, ExitCode.usage)
  }
  if (options.keep !== undefined) args.push('--keep', path.resolve(options.keep))
  if (options.incremental === true) args.push('--incremental')
  if (options.json === true) args.push('--json')
  // From source, tsx resolves 'rocksdb-keyed-state' to lib/ through the clone's tsconfig.json.
  const result = spawnSync(process.execPath, [...entry, ...args], { stdio: 'inherit', cwd: fromSource ? path.join(__dirname, '..', '..') : undefined })
  if (result.status !== 0) throw new CliError(`the demo failed (${result.signal ?? `exit code ${result.status}`})`, ExitCode.failure)
}

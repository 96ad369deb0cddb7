#!/usr/bin/env node
/**
 * The `rocksdb-keyed-state` command: inspect, verify and report on checkpoints, and run the demo.
 * Every command takes `--json`; errors are one line on stderr; exit codes are in exit-codes.ts.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { CorruptCheckpointError } from '../errors'
import { DEMO_MAX_PARALLELISM, runDemo } from './demo'
import { CliError, ExitCode } from './exit-codes'
import { runInspect } from './inspect'
import { runReport } from './report'
import { runVerify } from './verify'

const NAME = 'rocksdb-keyed-state'
/** lib/cli/main.ts and dist/cli/main.js are both two levels below the package root. */
const VERSION: string = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version

function readCommand(program: Command, name: string, summary: string): Command {
  return program
    .command(name)
    .description(summary)
    .argument('<checkpoint>', 'a checkpoint storage directory, a job checkpoint manifest (jobs/<job>/chk-<id>.json) or a JSON file of handles')
    .option('--storage <dir>', "the storage root of a handle file's files (default: found above the file)")
    .option('--job <id>', 'the job to read from a storage holding several (default: its only job)')
    .addOption(new Option('--now <seconds>', 'Unix time that TTL ages are measured from (default: now)').argParser(nonNegativeInteger))
    .option('--json', 'print JSON for scripts instead of text')
}

export function buildProgram(): Command {
  const program = new Command(NAME)
    .description('Inspect, verify and chart rocksdb-keyed-state checkpoints; run the multi-worker demo.')
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => {} })
  readCommand(program, 'inspect', 'show the states, key groups, TTL ages and timers of a checkpoint').action(runInspect)
  readCommand(program, 'verify', 'check every file (size, SHA-256), the stream format end to end and the key-group coverage; exit 0 only when all holds').action(runVerify)
  readCommand(program, 'report', 'write a self-contained HTML page with charts of a checkpoint')
    .requiredOption('--html <file>', 'where to write the page')
    .action(runReport)
  program
    .command('demo')
    .description('run the multi-worker example: workers, checkpoints, a rescaled restart, exact totals')
    .addOption(new Option('--workers <n>', 'workers before the restart').default(3).argParser(workerCount))
    .addOption(new Option('--rescale-to <n>', 'workers after the restart').default(2).argParser(workerCount))
    .addOption(new Option('--events <n>', 'events in the stream').default(120_000).argParser(positiveInteger))
    .option('--incremental', 'take incremental checkpoints instead of full snapshots')
    .option('--keep <dir>', 'keep the checkpoints in <dir> (for inspect, verify and report) instead of a temporary directory')
    .option('--json', 'print the summary as JSON')
    .action(runDemo)
  return program
}

/** Runs the command line and resolves to the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  // On Node < 22 the AWS SDK's first S3 client prints a ten-line notice that its future versions
  // need a newer Node: news for this package's maintainers, not its operators, and it broke the
  // one line per error on stderr that scripts read. A value the operator set is kept.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  try {
    await buildProgram().parseAsync(argv, { from: 'user' })
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode)
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok // --help, --version
      if (error.code === 'commander.help') return ExitCode.usage // no command: the help on stderr says it all
      console.error(`${NAME}: ${error.message.replace(/^error: /, '')}`)
      return ExitCode.usage
    }
    const code = error instanceof CliError ? error.exitCode : error instanceof CorruptCheckpointError ? ExitCode.corrupt : ExitCode.failure
    console.error(`${NAME}: ${oneLine((error as Error).message ?? String(error))}`)
    return code
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ')
}

function positiveInteger(value: string): number {
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer')
  return number
}

/** The demo's job has DEMO_MAX_PARALLELISM key groups: a worker without one cannot start. */
function workerCount(value: string): number {
  const number = positiveInteger(value)
  if (number > DEMO_MAX_PARALLELISM) throw new InvalidArgumentError(`expected at most ${DEMO_MAX_PARALLELISM} (the demo's maxParallelism)`)
  return number
}

function nonNegativeInteger(value: string): number {
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return number
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}

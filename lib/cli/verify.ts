import { failOnProblems, problemLine } from './checkpoint-summary'
import { loadCheckpoint, type ReadOptions } from './load-checkpoint'

/**
 * `verify <checkpoint>`: every referenced file present with its size and SHA-256, every stream
 * parsed end to end, the key groups covered exactly once. Prints one line per problem (or one
 * line saying what holds) and exits 0 only when there is none.
 */
export async function runVerify(argument: string, options: ReadOptions): Promise<void> {
  const { summary, problems } = await loadCheckpoint(argument, options)
  const checked = {
    handles: summary.handles.length,
    files: summary.files.length,
    fileBytes: summary.totals.fileBytes,
    keyGroups: summary.keyGroups.length,
    entries: summary.totals.entries,
  }
  if (options.json === true) {
    console.log(JSON.stringify({ ok: problems.length === 0, target: summary.description, checked, problems }, null, 2))
  } else if (problems.length === 0) {
    console.log(
      `ok: ${summary.description}: ${checked.files} file(s) of ${checked.fileBytes} bytes match their sizes and SHA-256, ` +
        `${checked.keyGroups} key groups parsed end to end (${checked.entries} entries) and covered exactly once`,
    )
  } else {
    for (const problem of problems) console.log(problemLine(problem))
  }
  failOnProblems(problems)
}

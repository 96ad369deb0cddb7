import { stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { failOnProblems, problemLine } from './checkpoint-summary'
import { CliError, ExitCode } from './exit-codes'
import { loadCheckpoint, type ReadOptions } from './load-checkpoint'
import { renderReport } from './report-html'

/**
 * `report <checkpoint> --html <file>`: writes the HTML report. A damaged checkpoint still gets
 * its page (with the problems listed first), they go to stderr too, and the exit code says what was found.
 */
export async function runReport(argument: string, options: ReadOptions & { html: string }): Promise<void> {
  // Checked first: a scan of a large checkpoint should not end in an unwritable page.
  const directory = path.dirname(path.resolve(options.html))
  const isDirectory = await stat(directory).then((stats) => stats.isDirectory(), () => false)
  if (!isDirectory) throw new CliError(`--html ${options.html}: no directory ${directory}`, ExitCode.usage)
  const { summary, problems } = await loadCheckpoint(argument, options)
  const html = renderReport(summary, problems, new Date())
  await writeFile(options.html, html)
  const bytes = Buffer.byteLength(html)
  console.log(options.json === true ? JSON.stringify({ html: options.html, bytes, problems }, null, 2) : `wrote ${options.html} (${bytes} bytes)`)
  if (options.json !== true) for (const problem of problems) console.error(problemLine(problem))
  failOnProblems(problems)
}

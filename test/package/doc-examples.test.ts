// The TypeScript examples of README.md and docs/guide.md that begin with an import are whole
// programs: each runs here as written, its paths moved into a temporary directory and its import
// of the package read from lib/ (CommonJS under tsx: its exports destructured from the default). Found needed when the README's first example threw
// KeyGroupOutOfRangeError (user-42 is in key group 20, outside worker 1's range 43-85).
// Examples that construct an S3 storage need credentials and an endpoint: left out. The example
// programs of examples/ run too (multi-worker.ts is the demo, test/cli/demo.test.ts).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectCleanExit } from '../helpers/child-report'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const root = path.join(__dirname, '..', '..')

function runnableExamples(doc: string): { line: number; code: string }[] {
  const lines = readFileSync(path.join(root, doc), 'utf8').split('\n')
  const examples: { line: number; code: string }[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue
    const end = lines.indexOf('```', i + 1)
    const code = lines.slice(i + 1, end).join('\n')
    if (code.startsWith('import ') && !code.includes('S3CheckpointStorage')) examples.push({ line: i + 1, code })
    i = end
  }
  return examples
}

describe.each(['README.md', 'docs/guide.md'])('%s', (doc) => {
  const tempDir = useTempDirs()
  const examples = runnableExamples(doc)

  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThan(0)
  })

  it.each(examples)(`runs the example at line $line as written`, ({ code }) => {
    const dir = path.dirname(tempDir())
    const script = path.join(dir, 'example.mts')
    writeFileSync(
      script,
      code
        .replace(
          /^import \{([^}]*)\} from 'rocksdb-keyed-state'$/m,
          (_, names: string) => `import lib from ${JSON.stringify(path.join(root, 'lib', 'index.ts'))}\nconst {${names.replaceAll(' as ', ': ')}} = lib`,
        )
        .replace(/'\/(var\/lib\/app|backups)\//g, `'${dir}/$1/`)
        .replace(/`\/(var\/lib\/app|backups)\//g, `\`${dir}/$1/`),
    )
    expectCleanExit(runScript(script))
  })
})

describe('examples/', () => {
  it.each(['basic.ts', 'keyed-state.ts'])('%s runs to the end', (file) => {
    expectCleanExit(runScript(path.join(root, 'examples', file)))
  })
})

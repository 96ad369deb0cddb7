// Worker threads load their code from one esbuild bundle per process: tsx in each of 100
// workers costs ~150 ms apiece, a plain CommonJS bundle ~30 ms (start the worker with
// `execArgv: []`, or it inherits the parent's `--import tsx` anyway). The bundle sits two levels
// below the package root, as lib/native/binding.ts expects of its own file, so it loads the
// same addon (build/, or the sanitizer build the environment names).
import { buildSync } from 'esbuild'
import { rmSync } from 'node:fs'
import path from 'node:path'

const root = path.join(__dirname, '..', '..', '..')

/** Bundles `entry` (with lib/) into a CommonJS file removed when this process exits. */
export function bundleForWorkers(entry: string): string {
  const outfile = path.join(root, '.cache', 'reliability', `${path.basename(entry, '.ts')}-${process.pid}.cjs`)
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['node-gyp-build', 'snappy', 'esbuild'],
    logLevel: 'error',
  })
  process.on('exit', () => rmSync(outfile, { force: true }))
  return outfile
}

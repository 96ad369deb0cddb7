/**
 * Builds the ceiling (bench/ceiling/ceiling.cc) on demand with CMake into build-ceiling/, against
 * the bundled static RocksDB the prebuild links. CMake's own incremental build is the cache: once
 * built, a call costs a second. Without the bundled RocksDB (or CMake) the ceiling is skipped,
 * with the reason.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../harness'

const CEILING_BUILD_DIR = path.join(ROOT, 'build-ceiling')

export type CeilingBuild = { binary: string } | { skipped: string } | { failed: string }

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const child = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' })
  return { ok: child.status === 0, output: `${child.stdout ?? ''}${child.stderr ?? ''}${child.error?.message ?? ''}` }
}

/** Where scripts/build-bundled-rocksdb.sh keeps the bundled RocksDB, if it has been built there. */
function bundledRocksDB(): { dir: string; built: boolean } {
  const dir = run('bash', ['scripts/build-bundled-rocksdb.sh', '--print-dir']).output.trim()
  return { dir, built: fs.existsSync(path.join(dir, '.stamp')) && fs.existsSync(path.join(dir, 'lib', 'librocksdb.a')) }
}

export function buildCeiling(): CeilingBuild {
  const bundled = bundledRocksDB()
  if (!bundled.built) {
    return { skipped: `the bundled RocksDB is not built in ${bundled.dir} (bash scripts/build-bundled-rocksdb.sh, ~15 min once; npm run prebuild does it)` }
  }
  if (!run('cmake', ['--version']).ok) return { skipped: 'cmake is not installed' }
  const steps: [string, string[]][] = [
    ['cmake', ['-S', path.join(ROOT, 'bench', 'ceiling'), '-B', CEILING_BUILD_DIR, '-DCMAKE_BUILD_TYPE=Release']],
    ['cmake', ['--build', CEILING_BUILD_DIR, '--target', 'ceiling']],
  ]
  // Configured once; `cmake --build` reconfigures by itself when CMakeLists.txt changes.
  if (fs.existsSync(path.join(CEILING_BUILD_DIR, 'CMakeCache.txt'))) steps.shift()
  for (const [command, args] of steps) {
    const step = run(command, args)
    if (!step.ok) return { failed: `${command} ${args.join(' ')}: ${step.output.trim().split('\n').slice(-8).join(' | ')}` }
  }
  return { binary: path.join(CEILING_BUILD_DIR, 'ceiling') }
}

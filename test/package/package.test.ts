import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '..', '..')
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)
const prebuild = existsSync(prebuildDir) ? readdirSync(prebuildDir).find((f) => f.endsWith('.node')) : undefined

// One file: both build dist/, which must not happen in two processes at once.

describe('package entry points', () => {
  it('builds dist/ and serves the same API to require and import, with types', () => {
    execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: 'pipe' })
    const fromRequire = node(['-e', "const m = require('rocksdb-keyed-state'); console.log(Object.keys(m).sort().join(','))"]).trim()
    const fromImport = node([
      '--input-type=module',
      '-e',
      "import * as m from 'rocksdb-keyed-state'; console.log(Object.keys(m).filter((k) => k !== 'default').sort().join(','))",
    ]).trim()
    expect(fromImport).toBe(fromRequire)
    for (const name of ['KeyedStateBackend', 'KeyGroupRange', 'assignToKeyGroup', 'Serializers', 'FsCheckpointStorage', 'RocksDB', 'ClosedError']) {
      expect(fromRequire.split(',')).toContain(name)
    }
    // One module instance: an error thrown through the ESM entry is an instance of the CJS class.
    const same = node([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; import { ClosedError } from 'rocksdb-keyed-state'; const cjs = createRequire(import.meta.url)('rocksdb-keyed-state'); console.log(cjs.ClosedError === ClosedError)",
    ]).trim()
    expect(same).toBe('true')
  })
})

// These run where the suite runs against the prebuild (PREBUILDS_ONLY=1, as .ci/run does).
describe.skipIf(!process.env.PREBUILDS_ONLY || prebuild === undefined)('the prebuilt binary', () => {
  it('links only the C/C++ runtime and carries the bundled RocksDB', () => {
    const ldd = execFileSync('ldd', [path.join(prebuildDir, prebuild!)], { encoding: 'utf8' })
    const libraries = ldd
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0])
      .filter(Boolean)
    const allowed = /^(linux-vdso\.so|libstdc\+\+\.so|libm\.so|libgcc_s\.so|libc\.so|libpthread\.so|libdl\.so|\/lib64\/ld-linux|ld-linux)/
    expect(libraries.filter((library) => !allowed.test(library))).toEqual([])
    expect(ldd).not.toMatch(/rocksdb|snappy|lz4|zstd|libz\.so|libbz2/)
    const binding = execFileSync(process.execPath, ['-e', "const b = require('node-gyp-build')('.'); console.log(b.rocksdbBuild, b.rocksdbVersion)"], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(binding.trim()).toMatch(/^bundled 9\.\d+\.\d+$/)
  })

  it('installs from the packed tarball into an empty project and works without librocksdb', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'rks-install-'))
    try {
      const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').at(-1)!
      const project = path.join(work, 'app')
      execFileSync('mkdir', ['-p', project])
      writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, tarball)], { cwd: project, stdio: 'pipe' })
      writeFileSync(
        path.join(project, 'smoke.cjs'),
        `const { RocksDB } = require('rocksdb-keyed-state')
        ;(async () => {
          const db = await RocksDB.open(${JSON.stringify(path.join(work, 'db'))}, { columnFamilies: [{ name: 'a', ttlSeconds: 60 }] })
          db.columnFamily('a').put('k', 'v')
          const value = db.columnFamily('a').get('k').toString()
          await db.checkpoint(${JSON.stringify(path.join(work, 'cp'))})
          await db.close()
          console.log(RocksDB.build, RocksDB.version, value)
        })().catch((e) => { console.error(e); process.exit(1) })`,
      )
      // Hide Debian's librocksdb (when installed) from the loader: the prebuild must not need it.
      const script = `for f in /usr/lib/*/librocksdb.so*; do [ -e "$f" ] && mount --bind /dev/null "$f"; done; exec "${process.execPath}" smoke.cjs`
      const hidden = canUnshare() ? ['unshare', ['-m', 'sh', '-c', script]] : ['sh', ['-c', `exec "${process.execPath}" smoke.cjs`]]
      const output = execFileSync(hidden[0] as string, hidden[1] as string[], { cwd: project, encoding: 'utf8' })
      expect(output.trim()).toMatch(/^bundled 9\.\d+\.\d+ v$/)
      expect(existsSync(path.join(work, 'cp', 'CURRENT'))).toBe(true)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
})

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

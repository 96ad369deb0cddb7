import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALLOWED_LIBRARIES, currentLinkPlatform, linkedLibraries } from './linked-libraries'

const root = path.join(__dirname, '..', '..')
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)
const prebuild = existsSync(prebuildDir) ? readdirSync(prebuildDir).find((f) => f.endsWith('.node')) : undefined

/** The environment in which the unpacked package finds its dependencies and native addon in the checkout. */
const env = { ...process.env, NODE_PATH: path.join(root, 'node_modules'), ROCKSDB_KEYED_STATE_PREBUILD: root }

/**
 * The package as `npm pack` makes it (dist/ and any prebuilds/), built in a private temporary
 * directory, never the checkout's dist/, which a concurrent run may be using. Returns the tarball.
 */
function packPackage(work: string): string {
  const pkg = path.join(work, 'pkg')
  mkdirSync(pkg)
  copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'))
  if (existsSync(path.join(root, 'prebuilds'))) cpSync(path.join(root, 'prebuilds'), path.join(pkg, 'prebuilds'), { recursive: true })
  const dist = path.join(pkg, 'dist')
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist])
  // node-gyp-build takes ROCKSDB_KEYED_STATE_PREBUILD as the directory holding build/ and prebuilds/
  execFileSync(process.execPath, [path.join(root, 'scripts', 'write-esm-entry.mjs'), dist], { env, stdio: 'pipe' })
  const name = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: pkg, encoding: 'utf8' })
  return path.join(work, name.trim().split('\n').at(-1)!)
}

/** An empty project directory `work/name` with a package.json. */
function emptyProject(work: string, name: string): string {
  const project = path.join(work, name)
  mkdirSync(project)
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  return project
}

let work: string
let tarball: string
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'rks-pack-'))
  tarball = packPackage(work)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('package entry points', () => {
  let project: string
  beforeAll(() => {
    // unpacked as npm would install it, without running its install script
    project = emptyProject(work, 'unpacked')
    const modules = path.join(project, 'node_modules')
    mkdirSync(modules)
    execFileSync('tar', ['-xzf', tarball, '-C', modules])
    renameSync(path.join(modules, 'package'), path.join(modules, 'rocksdb-keyed-state'))
  })
  const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: project, env, encoding: 'utf8' }).trim()

  it('serves the same API to require and import, as one module instance', () => {
    const fromRequire = node(['-e', "const m = require('rocksdb-keyed-state'); console.log(Object.keys(m).sort().join(','))"])
    const fromImport = node([
      '--input-type=module',
      '-e',
      "import * as m from 'rocksdb-keyed-state'; console.log(Object.keys(m).filter((k) => k !== 'default').sort().join(','))",
    ])
    expect(fromImport).toBe(fromRequire)
    for (const name of ['KeyedStateBackend', 'KeyGroupRange', 'assignToKeyGroup', 'Serializers', 'FsCheckpointStorage', 'RocksDB', 'ClosedError']) {
      expect(fromRequire.split(',')).toContain(name)
    }
    // One module instance: an error thrown through the ESM entry is an instance of the CJS class.
    const same = node([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; import { ClosedError } from 'rocksdb-keyed-state'; const cjs = createRequire(import.meta.url)('rocksdb-keyed-state'); console.log(cjs.ClosedError === ClosedError)",
    ])
    expect(same).toBe('true')
  })

  it('types a CommonJS and an ESM consumer through the packed .d.ts files', () => {
    // Each @ts-expect-error fails the check if the types it relies on are missing or loose (any).
    const consumer = `import { ClosedError, KeyGroupRange, KeyedStateBackend, Serializers as S, type RocksDB } from 'rocksdb-keyed-state'

export async function use(path: string): Promise<bigint | undefined> {
  const backend = await KeyedStateBackend.open({ path, keySerializer: S.string, maxParallelism: 128, keyGroupRange: KeyGroupRange.forOperator(128, 1, 0) })
  backend.setCurrentKey('user-42')
  // @ts-expect-error the key serializer fixes the key type
  backend.setCurrentKey(42)
  const clicks = backend.valueState('clicks', S.int64)
  clicks.update((clicks.value() ?? 0n) + 1n)
  // @ts-expect-error an int64 state holds bigints
  clicks.update(1)
  const carts = backend.mapState('carts', S.string, S.int32)
  const quantity: number | undefined = carts.get('sku-1')
  const db: RocksDB = backend.db
  const error: Error = new ClosedError(String(quantity) + db.columnFamilies().length)
  await backend.close()
  return error instanceof ClosedError ? clicks.value() : undefined
}
`
    writeFileSync(path.join(project, 'consumer.ts'), consumer)
    writeFileSync(path.join(project, 'consumer.mts'), consumer)
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
          skipLibCheck: false,
        },
        files: ['consumer.ts', 'consumer.mts', 'wrong.mts'],
      }),
    )
    // One that must not compile: the check reports its error, and only that one.
    writeFileSync(path.join(project, 'wrong.mts'), `import { KeyGroupRange } from 'rocksdb-keyed-state'\nexport const wrong: string = new KeyGroupRange(0, 1)\n`)
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.'], { cwd: project, encoding: 'utf8' })
    expect(tsc.stdout.split('\n').filter((line) => line.includes('error TS'))).toEqual([
      "wrong.mts(2,14): error TS2322: Type 'KeyGroupRange' is not assignable to type 'string'.",
    ])
  })
})

/** Debian's librocksdb, when installed: the prebuild must be shown to work without it. */
function systemLibrocksdb(): string[] {
  if (process.platform !== 'linux') return []
  const found: string[] = []
  for (const base of ['/usr/lib', '/lib']) {
    if (!existsSync(base)) continue
    for (const dir of [base, ...readdirSync(base).map((name) => path.join(base, name))]) {
      try {
        found.push(...readdirSync(dir).filter((f) => f.startsWith('librocksdb.so')).map((f) => path.join(dir, f)))
      } catch {
        // not a directory
      }
    }
  }
  return found
}

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// These run where the suite runs against the prebuild (PREBUILDS_ONLY=1, as .ci/run and the
// release workflow do), on every release platform.
describe.skipIf(!process.env.PREBUILDS_ONLY || prebuild === undefined)('the prebuilt binary', () => {
  it("links only the C/C++ runtime and the platform's loader, and carries the bundled RocksDB", () => {
    const platform = currentLinkPlatform()
    const libraries = linkedLibraries(path.join(prebuildDir, prebuild!), platform)
    expect(libraries.length).toBeGreaterThan(0)
    expect(libraries.filter((library) => !ALLOWED_LIBRARIES[platform].test(library))).toEqual([])
    const binding = execFileSync(process.execPath, ['-e', "const b = require('node-gyp-build')('.'); console.log(b.rocksdbBuild, b.rocksdbVersion)"], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(binding.trim()).toMatch(/^bundled 9\.\d+\.\d+$/)
  })

  it('installs from the packed tarball into an empty project and works without librocksdb', () => {
    const hide = systemLibrocksdb()
    // With librocksdb installed, only a private mount namespace can hide it from the loader;
    // without that the test would prove nothing about it, so it fails rather than pass quietly.
    if (hide.length > 0) expect(canUnshare(), `librocksdb is installed (${hide[0]}) and 'unshare -m' is refused: run as root`).toBe(true)
    const project = emptyProject(work, 'installed')
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, stdio: 'pipe' })
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
    const run = `exec "${process.execPath}" smoke.cjs`
    const hidden = hide.map((file) => `mount --bind /dev/null "${file}"; `).join('')
    const [command, args] = hide.length > 0 ? ['unshare', ['-m', 'sh', '-c', hidden + run]] : ['sh', ['-c', run]]
    const output = execFileSync(command, args as string[], { cwd: project, encoding: 'utf8' })
    expect(output.trim()).toMatch(/^bundled 9\.\d+\.\d+ v$/)
    expect(existsSync(path.join(work, 'cp', 'CURRENT'))).toBe(true)
  })
})

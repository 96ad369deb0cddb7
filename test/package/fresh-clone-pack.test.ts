import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The path a release takes, from a fresh clone of the committed tree: pack (prepack builds dist/
 * and checks the prebuilds) -> install the tarball in an empty project with --ignore-scripts (no
 * compiler, no node-gyp: the prebuild must be all it needs) -> import and run, CLI included.
 */
const root = path.join(__dirname, '..', '..')
const platform = `${process.platform}-${process.arch}`
const prebuildDir = path.join(root, 'prebuilds', platform)
const hasPrebuild = existsSync(prebuildDir) && readdirSync(prebuildDir).some((file) => file.endsWith('.node'))
const SKIP_REASON = `skipped: prebuilds/${platform} is absent (npm run prebuild makes it; .ci/run's PREBUILDS_ONLY pass has it)`

let work: string
let clone: string

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 })
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'rks-fresh-clone-'))
  clone = path.join(work, 'clone')
  run('git', ['clone', '--quiet', '--no-hardlinks', root, clone], work)
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('npm pack from a fresh clone', () => {
  it('refuses to pack without the prebuilt binary it promises, naming the platform', () => {
    // The refusal comes before anything is built, so the clone's dependencies do not matter here.
    // Independent of the order of the tests: the other one copies prebuilds/ into the clone.
    rmSync(path.join(clone, 'prebuilds'), { recursive: true, force: true })
    const destination = mkdtempSync(path.join(work, 'refused-'))
    const result = spawnSync('npm', ['pack', '--pack-destination', destination], { cwd: clone, encoding: 'utf8' })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('prepack: refusing to pack: no prebuilt binary for linux-x64 in prebuilds/')
    expect(readdirSync(destination)).toEqual([])
  })

  it.skipIf(!hasPrebuild)(`packs dist/ and the prebuild, installs with --ignore-scripts into an empty project, imports and runs (${hasPrebuild ? 'prebuild present' : SKIP_REASON})`, () => {
    run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], clone)
    cpSync(path.join(root, 'prebuilds'), path.join(clone, 'prebuilds'), { recursive: true }) // what `npm run prebuild` left
    const tarball = path.join(work, run('npm', ['pack', '--silent', '--pack-destination', work], clone).trim().split('\n').at(-1)!)
    const files = run('tar', ['-tzf', tarball], work).split('\n')
    for (const file of ['package/dist/index.js', 'package/dist/index.mjs', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/dist/examples/multi-worker.js']) {
      expect(files).toContain(file)
    }
    expect(files.some((file) => file.startsWith(`package/prebuilds/${platform}/`) && file.endsWith('.node'))).toBe(true)
    expect(files.some((file) => file.startsWith('package/lib/') || file.startsWith('package/test/'))).toBe(false)

    const project = path.join(work, 'app')
    mkdirSync(project)
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], project)
    writeFileSync(
      path.join(project, 'smoke.mjs'),
      `import { KeyedStateBackend, KeyGroupRange, FsCheckpointStorage, Serializers as S, RocksDB } from 'rocksdb-keyed-state'
      const storage = new FsCheckpointStorage('checkpoints')
      const backend = await KeyedStateBackend.open({ path: 'state', keySerializer: S.string, maxParallelism: 8, keyGroupRange: KeyGroupRange.forOperator(8, 1, 0), jobId: 'smoke', storage })
      const clicks = backend.valueState('clicks', S.int64, { ttl: { seconds: 60 } })
      backend.setCurrentKey('user-1')
      clicks.update(41n + 1n)
      await storage.completeCheckpoint('smoke', 1, [await backend.snapshot(1)])
      await backend.close()
      console.log(RocksDB.build, clicks.constructor.name)`,
    )
    expect(run(process.execPath, ['smoke.mjs'], project).trim()).toBe('bundled ValueState')
    // The installed command: verify the checkpoint just written, and run the demo from dist/.
    const bin = path.join(project, 'node_modules', '.bin', 'rocksdb-keyed-state')
    expect(run(bin, ['verify', 'checkpoints'], project)).toMatch(/^ok: checkpoint 1 of job 'smoke'/)
    expect(run(bin, ['demo', '--events', '5000', '--workers', '2', '--rescale-to', '1'], project)).toMatch(/^verified: /m)
  })
})

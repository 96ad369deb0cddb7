import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '..', '..')
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })

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

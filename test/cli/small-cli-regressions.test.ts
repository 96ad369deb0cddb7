import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, parseKeyedStateHandle } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { makeJobCheckpoint, runCli } from './cli-fixture'

const tempDir = useTempDirs()

describe('small CLI regressions (issue 13)', () => {
  it('regression: no arguments printed the help then "rocksdb-keyed-state: (outputHelp)"', () => {
    const result = runCli([])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/^Usage: rocksdb-keyed-state/)
    expect(result.stderr).not.toContain('outputHelp')
  })

  it('--version prints the package version', () => {
    const result = runCli(['--version'])
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version)
  })

  it('regression: a handle without a version was "version undefined is newer than this library reads"', async () => {
    const { handles } = await makeJobCheckpoint(tempDir('job'), { workers: 1 })
    const { version: _, ...unversioned } = handles[0]!
    expect(() => parseKeyedStateHandle(unversioned)).toThrow(CorruptCheckpointError)
    expect(() => parseKeyedStateHandle(unversioned)).toThrow('invalid keyed state handle: no version')
    expect(() => parseKeyedStateHandle({ ...unversioned, version: '2' })).toThrow('invalid keyed state handle: version "2" is not an integer')
  })

  it('regression: report --html into a missing directory failed only after the scan; now a usage error first', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    // A target that would fail the scan: the usage error must come before it.
    const handleFile = path.join(tempDir('handles'), '..', 'broken-handles.json')
    writeFileSync(handleFile, '[{"kind":"full"}]')
    const html = path.join(fixture.storageRoot, 'no-such-dir', 'r.html')
    for (const target of [fixture.storageRoot, handleFile]) {
      const result = runCli(['report', target, '--html', html])
      expect(result.status).toBe(2)
      expect(result.stderr.trim()).toBe(`rocksdb-keyed-state: --html ${html}: no directory ${path.dirname(html)}`)
    }
  })
})

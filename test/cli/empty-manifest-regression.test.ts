import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, FsCheckpointStorage } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { JOB, makeJobCheckpoint, runCli } from './cli-fixture'

const tempDir = useTempDirs()

/** Empties the manifest's handles and recomputes its sha256, as a hand edit would. */
function emptyManifest(storageRoot: string, checkpointId: number): string {
  const file = path.join(storageRoot, 'jobs', JOB, `chk-${checkpointId}.json`)
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  manifest.handles = []
  manifest.sha256 = createHash('sha256').update(JSON.stringify(manifest.handles)).digest('hex')
  writeFileSync(file, JSON.stringify(manifest))
  return file
}

describe('regression: a job manifest with "handles": [] and a recomputed sha256 passed verify', () => {
  it('latestCheckpoint refuses it as CorruptCheckpointError instead of handing an empty restoreFrom to a restore', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    emptyManifest(fixture.storageRoot, fixture.checkpointId)
    await expect(new FsCheckpointStorage(fixture.storageRoot).latestCheckpoint(JOB)).rejects.toThrow(CorruptCheckpointError)
    await expect(new FsCheckpointStorage(fixture.storageRoot).latestCheckpoint(JOB)).rejects.toThrow(/holds no handle/)
  })

  it('verify and report exit 3 on it, given the manifest or its storage', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const file = emptyManifest(fixture.storageRoot, fixture.checkpointId)
    const byFile = runCli(['verify', file])
    expect(byFile.status).toBe(3)
    expect(byFile.stdout.trim()).toBe(`corrupt: ${file}: the manifest holds no handle: no key group is covered`)
    const report = runCli(['report', file, '--html', path.join(path.dirname(fixture.storageRoot), 'report.html')])
    expect(report.status).toBe(3)
    const byStorage = runCli(['verify', fixture.storageRoot])
    expect(byStorage.status).toBe(3)
    expect(byStorage.stderr.trim()).toBe(`rocksdb-keyed-state: job checkpoint manifest 'jobs/${JOB}/chk-1.json' holds no handle`)
  })
})

import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'
import { MAX_PARALLELISM, USERS, WRITE_TIME, makeJobCheckpoint, runCli } from './cli-fixture'

const tempDir = useTempDirs()

describe('the CLI on incremental checkpoints', () => {
  it('inspects the same states, entries, key groups and TTL ages as a full snapshot of the same state', async () => {
    const incremental = await makeJobCheckpoint(tempDir('incremental'), { incremental: true })
    const full = await makeJobCheckpoint(tempDir('full'))
    const now = String(WRITE_TIME + 50)
    const read = (root: string) => JSON.parse(runCli(['inspect', root, '--json', '--now', now]).stdout)
    const fromIncremental = read(incremental.storageRoot)
    const fromFull = read(full.storageRoot)
    expect(fromIncremental.problems).toEqual([])
    expect(fromIncremental.summary.handles.map((h: { kind: string }) => h.kind)).toEqual(['incremental', 'incremental'])
    expect(fromIncremental.summary.totals.entries).toBe(4 * USERS)
    // Raw keys and values are the same bytes whichever way they were checkpointed.
    expect(fromIncremental.summary.states).toEqual(fromFull.summary.states)
    expect(fromIncremental.summary.keyGroups).toEqual(fromFull.summary.keyGroups)
    const roles = new Set(fromIncremental.summary.files.map((f: { role: string }) => f.role))
    expect(roles).toEqual(new Set(['incremental metadata', 'shared SST file', 'private file']))
  })

  it('verify passes it, and the report charts it', async () => {
    const fixture = await makeJobCheckpoint(tempDir('incremental'), { incremental: true })
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.stdout).toMatch(new RegExp(`^ok: checkpoint 1 of job 'cli-job' .* ${MAX_PARALLELISM} key groups parsed end to end \\(${4 * USERS} entries\\)`))
    expect(result.status).toBe(0)
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    expect(runCli(['report', fixture.storageRoot, '--html', page]).status).toBe(0)
    expect(readFileSync(page, 'utf8')).toContain('data-chart="entries-per-key-group"')
  })

  it('exits 4 naming each missing file; an altered SST file is a corrupt line beside them', async () => {
    const fixture = await makeJobCheckpoint(tempDir('incremental'), { incremental: true })
    const [first, second] = fixture.handles
    const shared = Object.values(first!.sharedFiles)[0]!
    rmSync(path.join(fixture.storageRoot, shared.key))
    rmSync(path.join(fixture.storageRoot, first!.metadata.key))
    const missing = runCli(['verify', fixture.storageRoot])
    expect(missing.status).toBe(4)
    expect(missing.stdout.trim().split('\n').sort()).toEqual([`missing: handle 0: file '${first!.metadata.key}' is missing`, `missing: handle 0: file '${shared.key}' is missing`].sort())

    const sst = path.join(fixture.storageRoot, Object.values(second!.sharedFiles)[0]!.key)
    const bytes = readFileSync(sst)
    bytes[Math.floor(bytes.length / 2)] ^= 0xff
    chmodSync(sst, 0o644)
    writeFileSync(sst, bytes)
    const corrupt = runCli(['verify', fixture.storageRoot])
    expect(corrupt.status).toBe(4) // still missing files in handle 0: missing takes precedence
    expect(corrupt.stdout).toMatch(/^corrupt: handle 1: checkpoint file '.*\.sst' has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}$/m)
  })
})

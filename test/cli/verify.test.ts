import { chmodSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage } from '../../lib'
import { reseal } from '../snapshot/reseal'
import { useTempDirs } from '../helpers/temp-dir'
import { alteredLine, expectVerifyFindsMissing, expectVerifyOk } from './cli-expectations'
import { JOB, makeJobCheckpoint, runCli, writeCraftedManifest, type JobCheckpointFixture } from './cli-fixture'

const tempDir = useTempDirs()

function streamPath(fixture: JobCheckpointFixture, index: number): string {
  return path.join(fixture.storageRoot, fixture.handles[index]!.stream.key)
}

/** Rewrites a stored (read-only) file in place: damage a verifier must find. */
function damage(file: string, change: (bytes: Buffer) => Buffer): void {
  const bytes = change(readFileSync(file))
  chmodSync(file, 0o644)
  writeFileSync(file, bytes)
}

/**
 * `bytes` with `stray` inserted where the body ends and the key-group index starts, the footer's
 * index offset moved past them (docs/format.md): the header, index and footer stay valid.
 */
function insertBeforeIndex(bytes: Buffer, stray: Buffer): { bytes: Buffer; bodyEnd: number } {
  const footer = bytes.length - 12
  const bodyEnd = Number(bytes.readBigUInt64BE(footer))
  const newFooter = Buffer.alloc(12)
  newFooter.writeBigUInt64BE(BigInt(bodyEnd + stray.length))
  newFooter.write('RKSI', 8, 'latin1')
  return { bytes: Buffer.concat([bytes.subarray(0, bodyEnd), stray, bytes.subarray(bodyEnd, footer), newFooter]), bodyEnd }
}

/**
 * Completes job checkpoint 2 with handle `index`'s stream replaced by `bytes`, under a handle
 * resealed with the new size and SHA-256: the file and handle checksums all hold, so only
 * parsing the stream can find what is wrong.
 */
async function completeWithStream(fixture: JobCheckpointFixture, index: number, bytes: Buffer): Promise<void> {
  const storage = new FsCheckpointStorage(fixture.storageRoot)
  const handle = fixture.handles[index]!
  const stream = await storage.writeFile(handle.stream.key.replace('full-1-', 'crafted-'), bytes)
  // Checkpoint 2 of the job holds the handles of backend checkpoint 1, as its streams' headers say.
  await writeCraftedManifest(fixture.storageRoot, JOB, 2, fixture.handles.map((h, i) => (i === index ? reseal({ ...h, stream }) : h)))
}

describe('rocksdb-keyed-state verify', () => {
  it('passes a real job checkpoint and says what it checked, in text and JSON', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const text = runCli(['verify', fixture.storageRoot])
    expectVerifyOk(text, runCli(['verify', fixture.storageRoot, '--json']), fixture.storageRoot)
    expect(runCli(['verify', pathToFileURL(fixture.storageRoot).href]).stdout).toBe(text.stdout)
  })

  it('passes a compressed checkpoint (zstd frames) read through its manifest', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'), { compression: 'zstd' })
    const result = runCli(['verify', path.join(fixture.storageRoot, 'jobs', JOB, 'chk-1.json')])
    expect(result.stdout).toMatch(/^ok: /)
    expect(result.status).toBe(0)
  })

  it('exits 4 with one line naming a missing file', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    rmSync(streamPath(fixture, 1))
    expectVerifyFindsMissing(runCli(['verify', fixture.storageRoot]), 1, fixture.handles[1]!.stream.key)
  })

  it('exits 3 for a flipped byte (SHA-256) and for a truncated file (size), one line per problem', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    damage(streamPath(fixture, 0), (bytes) => {
      bytes[bytes.length - 3] ^= 0x01
      return bytes
    })
    truncateSync(streamPath(fixture, 1), 100)
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.status).toBe(3)
    const lines = result.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(alteredLine(0))
    expect(lines[1]).toMatch(/^corrupt: handle 1: checkpoint file '.*' has 100 bytes, expected \d+$/)
  })

  it('regression: bytes inserted after the last key group, before the key-group index, are found (the reader never reads them)', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const { bytes, bodyEnd } = insertBeforeIndex(readFileSync(streamPath(fixture, 0)), Buffer.from('stray bytes!!!'))
    await completeWithStream(fixture, 0, bytes)
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.status).toBe(3)
    expect(result.stdout.trim()).toMatch(new RegExp(`^corrupt: .*crafted-.*: bytes \\[${bodyEnd}, ${bodyEnd + 14}\\) after key group \\d+ belong to no key group$`))
  })

  it('regression: bytes inserted into a zstd stream are found by walking its frames', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'), { compression: 'zstd' })
    const { bytes, bodyEnd } = insertBeforeIndex(readFileSync(streamPath(fixture, 1)), Buffer.alloc(9))
    await completeWithStream(fixture, 1, bytes)
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.status).toBe(3)
    expect(result.stdout.trim()).toMatch(new RegExp(`: bytes \\[${bodyEnd}, ${bodyEnd + 9}\\) after key group \\d+ belong to no key group$`))
  })

  it("reports every handle offset that disagrees with the stream's key-group index", async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const handle = fixture.handles[1]!
    const emptied = handle.keyGroupOffsets.findIndex((offset) => offset > 0)
    const offsets = handle.keyGroupOffsets.map((offset, i) => (i === emptied ? 0 : offset))
    await writeCraftedManifest(fixture.storageRoot, JOB, 2, [fixture.handles[0], reseal({ ...handle, keyGroupOffsets: offsets })])
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.status).toBe(3)
    const keyGroup = handle.keyGroupRange.start + emptied
    expect(result.stdout).toContain(`the handle puts key group ${keyGroup} at offset 0, the stream's index at ${handle.keyGroupOffsets[emptied]}`)
  })

  it('exits 3 when the handles do not cover every key group exactly once', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    // A manifest with a valid checksum holding worker 0's handle twice and worker 1's not at all.
    await writeCraftedManifest(fixture.storageRoot, JOB, 2, [fixture.handles[0], fixture.handles[0]])
    const result = runCli(['verify', fixture.storageRoot])
    expect(result.status).toBe(3)
    expect(result.stdout.trim()).toBe(
      'corrupt: the 2 handle(s) of checkpoint 1 do not cover KeyGroupRange[0..15] exactly once: key groups 8-15 are in no handle; key groups 0-7 are in more than one handle',
    )
  })

  it('exits 3 for an altered manifest and an altered handle', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const manifest = path.join(fixture.storageRoot, 'jobs', JOB, 'chk-1.json')
    damage(manifest, (bytes) => {
      const json = JSON.parse(bytes.toString())
      json.handles[1].keyGroupOffsets[0] += 1
      return Buffer.from(JSON.stringify(json))
    })
    const result = runCli(['verify', manifest])
    expect(result.status).toBe(3)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toBe(`corrupt: ${manifest}: the manifest's handles do not match its sha256`)
    expect(lines[1]).toMatch(/^corrupt: handle 1: invalid keyed state handle: checksum .* does not match its fields/)
  })

  it('checks a handle file against its storage, found above the file or given with --storage', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const inside = path.join(fixture.storageRoot, 'handle-0.json')
    writeFileSync(inside, JSON.stringify(fixture.handles[0]))
    expect(runCli(['verify', inside]).stdout).toMatch(/^ok: 1 handle\(s\) from .*: 1 file\(s\) .* 8 key groups parsed/)
    const outside = path.join(path.dirname(tempDir('elsewhere')), 'handles.json')
    writeFileSync(outside, JSON.stringify(fixture.handles))
    const lost = runCli(['verify', outside])
    expect(lost.status).toBe(2)
    expect(lost.stderr.trim()).toBe(`rocksdb-keyed-state: ${outside}: cannot find the storage holding its files above it; pass --storage <dir>`)
    expect(runCli(['verify', outside, '--storage', fixture.storageRoot]).status).toBe(0)
  })
})

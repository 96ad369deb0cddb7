import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'
import { expectInspectFindsMissing, expectInspectJson, expectInspectText, INSPECT_JSON_NOW, INSPECT_TEXT_NOW } from './cli-expectations'
import { makeJobCheckpoint, runCli, writeCraftedManifest } from './cli-fixture'

const tempDir = useTempDirs()

describe('rocksdb-keyed-state inspect', () => {
  it('shows states, key groups, TTL ages from the raw write times and timers per queue', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    expectInspectText(runCli(['inspect', fixture.storageRoot, '--now', String(INSPECT_TEXT_NOW)]))
  })

  it('--json: the same summary for scripts, every key group with its entries and bytes', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    expectInspectJson(runCli(['inspect', fixture.storageRoot, '--json', '--now', String(INSPECT_JSON_NOW)]))
  })

  it('lists only the 32 largest of more than 256 key groups in text; --json has them all', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'), { maxParallelism: 1024 })
    const text = runCli(['inspect', fixture.storageRoot]).stdout
    expect(text).toMatch(/entries and bytes per key group \(largest [\d.]+x the mean, smallest 0\.00x, the 32 largest of 1024; --json lists all\)/)
    const { summary } = JSON.parse(runCli(['inspect', fixture.storageRoot, '--json']).stdout)
    expect(summary.keyGroups).toHaveLength(1024)
  })

  it('on a damaged checkpoint prints what it read, the problems on stderr, and exits with their code', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    rmSync(path.join(fixture.storageRoot, fixture.handles[0]!.stream.key))
    expectInspectFindsMissing(runCli(['inspect', fixture.storageRoot]), 0, fixture.handles[0]!.stream.key)
  })

  it('draws a progress bar only when a person watches: on a terminal, and not with --json', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const onTerminal = (args: string) => {
      // util-linux `script` runs the command on a pseudo-terminal and copies what it wrote.
      const command = `${process.execPath} --import tsx lib/cli/main.ts ${args}`
      const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' })
      expect(result.status).toBe(0)
      return result.stdout
    }
    expect(onTerminal(`inspect ${fixture.storageRoot}`)).toMatch(/reading \[[=-]+\] \d+% \d+\/\d+ bytes/)
    expect(onTerminal(`inspect ${fixture.storageRoot} --json`)).not.toContain('reading [')
    expect(runCli(['inspect', fixture.storageRoot]).stderr).toBe('')
  })

  it('asks for --job when a storage holds several jobs', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    await writeCraftedManifest(fixture.storageRoot, 'other-job', 1, fixture.handles)
    const ambiguous = runCli(['inspect', fixture.storageRoot])
    expect(ambiguous.status).toBe(2)
    expect(ambiguous.stderr.trim()).toBe(`rocksdb-keyed-state: ${fixture.storageRoot} holds jobs cli-job, other-job: pick one with --job`)
    expect(runCli(['inspect', fixture.storageRoot, '--job', 'other-job']).stdout).toContain("checkpoint 1 of job 'other-job'")
  })
})

describe('rocksdb-keyed-state usage errors', () => {
  it.each([
    [['inspect'], "missing required argument 'checkpoint'"],
    [['verify', '/no/such/checkpoint'], '/no/such/checkpoint: no such file or directory'],
    [['inspect', '.', '--bogus'], "unknown option '--bogus'"],
    [['inpsect', '.'], "unknown command 'inpsect'"],
    [['inspect', '.', '--now', 'soon'], "option '--now <seconds>' argument 'soon' is invalid. expected a non-negative integer"],
    [['report', '.'], "required option '--html <file>' not specified"],
    [['verify', 'ftp://host/checkpoints'], "ftp://host/checkpoints: unsupported checkpoint storage URL scheme 'ftp:' in 'ftp://host/checkpoints' (use s3://, file: or a path)"],
  ])('%j exits 2 with one line', (args, message) => {
    const result = runCli(args)
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')[0]).toBe(`rocksdb-keyed-state: ${message}`)
  })

  it('--help exits 0 and lists the commands', () => {
    const result = runCli(['--help'])
    expect(result.status).toBe(0)
    for (const command of ['inspect', 'verify', 'report', 'demo']) expect(result.stdout).toContain(command)
  })
})

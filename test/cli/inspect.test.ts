import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'
import { JOB, MAX_PARALLELISM, PAGES_PER_USER, USERS, WRITE_TIME, makeJobCheckpoint, runCli, writeCraftedManifest } from './cli-fixture'

const tempDir = useTempDirs()

describe('rocksdb-keyed-state inspect', () => {
  it('shows states, key groups, TTL ages from the raw write times and timers per queue', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    // 50 s after the writes: values aged 50 s (bucket 50-60% of 100 s), list elements 48, 49 and 50 s.
    const result = runCli(['inspect', fixture.storageRoot, '--now', String(WRITE_TIME + 50)])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const text = result.stdout
    expect(text).toContain(`checkpoint 1 of job '${JOB}'`)
    expect(text).toMatch(/key serializer string, maxParallelism 16, 2 handle\(s\), 160 entries/)
    expect(text).toMatch(/^ {2}count +value +int64 +void +- +100 s, onCreateAndWrite, neverReturnExpired +40 /m)
    expect(text).toMatch(/^ {2}pages +list +string +void +- +100 s, .* +40 +\d+ +120$/m)
    expect(text).toMatch(/^ {2}cart +map +int32 +void +string +none +40 /m)
    expect(text).toMatch(/^ {2}count +100 +0 +0 +0 +0 +0 +40 +0 +0 +0 +0 +0 +0$/m)
    expect(text).toMatch(/^ {2}pages +100 +0 +0 +0 +0 +80 +40 +0 +0 +0 +0 +0 +0$/m)
    expect(text).toMatch(/^ {2}_timer_sessions_event +40 +1000 +1039$/m)
    expect(text).toMatch(/entries and bytes per key group \(largest [\d.]+x the mean/)
  })

  it('--json: the same summary for scripts, every key group with its entries and bytes', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const result = runCli(['inspect', fixture.storageRoot, '--json', '--now', String(WRITE_TIME + 150)])
    expect(result.status).toBe(0)
    const { summary, problems } = JSON.parse(result.stdout)
    expect(problems).toEqual([])
    expect(summary.keyGroups.map((g: { keyGroup: number }) => g.keyGroup)).toEqual([...Array(MAX_PARALLELISM).keys()])
    expect(summary.keyGroups.reduce((sum: number, g: { entries: number }) => sum + g.entries, 0)).toBe(summary.totals.entries)
    // value + list + map per user, and one timer each
    expect(summary.totals.entries).toBe(4 * USERS)
    const pages = summary.states.find((s: { name: string }) => s.name === 'pages')
    expect(pages.elements).toBe(USERS * PAGES_PER_USER)
    // 150 s later every element is past its 100 s TTL: expired, not yet compacted away.
    expect(pages.ages).toMatchObject({ ttlSeconds: 100, expired: USERS * PAGES_PER_USER, oldestWriteTime: WRITE_TIME, newestWriteTime: WRITE_TIME + 2 })
    expect(summary.handles.map((h: { keyGroupRange: unknown }) => h.keyGroupRange)).toEqual([
      { start: 0, end: 7 },
      { start: 8, end: 15 },
    ])
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
    const result = runCli(['inspect', fixture.storageRoot])
    expect(result.status).toBe(4)
    expect(result.stdout).toContain("checkpoint 1 of job 'cli-job'")
    expect(result.stderr.trim().split('\n')).toEqual([
      `missing: handle 0: file '${fixture.handles[0]!.stream.key}' is missing`,
      'rocksdb-keyed-state: 1 problem(s) found, files missing',
    ])
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

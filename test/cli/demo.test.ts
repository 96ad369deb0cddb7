import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'
import { runCli } from './cli-fixture'

const tempDir = useTempDirs()

describe('rocksdb-keyed-state demo (examples/multi-worker.ts)', () => {
  it('rescales 2 -> 3 workers from the latest checkpoint, replays what followed it, and every key comes out exactly as the stream says', () => {
    const keep = tempDir('demo')
    const result = runCli(['demo', '--workers', '2', '--rescale-to', '3', '--events', '20000', '--keep', keep, '--json'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.problems).toEqual([])
    const [run, restart] = report.phases
    expect(run).toMatchObject({ phase: 'run', workers: 2 })
    expect(restart).toMatchObject({ phase: 'restart', workers: 3 })
    expect(run.checkpoints.length).toBeGreaterThanOrEqual(2)
    expect(report.restoredCheckpoint).toBe(run.checkpoints.at(-1))
    expect(report.replayedEvents).toBeGreaterThan(0)
    // Run 2 processed the replayed events and the rest of the stream.
    expect(restart.events).toBe(20000 - (run.events - report.replayedEvents))
    expect(restart.restoreMs).toHaveLength(3)
    expect(restart.keys).toBeGreaterThan(1000)
    // The checkpoints it kept are whole: the CLI verifies them.
    expect(runCli(['verify', `${keep}/checkpoints`]).status).toBe(0)
  })

  it('--incremental: the same exact totals from incremental checkpoints, which inspect reads without a problem', () => {
    const keep = tempDir('demo')
    const result = runCli(['demo', '--incremental', '--workers', '2', '--rescale-to', '1', '--events', '10000', '--keep', keep, '--json'])
    expect(result.status).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.problems).toEqual([])
    expect(report.replayedEvents).toBeGreaterThan(0)
    const inspected = JSON.parse(runCli(['inspect', `${keep}/checkpoints`, '--json']).stdout)
    expect(inspected.summary.handles.map((h: { kind: string }) => h.kind)).toEqual(['incremental'])
    expect(inspected.problems).toEqual([])
  })

  it('refuses a bad worker count as a usage error', () => {
    const result = runCli(['demo', '--workers', '0'])
    expect(result.status).toBe(2)
    expect(result.stderr.trim()).toBe("rocksdb-keyed-state: option '--workers <n>' argument '0' is invalid. expected a positive integer")
  })
})

import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'
import { runCli } from './cli-fixture'

const tempDir = useTempDirs()

const root = path.join(__dirname, '..', '..')

describe('demo regressions (issue 13)', () => {
  it('regression: the demo exited 0 after every worker crashed', () => {
    // 129 workers over 128 key groups: each worker throws on its empty key-group range and exits its thread with code 1.
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'multi-worker.ts'), '--workers', '129', '--events', '3000'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/worker \d+ exited with code 1/)
  })

  it('regression: demo --workers or --rescale-to above maxParallelism is a usage error before anything starts', () => {
    for (const option of ['--workers', '--rescale-to']) {
      const result = runCli(['demo', option, '129'])
      expect(result.status).toBe(2)
      expect(result.stderr.trim()).toBe(`rocksdb-keyed-state: option '${option} <n>' argument '129' is invalid. expected at most 128 (the demo's maxParallelism)`)
      expect(result.stdout).toBe('')
    }
  })

  it('regression: demo --keep <dir> deleted the checkpoints and instances already in <dir>', () => {
    const keep = tempDir('keep')
    mkdirSync(path.join(keep, 'checkpoints'), { recursive: true })
    writeFileSync(path.join(keep, 'checkpoints', 'precious'), 'mine')
    const result = runCli(['demo', '--events', '3000', '--keep', keep])
    expect(result.status).toBe(2)
    expect(result.stderr.trim()).toBe(`rocksdb-keyed-state: --keep ${keep} is not empty: give a new or empty directory`)
    expect(readdirSync(keep)).toEqual(['checkpoints'])
    expect(readFileSync(path.join(keep, 'checkpoints', 'precious'), 'utf8')).toBe('mine')
    // Run directly, the example refuses too (it is what `npm run demo` runs).
    const direct = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'multi-worker.ts'), '--events', '3000', '--keep', keep], { cwd: root, encoding: 'utf8', timeout: 120_000 })
    expect(direct.status).toBe(1)
    expect(direct.stderr).toContain('is not empty')
    expect(readFileSync(path.join(keep, 'checkpoints', 'precious'), 'utf8')).toBe('mine')
  })
})

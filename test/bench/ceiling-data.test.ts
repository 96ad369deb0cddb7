/**
 * The ceiling (bench/ceiling/, C++) must run on exactly bench/data.ts's keys, values and read
 * order: its generator, compiled alone (no RocksDB needed, about a second), prints the same
 * checksum as the TypeScript generator for every count.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataChecksum } from '../../bench/ceiling/data-checksum'

const SOURCE = path.join(__dirname, '..', '..', 'bench', 'ceiling', 'data-checksum.cc')
const compiler = process.env.CXX ?? 'c++'
const haveCompiler = spawnSync(compiler, ['--version']).status === 0

describe.skipIf(!haveCompiler)('bench/ceiling data generator', () => {
  let dir: string
  let binary: string

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rks-ceiling-data-'))
    binary = path.join(dir, 'data-checksum')
    const build = spawnSync(compiler, ['-std=c++17', '-O2', SOURCE, '-o', binary], { encoding: 'utf8' })
    expect(build.status, build.stderr).toBe(0)
  })

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  // 0 and 1: the edges of the permutation loop; 7: an odd count; the rest: bench sizes.
  it.each([0, 1, 7, 1000, 100_000, 300_000])('produces the bytes of bench/data.ts for %i keys', (keys) => {
    const run = spawnSync(binary, [String(keys)], { encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    expect(Number(run.stdout.trim())).toBe(dataChecksum(keys))
  })
})

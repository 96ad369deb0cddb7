/**
 * The bench's scan reads values only: `ours` walks its batches with `forEachValue` (no key
 * views) and the C++ ceiling reads `value()` alone. The peers' scans asked their iterators for
 * keys too, so each entry cost them a key Buffer that ours no longer makes: not the same work.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadDriver } from '../../bench/drivers'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: { prototype: { iterator(options?: object): unknown } } }

const dirs: string[] = []
afterEach(() => {
  vi.restoreAllMocks()
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe('bench scan drivers', () => {
  it.each([
    ['classic-level', ClassicLevel.prototype],
    ['nxtedition', RocksLevel.prototype],
  ] as const)('%s scans ask their iterator for values only, as ours and the ceiling read them', async (name, prototype) => {
    const iterator = vi.spyOn(prototype as { iterator(options?: object): unknown }, 'iterator')
    const driver = await loadDriver(name)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `scan-${name}-`))
    dirs.push(dir)
    await driver.open(dir)
    await driver.put(Buffer.from('a'), Buffer.from('1'))
    await driver.put(Buffer.from('b'), Buffer.from('22'))
    const values: string[] = []
    expect(await driver.scan(1000, (value) => values.push(value.toString()))).toBe(2)
    await driver.close()
    expect(values).toEqual(['1', '22'])
    expect(iterator).toHaveBeenCalledTimes(1)
    expect(iterator.mock.calls[0]![0]).toMatchObject({ keys: false })
  })
})

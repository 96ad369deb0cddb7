import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RocksDBError, Serializers as S, type FullKeyedStateHandle } from '../../lib'
import { codecByName } from '../../lib/format/codecs'
import { FullSnapshotReader } from '../../lib/format/full-snapshot-reader'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'

const zstd = codecByName('zstd')!
const fixture = useSnapshotFixture()

describe('zstd frames (native libzstd)', () => {
  it('round-trips compressible and random frames, compressing the compressible', async () => {
    const text = Buffer.from('key-group 17 / state clicks / '.repeat(8000).slice(0, 256 * 1024))
    const random = randomBytes(100_000)
    for (const raw of [text, random, Buffer.from([0])]) {
      const compressed = await zstd.compress(raw)
      expect((await zstd.decompress(compressed, raw.length)).equals(raw)).toBe(true)
    }
    expect((await zstd.compress(text)).length).toBeLessThan(text.length / 50)
  })

  it('refuses a frame declaring another length than its header, and garbage, without allocating for them', async () => {
    const raw = Buffer.from('x'.repeat(5000))
    const compressed = await zstd.compress(raw)
    await expect(zstd.decompress(compressed, raw.length + 1)).rejects.toThrow(/declares 5000 bytes, expected 5001/)
    await expect(zstd.decompress(randomBytes(64), 64)).rejects.toBeInstanceOf(RocksDBError)
    const truncated = compressed.subarray(0, compressed.length - 3)
    await expect(zstd.decompress(truncated, raw.length)).rejects.toMatchObject({ code: 'Corruption' })
  })

  it('a backend snapshot with zstd restores, and its stream says zstd', async () => {
    const source = await fixture.backend()
    const state = source.listState('pages', S.string)
    for (let i = 0; i < 2000; i++) {
      source.setCurrentKey(`user-${i}`)
      state.addAll(['/home', '/pricing', `/item/${i}`])
    }
    const handle = (await source.snapshot(1, fixture.storage(), { compression: 'zstd' })) as FullKeyedStateHandle
    const reader = await FullSnapshotReader.open(await fixture.storage().localPath(handle.stream))
    expect(reader.compression).toBe('zstd')
    await reader.close()
    const restored = await fixture.backend({ restoreFrom: [handle] })
    const pages = restored.listState('pages', S.string)
    restored.setCurrentKey('user-1234')
    expect(pages.get()).toEqual(['/home', '/pricing', '/item/1234'])
    expect(restored.numEntries()).toBe(source.numEntries())
  })
})

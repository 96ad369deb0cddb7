import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, Serializers as S, type FullKeyedStateHandle } from '../../lib'
import { reseal } from '../snapshot/reseal'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'

const fixture = useSnapshotFixture()

/** A snapshot of two states under one key, so its key group holds two state runs. */
async function twoStateRuns() {
  const source = await fixture.backend()
  source.setCurrentKey('k')
  source.valueState('a', S.string).update('A')
  source.valueState('c', S.string).update('C')
  const keyGroup = source.currentKeyGroup
  const handle = (await source.snapshot(1, fixture.storage())) as FullKeyedStateHandle
  return { handle, keyGroup }
}

/** Where the second state's run starts inside `keyGroup` (uncompressed layout: int16 id, int32 length + key, int32 length + value). */
function secondRunOffset(handle: FullKeyedStateHandle, keyGroup: number): number {
  const bytes = readFileSync(path.join(fixture.storage().root, handle.stream.key))
  const first = handle.keyGroupOffsets[keyGroup]!
  const keyLength = bytes.readUInt32BE(first + 2)
  const valueLength = bytes.readUInt32BE(first + 6 + keyLength)
  return first + 2 + 4 + keyLength + 4 + valueLength
}

async function expectRefused(handle: FullKeyedStateHandle): Promise<void> {
  const instance = fixture.tempDir('restored')
  const error = await fixture.backend({ path: instance, restoreFrom: [handle] }).catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(CorruptCheckpointError)
  expect((error as Error).message).toMatch(/key-group index says/)
  expect(existsSync(instance)).toBe(false)
}

describe("regression: a handle's offsets must match the stream's own key-group index", () => {
  it('regression: keyGroupOffsets zeroed and the handle resealed restored 0 entries silently; now CorruptCheckpointError', async () => {
    const { handle } = await twoStateRuns()
    await expectRefused(reseal({ ...handle, keyGroupOffsets: handle.keyGroupOffsets.map(() => 0) }))
  })

  it('regression: an offset moved to the key group\'s second state run (resealed) restored without the first state; now CorruptCheckpointError', async () => {
    const { handle, keyGroup } = await twoStateRuns()
    const second = secondRunOffset(handle, keyGroup)
    await expectRefused(reseal({ ...handle, keyGroupOffsets: handle.keyGroupOffsets.map((offset, i) => (i === keyGroup ? second : offset)) }))
  })

  it('an empty key group pointed at a non-empty one\'s data (resealed) is refused', async () => {
    const { handle, keyGroup } = await twoStateRuns()
    const empty = handle.keyGroupOffsets.findIndex((offset) => offset === 0)
    const copied = handle.keyGroupOffsets.map((offset, i) => (i === empty ? handle.keyGroupOffsets[keyGroup]! : offset))
    await expectRefused(reseal({ ...handle, keyGroupOffsets: copied }))
  })

  it('the untampered handle restores both states', async () => {
    const { handle } = await twoStateRuns()
    const restored = await fixture.backend({ restoreFrom: [handle] })
    expect(restored.numEntries()).toBe(2)
  })
})

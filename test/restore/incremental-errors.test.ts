import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CorruptCheckpointError,
  IncompatibleStateError,
  InvalidHandleSetError,
  KeyGroupRange,
  KeyedStateBackend,
  RocksDB,
  RocksDBError,
  Serializers as S,
  type IncrementalKeyedStateHandle,
} from '../../lib'
import { sealHandle } from '../../lib/snapshot/keyed-state-handle'
import { flipBit } from '../storage/helpers'
import { incremental, useIncrementalFixture } from '../snapshot/incremental-fixture'

const fixture = useIncrementalFixture()

async function aHandle(): Promise<IncrementalKeyedStateHandle> {
  const backend = await fixture.backend()
  const state = backend.valueState('v', S.int32)
  for (let i = 0; i < 300; i++) {
    backend.setCurrentKey(`k${i}`)
    state.update(i)
  }
  const handle = incremental(await backend.snapshot(1))
  await backend.close()
  return handle
}

function reseal(handle: IncrementalKeyedStateHandle, fields: Partial<IncrementalKeyedStateHandle>): IncrementalKeyedStateHandle {
  const { version: _version, checksum: _checksum, ...rest } = { ...handle, ...fields }
  return sealHandle(rest)
}

function stored(ref: { key: string }): string {
  return path.join(fixture.storage().root, ref.key)
}

const firstShared = (handle: IncrementalKeyedStateHandle) => Object.values(handle.sharedFiles)[0]!

type Case = [string, (handle: IncrementalKeyedStateHandle) => Promise<unknown>, new (...args: never[]) => Error, RegExp]

const cases: Case[] = [
  ['a missing shared file', async (h) => (await fixture.storage().deleteFile(firstShared(h).key), h), CorruptCheckpointError, /missing/],
  ['a corrupt shared file', async (h) => (flipBit(stored(firstShared(h)), 10), h), CorruptCheckpointError, /SHA-256/],
  ['a corrupt private file', async (h) => (flipBit(stored(h.privateFiles.CURRENT!), 0), h), CorruptCheckpointError, /SHA-256/],
  ['a missing metadata file', async (h) => (await fixture.storage().deleteFile(h.metadata.key), h), CorruptCheckpointError, /missing/],
  ['an altered handle (checksum mismatch)', async (h) => ({ ...h, sharedFiles: {} }), CorruptCheckpointError, /checksum/],
  ['a handle of a newer version', async (h) => ({ ...h, version: 3 }), CorruptCheckpointError, /version 3 is newer/],
  [
    'metadata of another format version',
    async (h) => {
      const metadata = JSON.parse((await fixture.storage().readFile(h.metadata)).toString())
      const ref = await fixture.storage().writeFile('chk-1/crafted/metadata.json', Buffer.from(JSON.stringify({ ...metadata, version: 2 })))
      return reseal(h, { metadata: ref })
    },
    CorruptCheckpointError,
    /version 2; this library reads version 1/,
  ],
  [
    'a private file named like the instance marker (a restore would write it into the instance directory)',
    async (h) => reseal(h, { privateFiles: { ...h.privateFiles, KEYED_STATE_INSTANCE: h.privateFiles.CURRENT! } }),
    CorruptCheckpointError,
    /no RocksDB checkpoint file of that kind has: "KEYED_STATE_INSTANCE"/,
  ],
  [
    "metadata of another checkpoint's range than its handle's",
    async (h) => reseal(h, { keyGroupRange: { start: 0, end: 63 } }),
    CorruptCheckpointError,
    /key groups \[0, 127\]; its handle says .* key groups \[0, 63\]/,
  ],
]

describe('incremental restore errors: a typed error, and nothing half-restored', () => {
  for (const [what, spoil, type, message] of cases) {
    // A handle claiming key groups 0-63 covers only that range: restoring it into 0-127 is a set error (below).
    const ranges = what.includes("another checkpoint's range") ? [new KeyGroupRange(0, 63)] : [new KeyGroupRange(0, 127), new KeyGroupRange(0, 63)]
    for (const range of ranges) {
      const into = range.end === 127 ? 'the same range' : 'another range (per-key copy)'
      it(`${what}, restoring into ${into}`, async () => {
        const spoiled = await spoil(await aHandle())
        // A new instance directory: removed again.
        const fresh = fixture.tempDir('fresh')
        const failed = fixture.backend({ path: fresh, range, restoreFrom: [spoiled] })
        await expect(failed).rejects.toBeInstanceOf(type)
        await expect(failed).rejects.toThrow(message)
        expect(existsSync(fresh)).toBe(false)
        // An existing instance: its states are kept.
        const existing = fixture.tempDir('existing')
        const earlier = await fixture.backend({ path: existing, range })
        earlier.setCurrentKey('k1')
        earlier.valueState('old', S.int32).update(1)
        await earlier.close()
        await expect(fixture.backend({ path: existing, range, restoreFrom: [spoiled] })).rejects.toBeInstanceOf(type)
        expect(await RocksDB.listColumnFamilies(existing)).toEqual(['default', 'old'])
        expect(existsSync(path.join(existing, 'keyed-state-work'))).toBe(false)
      })
    }
  }

  it('a MANIFEST RocksDB cannot read (under valid checksums) fails after the install: a new directory is removed, an existing instance keeps no database files', async () => {
    const handle = await aHandle()
    const manifest = Object.keys(handle.privateFiles).find((name) => name.startsWith('MANIFEST-'))!
    const garbage = await fixture.storage().writeFile('chk-1/crafted/MANIFEST', Buffer.from('not a manifest'))
    const crafted = reseal(handle, { privateFiles: { ...handle.privateFiles, [manifest]: garbage } })
    const fresh = fixture.tempDir('fresh')
    await expect(fixture.backend({ path: fresh, restoreFrom: [crafted] })).rejects.toBeInstanceOf(RocksDBError)
    expect(existsSync(fresh)).toBe(false)
    const existing = fixture.tempDir('existing')
    const earlier = await fixture.backend({ path: existing })
    await earlier.close()
    await expect(fixture.backend({ path: existing, restoreFrom: [crafted] })).rejects.toBeInstanceOf(RocksDBError)
    expect(readdirSync(existing).sort()).toEqual(['KEYED_STATE_INSTANCE', 'KEYED_STATE_LOCK'])
    // Still an instance: it opens again, empty.
    const reopened = await fixture.backend({ path: existing })
    expect(reopened.registeredStates()).toEqual([])
  })

  it('a handle that does not cover the range is an InvalidHandleSetError; another maxParallelism an IncompatibleStateError', async () => {
    const handle = await aHandle()
    const half = reseal(handle, { keyGroupRange: { start: 0, end: 63 } })
    await expect(fixture.backend({ restoreFrom: [half] })).rejects.toBeInstanceOf(InvalidHandleSetError)
    const fresh = fixture.tempDir('fresh')
    const other = KeyedStateBackend.open({
      path: fresh,
      keySerializer: S.string,
      maxParallelism: 256,
      keyGroupRange: new KeyGroupRange(0, 127),
      storage: fixture.storage(),
      restoreFrom: [handle],
      incremental: true,
    })
    await expect(other).rejects.toBeInstanceOf(IncompatibleStateError)
    expect(existsSync(fresh)).toBe(false)
  })
})

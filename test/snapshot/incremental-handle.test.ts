import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, parseKeyedStateHandle, type IncrementalKeyedStateHandle } from '../../lib'
import { sealHandle } from '../../lib/snapshot/keyed-state-handle'

const ref = (key: string, size: number) => ({ key, size, sha256: String(size % 10).repeat(64) })

const handle: IncrementalKeyedStateHandle = sealHandle({
  kind: 'incremental',
  checkpointId: 7,
  jobId: 'job',
  backendId: 'b-1',
  keyGroupRange: { start: 0, end: 63 },
  sharedFiles: { '000012.sst': ref('shared/b-1/000012-a.sst', 100), '000015.sst': ref('shared/b-0/000015-b.sst', 200) },
  privateFiles: { CURRENT: ref('chk-7/b-1/CURRENT', 16), 'MANIFEST-000011': ref('chk-7/b-1/MANIFEST-000011', 300) },
  metadata: ref('chk-7/b-1/keyed-state-metadata.json', 400),
})

/** Every path to a leaf of `value`, as property keys. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix]
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]))
}

describe('incremental handles', () => {
  it('survive JSON, whatever the order of their file maps', () => {
    const json = JSON.parse(JSON.stringify(handle))
    expect(parseKeyedStateHandle(json)).toEqual(handle)
    const reordered = { ...json, sharedFiles: Object.fromEntries(Object.entries(json.sharedFiles).reverse()) }
    expect(parseKeyedStateHandle(reordered)).toEqual(handle)
  })

  it('any field altered, even to a valid value, is refused by the checksum', () => {
    for (const at of leafPaths(handle).filter((path) => path[0] !== 'checksum')) {
      const altered = structuredClone(handle) as any
      let target = altered
      for (const key of at.slice(0, -1)) target = target[key]
      const value = target[at.at(-1)!]
      target[at.at(-1)!] = typeof value === 'number' ? value + 1 : `${value}0`
      expect(() => parseKeyedStateHandle(altered), at.join('.')).toThrow(CorruptCheckpointError)
    }
  })

  it('replacing any one field with any JSON value, resealed, either validates or throws CorruptCheckpointError, never anything else', () => {
    const paths = leafPaths(handle).filter((path) => path[0] !== 'checksum' && path[0] !== 'version')
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(undefined)), (at, replacement) => {
        const { version: _version, checksum: _checksum, ...fields } = structuredClone(handle) as any
        let target = fields
        for (const key of at.slice(0, -1)) target = target[key]
        target[at.at(-1)!] = replacement
        let crafted: unknown
        try {
          crafted = sealHandle(fields)
        } catch {
          return // a value the checksum cannot even be computed over is no handle
        }
        try {
          const parsed = parseKeyedStateHandle(crafted) as IncrementalKeyedStateHandle
          for (const name of Object.keys(parsed.sharedFiles)) expect(name).toMatch(/^[0-9]+\.sst$/)
          for (const name of Object.keys(parsed.privateFiles)) expect(name).not.toMatch(/\.sst$|\/|^\./)
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptCheckpointError)
        }
      }),
      { numRuns: 2000 },
    )
  })
})

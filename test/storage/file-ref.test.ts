import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import { checkFileRef, checkKey, collectFileRefs, keyProblem } from '../../lib/storage/file-ref'

const SHA = 'a'.repeat(64)

describe('storage keys', () => {
  it('accepts relative /-separated paths', () => {
    for (const key of ['a', 'shared/b1/000012.sst', 'chk-17/b1/MANIFEST-000005', 'jobs/j-1/chk-3.json', 'x..y/z.', 'ü/€']) {
      expect(keyProblem(key)).toBeUndefined()
      expect(checkKey(key)).toBe(key)
    }
  })

  it.each([
    ['', /empty/],
    ['/etc/passwd', /relative/],
    ['a//b', /empty segments/],
    ['a/', /empty segments/],
    ['.', /'\.'/],
    ['..', /'\.'/],
    ['a/../b', /'\.'/],
    ['a/./b', /'\.'/],
    ['../outside', /'\.'/],
    ['shared/.tmp-0123', /'\.'/],
    ['a\\b', /backslash/],
    ['..\\x', /backslash/],
    ['a\0b', /NUL/],
    ['k'.repeat(1025), /at most 1024 bytes/],
  ])('refuses %j', (key, problem) => {
    expect(keyProblem(key)).toMatch(problem)
    expect(() => checkKey(key)).toThrow(RangeError)
  })

  it('refuses non-strings', () => {
    expect(keyProblem(42)).toMatch(/string/)
    expect(keyProblem(undefined)).toMatch(/string/)
  })

  it('every accepted key stays inside the root once joined (property)', () => {
    const segment = fc.string({ unit: fc.constantFrom('a', '.', '/', '\\', '\0', 'é', '-'), minLength: 0, maxLength: 6 })
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (parts) => {
        const key = parts.join('/')
        if (keyProblem(key) !== undefined) return
        const joined = path.join('/root', key)
        expect(joined.startsWith('/root/')).toBe(true)
        expect(path.posix.normalize(key)).toBe(key)
      }),
      { numRuns: 5000 },
    )
  })
})

describe('checkFileRef', () => {
  it('returns exactly the three fields of a valid reference', () => {
    expect(checkFileRef({ key: 'a/b', size: 0, sha256: SHA, extra: true })).toEqual({ key: 'a/b', size: 0, sha256: SHA })
  })

  it.each([
    [null, /not an object/],
    [[], /not an object/],
    ['a/b', /not an object/],
    [{ key: '../x', size: 1, sha256: SHA }, /'\.'/],
    [{ key: '/abs', size: 1, sha256: SHA }, /relative/],
    [{ size: 1, sha256: SHA }, /string/],
    [{ key: 'a', size: -1, sha256: SHA }, /size/],
    [{ key: 'a', size: 1.5, sha256: SHA }, /size/],
    [{ key: 'a', size: '1', sha256: SHA }, /size/],
    [{ key: 'a', size: 2 ** 53, sha256: SHA }, /size/],
    [{ key: 'a', size: 1, sha256: 'A'.repeat(64) }, /sha256/],
    [{ key: 'a', size: 1, sha256: 'a'.repeat(63) }, /sha256/],
  ])('refuses %j with CorruptCheckpointError', (value, problem) => {
    expect(() => checkFileRef(value)).toThrow(CorruptCheckpointError)
    expect(() => checkFileRef(value)).toThrow(problem)
  })
})

describe('collectFileRefs', () => {
  it('finds references anywhere in a handle, once per key', () => {
    const ref = (key: string) => ({ key, size: 1, sha256: SHA })
    const handle = {
      kind: 'incremental',
      keyGroupRange: { start: 0, end: 3 },
      sharedFiles: { '1.sst': ref('shared/b/1.sst'), '2.sst': ref('shared/b/2.sst') },
      privateFiles: [[ref('chk-1/b/CURRENT')]],
      metadata: ref('chk-1/b/metadata'),
    }
    const keys = collectFileRefs([handle, { stream: ref('shared/b/1.sst') }]).map((r) => r.key)
    expect(keys.sort()).toEqual(['chk-1/b/CURRENT', 'chk-1/b/metadata', 'shared/b/1.sst', 'shared/b/2.sst'])
    expect(collectFileRefs({ key: 'x', size: 1 })).toEqual([]) // not shaped like a reference
  })

  it('validates what it finds', () => {
    expect(() => collectFileRefs({ stream: { key: 'a/../../x', size: 1, sha256: SHA } })).toThrow(CorruptCheckpointError)
    expect(() => collectFileRefs([{ key: 'a', size: 1, sha256: SHA }, { key: 'a', size: 2, sha256: SHA }])).toThrow(/two different/)
  })

  it('walks deep and wide JSON without overflowing the stack', () => {
    let deep: unknown = { key: 'deep', size: 1, sha256: SHA }
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(collectFileRefs(deep)).toHaveLength(1)
    const wide = Array.from({ length: 200_000 }, (_, i) => ({ key: `k${i % 3}`, size: 1, sha256: SHA }))
    expect(collectFileRefs(wide)).toHaveLength(3)
  })
})

import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALLOWED_LIBRARIES, currentLinkPlatform, linkedLibraries, parseLinkedLibraries, type LinkPlatform } from './linked-libraries'

// The prebuild's linkage check runs on each release platform (.github/workflows/prebuild.yml);
// here its parsing and allow-lists meet each platform's tool output, recorded from those platforms.
const samples: Record<string, { platform: LinkPlatform; output: string; libraries: string[] }> = {
  'linux x64 glibc (ldd)': {
    platform: 'linux-glibc',
    output: `	linux-vdso.so.1 (0x00007ffc8a5f2000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f3c1a200000)
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f3c1a521000)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f3c1a501000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3c1a01f000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f3c1a62f000)
`,
    libraries: ['linux-vdso.so.1', 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
  },
  'linux arm64 glibc (ldd)': {
    platform: 'linux-glibc',
    output: `	linux-vdso.so.1 (0x0000ffff9a6d4000)
	libstdc++.so.6 => /lib/aarch64-linux-gnu/libstdc++.so.6 (0x0000ffff99e00000)
	libm.so.6 => /lib/aarch64-linux-gnu/libm.so.6 (0x0000ffff9a600000)
	libgcc_s.so.1 => /lib/aarch64-linux-gnu/libgcc_s.so.1 (0x0000ffff9a5c0000)
	libc.so.6 => /lib/aarch64-linux-gnu/libc.so.6 (0x0000ffff99c50000)
	/lib/ld-linux-aarch64.so.1 (0x0000ffff9a697000)
`,
    libraries: ['linux-vdso.so.1', 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libc.so.6', '/lib/ld-linux-aarch64.so.1'],
  },
  'linux x64 musl (ldd)': {
    platform: 'linux-musl',
    output: `	/lib/ld-musl-x86_64.so.1 (0x7f5e4a3c1000)
	libstdc++.so.6 => /usr/lib/libstdc++.so.6 (0x7f5e49e00000)
	libgcc_s.so.1 => /usr/lib/libgcc_s.so.1 (0x7f5e4a39d000)
	libc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f5e4a3c1000)
`,
    libraries: ['/lib/ld-musl-x86_64.so.1', 'libstdc++.so.6', 'libgcc_s.so.1', 'libc.musl-x86_64.so.1'],
  },
  'darwin arm64 (otool -L)': {
    platform: 'darwin',
    output: `prebuilds/darwin-arm64/rocksdb-keyed-state.node:
	/usr/lib/libc++.1.dylib (compatibility version 1.0.0, current version 1700.255.0)
	/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1345.100.2)
`,
    libraries: ['/usr/lib/libc++.1.dylib', '/usr/lib/libSystem.B.dylib'],
  },
}

describe('the linkage check of prebuilt binaries', () => {
  for (const [name, { platform, output, libraries }] of Object.entries(samples)) {
    it(`accepts a self-contained binary on ${name}`, () => {
      const parsed = parseLinkedLibraries(platform, output, 'rocksdb-keyed-state.node')
      expect(parsed).toEqual(libraries)
      expect(parsed.filter((library) => !ALLOWED_LIBRARIES[platform].test(library))).toEqual([])
    })
  }

  it('rejects libraries outside the runtime, found or not', () => {
    const output = `	linux-vdso.so.1 (0x00007ffc8a5f2000)
	librocksdb.so.7.8 => /lib/x86_64-linux-gnu/librocksdb.so.7.8 (0x00007f3c19a00000)
	libsnappy.so.1 => not found
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3c1a01f000)
`
    const parsed = parseLinkedLibraries('linux-glibc', output, 'x.node')
    expect(parsed.filter((library) => !ALLOWED_LIBRARIES['linux-glibc'].test(library))).toEqual(['librocksdb.so.7.8', 'libsnappy.so.1'])
    // another platform's loader is not this platform's runtime
    expect(ALLOWED_LIBRARIES.darwin.test('/lib64/ld-linux-x86-64.so.2')).toBe(false)
    expect(ALLOWED_LIBRARIES['linux-glibc'].test('/lib/ld-musl-x86_64.so.1')).toBe(false)
  })

  const devBuild = path.join(__dirname, '..', '..', 'build', 'Release', 'rocksdb_keyed_state.node')
  it.skipIf(!existsSync(devBuild) || currentLinkPlatform() !== 'linux-glibc')(
    "rejects the development build, which links Debian's librocksdb (the real tool on a real binary)",
    () => {
      const rejected = linkedLibraries(devBuild).filter((library) => !ALLOWED_LIBRARIES['linux-glibc'].test(library))
      expect(rejected.some((library) => library.startsWith('librocksdb.so'))).toBe(true)
    },
  )
})

import { execFileSync } from 'node:child_process'
import path from 'node:path'

/**
 * What a prebuilt binary may link, per platform: the C/C++ runtime and the platform's loader,
 * nothing else (RocksDB and its compression libraries are linked in statically).
 */
export const ALLOWED_LIBRARIES = {
  // ldd names: vdso, runtime libraries, and the loader by path (x64: /lib64/..., arm64: /lib/...)
  'linux-glibc':
    /^(linux-vdso\.so\.1|libstdc\+\+\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libpthread\.so\.0|libdl\.so\.2|\/lib64\/ld-linux-x86-64\.so\.2|\/lib\/ld-linux-aarch64\.so\.1)$/,
  // musl's libc is its loader, listed under both names
  'linux-musl': /^(libstdc\+\+\.so\.6|libgcc_s\.so\.1|libc\.musl-(x86_64|aarch64)\.so\.1|\/lib\/ld-musl-(x86_64|aarch64)\.so\.1)$/,
  // otool -L install names
  darwin: /^(\/usr\/lib\/libc\+\+\.1\.dylib|\/usr\/lib\/libSystem\.B\.dylib)$/,
} as const

export type LinkPlatform = keyof typeof ALLOWED_LIBRARIES

/** This machine's entry of `ALLOWED_LIBRARIES`. */
export function currentLinkPlatform(): LinkPlatform {
  if (process.platform === 'darwin') return 'darwin'
  if (process.platform !== 'linux') throw new Error(`no linkage check for ${process.platform}`)
  const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
  return header.glibcVersionRuntime === undefined ? 'linux-musl' : 'linux-glibc'
}

/**
 * The libraries in `ldd` output (the name left of `=>`, else the first word: the vdso and the
 * loader) or in `otool -L` output (each install name after the first line, without the binary's own).
 */
export function parseLinkedLibraries(platform: LinkPlatform, output: string, binary: string): string[] {
  const lines = output.split('\n').map((line) => line.trim())
  if (platform === 'darwin') {
    return lines
      .slice(1)
      .map((line) => line.split(' (compatibility')[0].trim())
      .filter((name) => name !== '' && path.basename(name) !== path.basename(binary))
  }
  return lines.filter(Boolean).map((line) => (line.includes('=>') ? line.split('=>')[0].trim() : line.split(/\s+/)[0]))
}

/** The libraries `binary` links, as this platform's tool lists them. */
export function linkedLibraries(binary: string, platform = currentLinkPlatform()): string[] {
  const [tool, args] = platform === 'darwin' ? ['otool', ['-L', binary]] : ['ldd', [binary]]
  return parseLinkedLibraries(platform, execFileSync(tool, args as string[], { encoding: 'utf8' }), binary)
}

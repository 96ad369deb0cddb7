import { createHash } from 'node:crypto'
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Every file under `dir` (dot names included), relative, sorted: what a failed operation left. */
export function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

/** Flips one bit of a stored (read-only) file in place. */
export function flipBit(file: string, at: number): void {
  chmodSync(file, 0o644)
  const bytes = readFileSync(file)
  bytes[at] ^= 0x01
  writeFileSync(file, bytes)
}

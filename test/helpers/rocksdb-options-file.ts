import fs from 'node:fs'
import path from 'node:path'

/** write_buffer_size of every column family, from the newest OPTIONS file RocksDB wrote in `dir` (at open and at each family's creation). */
export function writeBufferSizes(dir: string): Record<string, number> {
  const newest = fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('OPTIONS-'))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .at(-1)!
  const sizes: Record<string, number> = {}
  let family = ''
  for (const line of fs.readFileSync(path.join(dir, newest), 'utf8').split('\n')) {
    const section = /^\[CFOptions "(.*)"\]$/.exec(line)
    if (section) family = section[1]!
    const size = /^\s*write_buffer_size=(\d+)$/.exec(line)
    if (size && family) sizes[family] = Number(size[1])
  }
  return sizes
}

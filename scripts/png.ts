/**
 * Just enough PNG for the report's screenshots: decode 8-bit RGB/RGBA non-interlaced images
 * (what Chromium writes) to RGBA pixels, encode RGBA pixels, and crop. Used by the report's
 * browser test (to look at what was painted) and scripts/report-screenshot.sh (to trim the page).
 */
import { deflateSync, inflateSync } from 'node:zlib'

export interface Image {
  width: number
  height: number
  /** RGBA, row by row. */
  pixels: Buffer
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function decodePng(file: Buffer): Image {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file')
  let width = 0
  let height = 0
  let channels = 0
  const data: Buffer[] = []
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at)
    const type = file.toString('latin1', at + 4, at + 8)
    const body = file.subarray(at + 8, at + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const [depth, color, , , interlace] = body.subarray(8, 13)
      channels = color === 6 ? 4 : color === 2 ? 3 : 0
      if (depth !== 8 || channels === 0 || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`)
    } else if (type === 'IDAT') data.push(body)
    at += 12 + length
  }
  const raw = inflateSync(Buffer.concat(data))
  const stride = width * channels
  const rows = Buffer.alloc(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = rows.subarray(y * stride, (y + 1) * stride)
    const up = y === 0 ? Buffer.alloc(stride) : rows.subarray((y - 1) * stride, y * stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels]! : 0
      const b = up[x]!
      const c = x >= channels ? up[x - channels]! : 0
      out[x] = (line[x]! + [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!) & 0xff
    }
  }
  if (channels === 4) return { width, height, pixels: rows }
  const pixels = Buffer.alloc(width * height * 4, 0xff)
  for (let i = 0, o = 0; i < rows.length; i += 3, o += 4) rows.copy(pixels, o, i, i + 3)
  return { width, height, pixels }
}

export function encodePng({ width, height, pixels }: Image): Buffer {
  const raw = Buffer.alloc(height * (width * 4 + 1))
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4)
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6, 0, 0, 0], 8)
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

/** The image without its bottom rows that are all the color of its bottom-left pixel, keeping `margin` of them. */
export function cropBottom(image: Image, margin: number): Image {
  const { width, pixels } = image
  const background = pixels.readUInt32BE((image.height - 1) * width * 4)
  let height = image.height
  const rowIsBackground = (y: number) => {
    for (let x = 0; x < width; x++) if (pixels.readUInt32BE((y * width + x) * 4) !== background) return false
    return true
  }
  while (height > 1 && rowIsBackground(height - 1)) height--
  height = Math.min(image.height, height + margin)
  return { width, height, pixels: pixels.subarray(0, height * width * 4) }
}

/** How many pixels are within `tolerance` of the color `#rrggbb` in every channel. */
export function countColor({ pixels }: Image, hex: string, tolerance = 8): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (let i = 0; i < pixels.length; i += 4) {
    if (Math.abs(pixels[i]! - r!) <= tolerance && Math.abs(pixels[i + 1]! - g!) <= tolerance && Math.abs(pixels[i + 2]! - b!) <= tolerance) count++
  }
  return count
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, 'latin1')
  body.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length)
  return out
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

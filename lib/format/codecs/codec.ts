/**
 * A block compressor for the full-snapshot stream's frames. Async so that a native codec can run
 * in the thread pool while the event loop keeps serving. `decompress` must fail (any error) rather
 * than produce more than `rawLength` bytes: the reader passes the frame's stored length, already
 * checked against FRAME_BYTES, so a corrupt frame can never make it allocate more.
 */
export interface Codec {
  compress(raw: Buffer): Promise<Buffer>
  decompress(compressed: Buffer, rawLength: number): Promise<Buffer>
}

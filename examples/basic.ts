/**
 * End to end on the native layer: a database with two TTL column families, writes, list
 * appends through merge, a range scan, a snapshot, a checkpoint, and the checkpoint
 * reopened as a database of its own. Run: npx tsx examples/basic.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RocksDB } from '../lib'

async function main() {
  const workDir = mkdtempSync(path.join(tmpdir(), 'rocksdb-keyed-state-demo-'))
  const columnFamilies = [
    { name: 'clicks', ttlSeconds: 3600 }, // per-user counters, kept for an hour
    { name: 'sessions', ttlSeconds: 1800 }, // per-user page lists, kept for half an hour
  ]
  try {
    const db = await RocksDB.open(path.join(workDir, 'state'), { columnFamilies })
    console.log(`RocksDB ${RocksDB.version} (${RocksDB.build} build), opened ${db.path}`)
    const clicks = db.columnFamily('clicks')
    const sessions = db.columnFamily('sessions')

    const events = [
      ['user-1', '/home'],
      ['user-2', '/pricing'],
      ['user-1', '/docs'],
      ['user-3', '/home'],
      ['user-1', '/pricing'],
    ]
    for (const [user, page] of events) {
      const count = clicks.get(user)?.readUInt32BE(0) ?? 0
      const next = Buffer.alloc(4)
      next.writeUInt32BE(count + 1)
      clicks.put(user, next) // read-modify-write: a counter
      sessions.merge(user, page) // append without reading: RocksDB merge
    }

    const snapshot = db.snapshot()
    clicks.put('user-4', Buffer.from([0, 0, 0, 1])) // after the snapshot: not in it

    console.log('clicks as of the snapshot:')
    for (const [user, count] of clicks.iterator({ snapshot })) console.log(`  ${user}: ${count.readUInt32BE(0)}`)
    console.log('sessions (merged lists):')
    for (const [user, pages] of sessions.iterator({ gte: 'user-1', lt: 'user-3' })) console.log(`  ${user}: ${pages}`)
    const raw = clicks.get('user-1', { raw: true })!
    console.log(`user-1's counter was written at ${new Date(raw.readInt32LE(raw.length - 4) * 1000).toISOString()}`)
    snapshot.release()

    const checkpointDir = path.join(workDir, 'checkpoint-1')
    const { sequenceNumber } = await db.checkpoint(checkpointDir)
    const files = db.liveFiles()
    console.log(`checkpoint at sequence ${sequenceNumber}: ${files.length} SST files hard-linked into ${checkpointDir}`)
    await db.close()

    const restored = await RocksDB.open(checkpointDir, { columnFamilies })
    console.log('the checkpoint, reopened as a database:')
    for (const cf of restored.columnFamilies()) {
      const entries = [...cf.iterator()]
      console.log(`  ${cf.name} (ttl ${cf.ttlSeconds}s): ${entries.map(([k, v]) => `${k}=${cf.name === 'clicks' ? v.readUInt32BE(0) : v}`).join(' ') || '(empty)'}`)
    }
    await restored.close()
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

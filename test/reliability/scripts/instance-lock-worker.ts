// A worker thread that opens a backend on workerData.dir, posts 'open' and waits to be terminated.
// Bundled by worker-bundle.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { KeyGroupRange, KeyedStateBackend, Serializers as S } from '../../../lib'

void KeyedStateBackend.open({ path: workerData.dir as string, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127) }).then(() => {
  parentPort!.postMessage('open')
  setInterval(() => undefined, 1000)
})

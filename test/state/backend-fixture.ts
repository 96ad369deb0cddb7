import { KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, type Serializer } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

export const START = 1_700_000_000

/** Opens backends in temp dirs and closes them after each test. */
export function useBackends() {
  const tempDir = useTempDirs()
  return async function open<K = string>(
    options: { keySerializer?: Serializer<K>; maxParallelism?: number; keyGroupRange?: KeyGroupRange; clock?: ManualClock } = {},
  ) {
    const maxParallelism = options.maxParallelism ?? 128
    return KeyedStateBackend.open<K>({
      path: tempDir(),
      keySerializer: options.keySerializer ?? (S.string as unknown as Serializer<K>),
      maxParallelism,
      keyGroupRange: options.keyGroupRange ?? new KeyGroupRange(0, maxParallelism - 1),
      clock: options.clock,
    })
  }
}

export { KeyGroupRange, type KeyGroupRangeJSON } from './key-group-range'
export {
  UPPER_BOUND_MAX_PARALLELISM,
  DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
  checkMaxParallelism,
  checkParallelism,
  murmurHash,
  computeKeyGroupForKeyHash,
  assignToKeyGroup,
  computeOperatorIndexForKeyGroup,
  defaultMaxParallelism,
} from './assignment'
export { keyGroupPrefixBytes, writeKeyGroupPrefix, readKeyGroupPrefix, type KeyGroupPrefixBytes } from './key-group-prefix'
export { CompositeKeyBuilder, CompositeKeyParser, isAmbiguousKeyPossible } from './composite-key'

// The public surface of rocksdb-keyed-state. Everything not exported here is internal.
export * from './native'
export * from './errors'
export * from './keygroups'
export * from './serializers'

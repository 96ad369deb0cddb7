// Loaded only for the addon's gcov run (scripts/native-coverage.sh sets NATIVE_COVERAGE): vitest
// ends its forks with SIGTERM, which kills a process before the exit handlers that write the
// addon's .gcda counters; exiting normally runs them.
const installed = Symbol.for('rocksdb-keyed-state.exit-on-sigterm')
const registry = globalThis as { [installed]?: true }
if (!registry[installed]) {
  registry[installed] = true
  process.once('SIGTERM', () => process.exit(0))
}

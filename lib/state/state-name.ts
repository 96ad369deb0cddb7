const STATE_NAME = /^[\w.\-:]{1,200}$/

/**
 * Why `name` cannot name a state, or undefined. A state name is also its column family's name and
 * is read back from snapshots, so it is kept to a safe alphabet (no path separators) and away from
 * the reserved names ('default', a leading '_' as timers use).
 */
export function stateNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !STATE_NAME.test(name) || name === 'default' || name.startsWith('_')) {
    return `state name must be 1-200 characters of letters, digits, '_', '.', '-', ':', not start with '_' (reserved) and not be 'default', got '${String(name)}'`
  }
  return undefined
}

/**
 * Refuses anything but an object whose every key is one of `known`: a misspelt or unsupported
 * option is a TypeError naming it, never silently ignored. Keys set to undefined count too.
 * `path` names a nested options object in messages (`'ttl'` gives `unknown option 'ttl.upadte'`).
 */
export function checkOptionNames(options: unknown, known: ReadonlySet<string>, path?: string): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${path === undefined ? 'options' : `option '${path}'`} must be an object`)
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      throw new TypeError(`unknown option '${path === undefined ? name : `${path}.${name}`}' (known: ${[...known].join(', ')})`)
    }
  }
}

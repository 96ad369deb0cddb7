// Writes dist/index.mjs and dist/index.d.mts: the ESM entry re-exports the CommonJS build by
// name, so `import { KeyedStateBackend } from 'rocksdb-keyed-state'` and `require(...)` share
// one module instance (one native binding, one set of error classes). An argument names
// another output directory (the package test builds into a private one).
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url)))
const require = createRequire(import.meta.url)
const api = require(path.join(dist, 'index.js'))
const names = Object.keys(api).filter((name) => name !== 'default' && name !== '__esModule').sort()
writeFileSync(path.join(dist, 'index.mjs'), `import api from './index.js'\nexport const { ${names.join(', ')} } = api\nexport default api\n`)
writeFileSync(path.join(dist, 'index.d.mts'), `export * from './index.js'\n`)
console.log(`${path.relative(process.cwd(), dist) || '.'}/index.mjs: ${names.length} exports`)

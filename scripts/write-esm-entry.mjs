// Writes dist/index.mjs and dist/index.d.mts: the ESM entry re-exports the CommonJS build by
// name, so `import { KeyedStateBackend } from 'rocksdb-keyed-state'` and `require(...)` share
// one module instance (one native binding, one set of error classes).
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const api = require('../dist/index.js')
const names = Object.keys(api).filter((name) => name !== 'default' && name !== '__esModule').sort()
writeFileSync(
  new URL('../dist/index.mjs', import.meta.url),
  `import api from './index.js'\nexport const { ${names.join(', ')} } = api\nexport default api\n`,
)
writeFileSync(new URL('../dist/index.d.mts', import.meta.url), `export * from './index.js'\n`)
console.log(`dist/index.mjs: ${names.length} exports`)

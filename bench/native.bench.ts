/**
 * Native benchmark (issue 2, "Benchmark"): ours vs @nxtedition/rocksdb vs classic-level vs
 * a JS Map, in the style of better-sqlite3's benchmark: every (key count, workload, driver)
 * trial runs in a fresh child process on a fresh temp directory, on the same seeded data.
 *
 *   npm run bench:native                      # 300k and 1M keys
 *   BENCH_KEYS=100000 npm run bench:native    # quick run
 *
 * Env: BENCH_KEYS (comma list), BENCH_WORKLOADS, BENCH_DRIVERS (comma lists),
 * BENCH_REPEAT (trials per cell, best kept; default 1), BENCH_OUT (result file).
 * See bench/README.md.
 */
import path from 'node:path'
import { DEFAULT_SEED, KEY_BYTES, VALUE_BYTES } from './data'
import { DRIVERS } from './drivers/index'
import { WORKLOADS, BATCH_PUT_SIZE, GET_MANY_SIZE, SCAN_BATCH_SIZE, type TrialResult, type Workload } from './drivers/run-trial'
import { envKeyCounts, envList, envRepeat, fmt, loadAverage, machineInfo, machineLine, ratio, spawnTrial, table, writeResults, benchMain } from './harness'

const TRIAL = path.join(__dirname, 'drivers', 'run-trial.ts')
/** The Node bindings ours has to beat; `map` is a ceiling, not a peer. */
const BINDINGS = ['nxtedition', 'classic-level']

const LABELS: Record<Workload, string> = {
  put: 'put (1 per call)',
  get: 'get (random order)',
  batchPut: `batch put (${BATCH_PUT_SIZE}/batch)`,
  getMany: `getMany (${GET_MANY_SIZE} random keys)`,
  scan: `scan (nextv ${SCAN_BATCH_SIZE})`,
}

const keyCounts = envKeyCounts(['300000', '1000000'])
const workloads = envList('BENCH_WORKLOADS', WORKLOADS) as Workload[]
for (const w of workloads) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload '${w}'`)
const drivers = envList('BENCH_DRIVERS', DRIVERS)
const repeat = envRepeat()

interface Failure {
  driver: string
  workload: Workload
  keys: number
  error: string
}

type Trial = TrialResult & { wallSeconds: number }

function runTrial(driver: string, workload: Workload, keys: number): Trial | Failure {
  const result = spawnTrial<TrialResult>(TRIAL, [driver, workload, String(keys)], `rks-bench-${driver}-`)
  return 'error' in result ? { driver, workload, keys, error: result.error } : result
}

async function main(): Promise<void> {
  const started = Date.now()
  const results: Trial[] = []
  const failures: Failure[] = []
  const best = new Map<string, Trial>() // `${keys}/${workload}/${driver}`
  const describe = new Map<string, Set<string>>()

  const machine = machineInfo()
  console.log(`rocksdb-keyed-state native bench: ${machineLine()}`)
  console.log(
    `keys ${keyCounts.join(', ')}; ${KEY_BYTES} B random keys, ${VALUE_BYTES} B values (seed 0x${DEFAULT_SEED.toString(16)}); ` +
      `each trial a fresh process + temp dir; ${repeat} trial(s) per cell, best kept`,
  )

  for (const keys of keyCounts) {
    for (const workload of workloads) {
      for (let r = 0; r < repeat; r++) {
        for (const driver of drivers) {
          const result = runTrial(driver, workload, keys)
          if ('error' in result) {
            failures.push(result)
            console.error(`  ${keys} ${workload} ${driver}: FAILED ${result.error}`)
            continue
          }
          results.push(result)
          if (!describe.has(driver)) describe.set(driver, new Set())
          describe.get(driver)!.add(result.describe)
          const id = `${keys}/${workload}/${driver}`
          if (!best.has(id) || best.get(id)!.opsPerSecond < result.opsPerSecond) best.set(id, result)
          process.stderr.write(`  ${keys} ${workload.padEnd(8)} ${driver.padEnd(13)} ${fmt(result.opsPerSecond).padStart(11)}/s  (timed ${result.seconds.toFixed(2)} s, cpu ${result.cpuSeconds.toFixed(2)} s; trial ${result.wallSeconds.toFixed(1)} s)\n`)
        }
      }
    }
  }

  const lines: string[] = ['']
  for (const [driver, texts] of describe) {
    lines.push(`${driver.padEnd(13)} ${[...texts].join(' / ')}${texts.size > 1 ? '   <-- CHANGED DURING THE RUN' : ''}`)
  }
  const peers = drivers.filter((d) => d !== 'ours')
  const bindings = peers.filter((d) => BINDINGS.includes(d))
  for (const keys of keyCounts) {
    const header = ['', ...drivers.map((d) => `${d} /s`), ...peers.map((p) => `ours/${p}`), 'vs best binding']
    const rows = [header]
    for (const workload of workloads) {
      const get = (d: string) => best.get(`${keys}/${workload}/${d}`)
      const cell = (d: string) => {
        const r = get(d)
        return r === undefined ? '—' : `${fmt(r.opsPerSecond)}${r.sync ? '' : '*'}`
      }
      const ours = get('ours')?.opsPerSecond
      const bestBinding = Math.max(...bindings.map((d) => get(d)?.opsPerSecond ?? 0))
      const verdict = ours === undefined || bestBinding === 0 ? '—' : `${ratio(ours, bestBinding)}${ours < bestBinding ? ' <' : ''}`
      rows.push([LABELS[workload], ...drivers.map(cell), ...peers.map((p) => ratio(ours, get(p)?.opsPerSecond)), verdict])
    }
    lines.push('', `${keys.toLocaleString('en-US')} keys (ops/s; scan: entries/s; * = async-only API, awaited per call; < = ours below the best binding)`, table(rows))
  }
  const ourBuild = [...(describe.get('ours') ?? [])].join(' / ')
  if (ourBuild.includes('assertions ON')) {
    lines.push('', "NOTE: ours ran on Debian's librocksdb 7.8 (assertions enabled, ~1.3-1.6x slower than release); headline numbers belong to a release build.")
  }
  if (failures.length > 0) lines.push('', `${failures.length} trial(s) FAILED: ${failures.map((f) => `${f.keys}/${f.workload}/${f.driver}`).join(', ')}`)
  const minutes = (Date.now() - started) / 60000
  lines.push('', `total ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
  console.log(lines.join('\n'))

  writeResults('native', ['BENCH_KEYS', 'BENCH_WORKLOADS', 'BENCH_DRIVERS'], {
    ...machine,
    keyBytes: KEY_BYTES,
    valueBytes: VALUE_BYTES,
    seed: DEFAULT_SEED,
    repeat,
    builds: Object.fromEntries([...describe].map(([d, s]) => [d, [...s]])),
    best: [...best.values()],
    trials: results,
    failures,
    minutes,
  })
}

benchMain(main)

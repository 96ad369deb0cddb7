/**
 * Keyed-state benchmark (issue 3, "Benchmarks"; DESIGN §10): ValueState, ListState, MapState
 * and timers through the public KeyedStateBackend API on string keys, each beside raw sync
 * get/put/merge of exactly the same RocksDB bytes through our own ColumnFamily and through
 * @nxtedition/rocksdb. Every (key count, workload, driver) trial runs in a fresh child process
 * (bench/state-trial.ts) on a fresh temp directory.
 *
 *   npm run bench:state                       # 1M keys
 *   BENCH_KEYS=300000 npm run bench:state     # 300k keys
 *
 * Env: BENCH_KEYS (comma list; default 1000000), BENCH_WORKLOADS (value,list,map,timers),
 * BENCH_REPEAT (trials per cell, best kept), BENCH_OUT (result file; default
 * bench/results/<date>-state-<keys>.json). See bench/README.md.
 */
import path from 'node:path'
import { KEY_BYTES, VALUE_BYTES, DEFAULT_SEED } from './data'
import { envKeyCounts, envList, envRepeat, fmt, loadAverage, machineInfo, machineLine, ratio, shortCount, spawnTrial, table, writeResults, benchMain } from './harness'
import { MAP_USER_KEYS, STATE_WORKLOADS, type StateTrialResult, type StateWorkload } from './state-trial'

const TRIAL = path.join(__dirname, 'state-trial.ts')
/** DESIGN §10 / issue 3: ValueState value()+update() ≥ 1.0× raw @nxtedition/rocksdb sync get+put. */
const VALUE_TARGET = 1.0

const keyCounts = envKeyCounts(['1000000'])
const workloads = envList('BENCH_WORKLOADS', Object.keys(STATE_WORKLOADS)) as StateWorkload[]
for (const w of workloads) if (!(w in STATE_WORKLOADS)) throw new Error(`unknown workload '${w}' (known: ${Object.keys(STATE_WORKLOADS).join(', ')})`)
const repeat = envRepeat()

type Trial = StateTrialResult & { wallSeconds: number }
interface Failure {
  workload: StateWorkload
  driver: string
  keys: number
  error: string
}

/** The rows of the main table: a workload's timed part, labelled. */
const ROWS: { workload: StateWorkload; part: string; label: string }[] = [
  { workload: 'value', part: 'getPut', label: 'ValueState value()+update()  [get+put]' },
  { workload: 'list', part: 'add', label: 'ListState add()  [merge]' },
  { workload: 'list', part: 'get', label: 'ListState get(), 1 element  [get]' },
  { workload: 'map', part: 'put', label: `MapState put(), ${MAP_USER_KEYS}/key  [put]` },
  { workload: 'map', part: 'get', label: `MapState get(), ${MAP_USER_KEYS}/key  [get]` },
]

async function main(): Promise<void> {
  const started = Date.now()
  const machine = machineInfo()
  const trials: Trial[] = []
  const failures: Failure[] = []
  const best = new Map<string, Trial>() // `${keys}/${workload}/${driver}` (by the sum of timed seconds)
  const describe = new Map<string, Set<string>>()
  const totalSeconds = (t: Trial) => Object.values(t.timed).reduce((s, p) => s + p.seconds, 0)

  console.log(`rocksdb-keyed-state state bench: ${machineLine()}`)
  console.log(
    `keys ${keyCounts.join(', ')}; ${KEY_BYTES}-character string keys (S.string), ${VALUE_BYTES} B values (S.bytes; seed 0x${DEFAULT_SEED.toString(16)}); ` +
      `each trial a fresh process + temp dir; ${repeat} trial(s) per cell, best kept`,
  )

  for (const keys of keyCounts) {
    for (const workload of workloads) {
      for (let r = 0; r < repeat; r++) {
        // Rotated per repeat, so no driver always runs first (right after another workload's trial).
        const drivers = STATE_WORKLOADS[workload]
        for (const driver of [...drivers.slice(r % drivers.length), ...drivers.slice(0, r % drivers.length)]) {
          const result = spawnTrial<StateTrialResult>(TRIAL, [workload, driver, String(keys)], `rks-bench-state-${driver}-`)
          if ('error' in result) {
            failures.push({ workload, driver, keys, error: result.error })
            console.error(`  ${keys} ${workload} ${driver}: FAILED ${result.error}`)
            continue
          }
          trials.push(result)
          if (!describe.has(driver)) describe.set(driver, new Set())
          describe.get(driver)!.add(result.describe)
          const id = `${keys}/${workload}/${driver}`
          if (!best.has(id) || totalSeconds(best.get(id)!) > totalSeconds(result)) best.set(id, result)
          const parts = Object.entries(result.timed)
            .map(([part, t]) => `${part} ${fmt(t.opsPerSecond)}/s (${t.seconds.toFixed(2)} s, cpu ${t.cpuSeconds.toFixed(2)} s)`)
            .join('; ')
          process.stderr.write(`  ${keys} ${workload.padEnd(6)} ${driver.padEnd(10)} ${parts}; trial ${result.wallSeconds.toFixed(1)} s\n`)
        }
      }
    }
  }

  const lines: string[] = ['']
  for (const [driver, texts] of describe) lines.push(`${driver.padEnd(10)} ${[...texts].join(' / ')}${texts.size > 1 ? '   <-- CHANGED DURING THE RUN' : ''}`)
  const verdicts: string[] = []
  for (const keys of keyCounts) {
    const get = (workload: StateWorkload, driver: string, part: string) => best.get(`${keys}/${workload}/${driver}`)?.timed[part]?.opsPerSecond
    const rows = [['', 'state /s', 'ours raw /s', 'nxtedition raw /s', 'state/nxtedition', 'state/ours raw', 'ours raw/nxtedition']]
    for (const { workload, part, label } of ROWS.filter((r) => workloads.includes(r.workload))) {
      const [state, ours, nxt] = ['state', 'ours', 'nxtedition'].map((d) => get(workload, d, part))
      rows.push([label, fmt(state), fmt(ours), fmt(nxt), ratio(state, nxt), ratio(state, ours), ratio(ours, nxt)])
    }
    lines.push('', `${keys.toLocaleString('en-US')} keys (ops/s; [..] = what the raw columns do on the same bytes)`, table(rows))
    if (workloads.includes('value')) {
      const state = get('value', 'state', 'getPut')
      const nxt = get('value', 'nxtedition', 'getPut')
      if (state !== undefined && nxt !== undefined) {
        const met = state / nxt >= VALUE_TARGET
        verdicts.push(`${keys.toLocaleString('en-US')} keys: ValueState ${ratio(state, nxt)} raw nxtedition get+put (target ≥ ${VALUE_TARGET.toFixed(2)}×): ${met ? 'met' : 'MISSED'}`)
      }
    }
    if (workloads.includes('timers')) {
      const t = (queue: string, part: string) => best.get(`${keys}/timers/${queue}`)?.timed[part]
      const both = (queue: string) => {
        const [r, f] = [t(queue, 'register'), t(queue, 'fire')]
        return r && f ? r.ops / (r.seconds + f.seconds) : undefined
      }
      const timerRows = [['', 'register /s', 'fire /s', 'register+fire /s']]
      for (const queue of ['heap', 'rocksdb']) timerRows.push([`${queue} queue`, fmt(t(queue, 'register')?.opsPerSecond), fmt(t(queue, 'fire')?.opsPerSecond), fmt(both(queue))])
      timerRows.push([
        'rocksdb/heap',
        ratio(t('rocksdb', 'register')?.opsPerSecond, t('heap', 'register')?.opsPerSecond),
        ratio(t('rocksdb', 'fire')?.opsPerSecond, t('heap', 'fire')?.opsPerSecond),
        ratio(both('rocksdb'), both('heap')),
      ])
      lines.push('', `timers, ${keys.toLocaleString('en-US')} keys: one event-time timer per key (setCurrentKey + register), then one advanceWatermark firing all`, table(timerRows))
    }
  }
  if (verdicts.length > 0) lines.push('', ...verdicts)
  if ([...(describe.get('state') ?? [])].some((d) => d.includes('assertions ON'))) {
    lines.push('', "NOTE: ours ran on Debian's librocksdb 7.8 (assertions enabled, ~1.3-1.6x slower than release); headline numbers belong to a release build.")
  }
  if (failures.length > 0) lines.push('', `${failures.length} trial(s) FAILED: ${failures.map((f) => `${f.keys}/${f.workload}/${f.driver}`).join(', ')}`)
  const minutes = (Date.now() - started) / 60000
  lines.push('', `total ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
  console.log(lines.join('\n'))

  // '-release' when ours ran on the static release build (e.g. PREBUILDS_ONLY=1: the prebuild in prebuilds/)
  const release = [...(describe.get('state') ?? [])].some((d) => d.includes('static release build'))
  writeResults(`state-${keyCounts.map(shortCount).join('-')}${release ? '-release' : ''}`, ['BENCH_WORKLOADS'], {
    ...machine,
    keyChars: KEY_BYTES,
    valueBytes: VALUE_BYTES,
    seed: DEFAULT_SEED,
    repeat,
    builds: Object.fromEntries([...describe].map(([d, s]) => [d, [...s]])),
    verdicts,
    best: [...best.values()],
    trials,
    failures,
    minutes,
  })
}

benchMain(main)

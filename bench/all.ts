/**
 * `npm run bench`: every benchmark in one run (bench/*.bench.ts: the declared ones at sizes that fit
 * at most about 20 minutes on 2 cores (11 measured), any other one found at its own defaults, an absent one skipped),
 * each in its own process writing its JSON to a temp file; then one results file
 * bench/results/<date>-all.json (machine, RocksDB build, load average before and after, git commit,
 * every bench's results), the ratio tables in bench/results/<date>-all.md, and the README's
 * performance section between its markers.
 *
 *   npm run bench                       # default sizes (11 min on 2 busy cores)
 *   BENCH_SCALE=full npm run bench      # the benches' own larger sizes (45-60 min)
 *   BENCH_SCALE=smoke npm run bench     # tiny sizes, to check the pipeline (README left alone)
 *   BENCH_ONLY=native,state npm run bench
 *
 * Ours runs on the release prebuild when there is one (PREBUILDS_ONLY=1 unless set). See bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BENCH_DIR, ROOT, benchMain, envList, loadAverage, machineInfo } from './harness'
import { summaryMarkdown, type AllResults, type Scale, type SuiteRun } from './summary'


/** Each bench's size variables per scale; a bench not listed runs at its own defaults. */
const SIZES: Record<string, Record<Scale, Record<string, string>>> = {
  native: {
    smoke: { BENCH_KEYS: '20000', BENCH_REPEAT: '1' },
    // Issue 14's point-read target is at 300k and at 1M keys.
    default: { BENCH_KEYS: '300000,1000000', BENCH_REPEAT: '3' },
    full: { BENCH_KEYS: '300000,1000000', BENCH_REPEAT: '3' },
  },
  state: {
    smoke: { BENCH_KEYS: '20000', BENCH_REPEAT: '1' },
    default: { BENCH_KEYS: '300000', BENCH_REPEAT: '3' },
    full: { BENCH_KEYS: '1000000', BENCH_REPEAT: '3' },
  },
  snapshot: {
    smoke: { BENCH_KEYS: '20000', BENCH_REPEAT: '1' },
    default: { BENCH_KEYS: '1000000', BENCH_REPEAT: '3' },
    full: { BENCH_KEYS: '1000000', BENCH_REPEAT: '3' },
  },
  incremental: {
    smoke: { BENCH_SIZES_MB: '10', BENCH_REPEAT: '1' },
    default: { BENCH_SIZES_MB: '100,300', BENCH_REPEAT: '3' },
    full: { BENCH_SIZES_MB: '100,500,1000', BENCH_REPEAT: '5' },
  },
  rescale: {
    smoke: { BENCH_STATE_MB: '10' },
    default: { BENCH_STATE_MB: '250' },
    full: { BENCH_STATE_MB: '1024' },
  },
  storage: {
    smoke: { BENCH_STORAGE_MB: '16', BENCH_FILE_MB: '4' },
    default: { BENCH_STORAGE_MB: '256' },
    full: { BENCH_STORAGE_MB: '1024' },
  },
  memory: {
    smoke: { BENCH_ENTRIES: '100000' },
    // 1M entries (about 120 MB) would fit the 256 MiB budget and prove nothing about its bound.
    default: { BENCH_ENTRIES: '10000000' },
    full: { BENCH_ENTRIES: '10000000' },
  },
}
/** Run order: the declared benches first, the CPU-bound ones before the disk-bound ones. */
const ORDER = Object.keys(SIZES)
/** Set by `npm run bench` per bench: a value left in the environment would change every bench at once. */
const SIZE_VARIABLES = [...new Set(Object.values(SIZES).flatMap((scales) => Object.values(scales).flatMap(Object.keys)))]

const START_MARKER = '<!-- bench:start -->'
const END_MARKER = '<!-- bench:end -->'

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
}

/** RocksDB.version and .build of the addon the benches load (in a child, with their environment). */
function ourRocksDB(env: NodeJS.ProcessEnv): { version?: string; build?: string; error?: string } {
  const script = "const { RocksDB } = require('./lib/native/index'); console.log(JSON.stringify({ version: RocksDB.version, build: RocksDB.build }))"
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env, encoding: 'utf8' })
  return child.status === 0 ? JSON.parse(child.stdout.trim().split('\n').pop()!) : { error: child.stderr.trim().split('\n').slice(0, 3).join(' | ') }
}

function benchNames(): string[] {
  const found = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
  return [...ORDER, ...found.filter((name) => !ORDER.includes(name)).sort()]
}

function runSuite(name: string, scale: Scale, baseEnv: NodeJS.ProcessEnv, outDir: string): SuiteRun {
  const script = path.join(BENCH_DIR, `${name}.bench.ts`)
  if (!fs.existsSync(script)) return { status: 'absent' }
  const sizes = SIZES[name]?.[scale] ?? {}
  const out = path.join(outDir, `${name}.json`)
  console.log(`\n=== ${name} ${Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(' ') || '(its defaults)'}`)
  const started = Date.now()
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...baseEnv, ...sizes, BENCH_OUT: out },
    stdio: 'inherit',
  })
  const minutes = (Date.now() - started) / 60000
  const results = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined
  return { status: child.status === 0 && results !== undefined ? 'ok' : 'failed', exitCode: child.status, minutes, env: sizes, results }
}

function updateReadme(table: string, mdFile: string): void {
  const readme = path.join(ROOT, 'README.md')
  const text = fs.readFileSync(readme, 'utf8')
  const [start, end] = [text.indexOf(START_MARKER), text.indexOf(END_MARKER)]
  if (start < 0 || end < start) {
    console.log(`README.md has no ${START_MARKER} … ${END_MARKER} section: left alone`)
    return
  }
  const body = `${START_MARKER}\n<!-- generated by npm run bench (bench/all.ts, bench/summary.ts) with ${path.relative(ROOT, mdFile)}: edit those, not this -->\n${table}${END_MARKER}`
  fs.writeFileSync(readme, text.slice(0, start) + body + text.slice(end + END_MARKER.length))
  console.log('README.md: performance section updated')
}

/** `BENCH_SUMMARIZE=<results>-all.json npm run bench`: the .md file and the README again from a run's JSON (after a change to summary.ts), nothing run. */
function summarizeAgain(jsonFile: string): void {
  const all = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as AllResults
  const { tables, verdicts } = summaryMarkdown(all, path.relative(ROOT, jsonFile))
  const mdFile = jsonFile.replace(/\.json$/, '.md')
  fs.writeFileSync(mdFile, `${tables}\n${verdicts}`)
  if (all.scale !== 'smoke') updateReadme(tables, mdFile)
}

async function main(): Promise<void> {
  if (process.env.BENCH_SUMMARIZE) return summarizeAgain(path.resolve(process.env.BENCH_SUMMARIZE))
  const started = Date.now()
  const scale = (process.env.BENCH_SCALE ?? 'default') as Scale
  if (!['smoke', 'default', 'full'].includes(scale)) throw new Error(`BENCH_SCALE must be smoke, default or full (got '${scale}')`)
  const only = envList('BENCH_ONLY', [])
  const baseEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const name of [...SIZE_VARIABLES, 'BENCH_OUT']) delete baseEnv[name]
  if (baseEnv.PREBUILDS_ONLY === undefined && fs.existsSync(path.join(ROOT, 'prebuilds'))) baseEnv.PREBUILDS_ONLY = '1'
  const rocksdb = ourRocksDB(baseEnv)
  if (rocksdb.build !== 'bundled') console.log(`NOTE: ours runs on RocksDB ${rocksdb.version} (${rocksdb.build ?? rocksdb.error}), not the release prebuild: npm run prebuild first`)

  const machine = { ...machineInfo(), rocksdb, loadAverageBefore: os.loadavg(), gitCommit: git(['rev-parse', 'HEAD']), gitDirty: git(['status', '--porcelain']) !== '' }
  console.log(`npm run bench, scale ${scale}: load average ${loadAverage()}, RocksDB ${rocksdb.version} (${rocksdb.build})`)
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rks-bench-all-'))
  const suites: Record<string, SuiteRun> = {}
  try {
    for (const name of benchNames().filter((n) => only.length === 0 || only.includes(n))) suites[name] = runSuite(name, scale, baseEnv, outDir)
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true })
  }

  const minutes = (Date.now() - started) / 60000
  const all: AllResults = { machine: { ...machine, loadAverageAfter: os.loadavg() }, scale, minutes, suites }
  // A smoke run checks the pipeline: its files go to the temp directory, not into bench/results/.
  const resultsDir = scale === 'smoke' ? os.tmpdir() : path.join(BENCH_DIR, 'results')
  const stem = path.join(resultsDir, `${new Date().toISOString().slice(0, 10)}-all${scale === 'default' ? '' : `-${scale}`}`)
  fs.mkdirSync(path.dirname(stem), { recursive: true })
  fs.writeFileSync(`${stem}.json`, JSON.stringify(all, null, 2) + '\n')
  const { tables, verdicts } = summaryMarkdown(all, path.relative(ROOT, `${stem}.json`))
  fs.writeFileSync(`${stem}.md`, `${tables}\n${verdicts}`)
  console.log(`\n${tables}\n${verdicts}\nresults: ${stem}.json, .md (${minutes.toFixed(1)} min)`)
  if (scale !== 'smoke' && only.length === 0) updateReadme(tables, `${stem}.md`)
  if (Object.values(suites).some((s) => s.status === 'failed')) process.exitCode = 1
}

benchMain(main)

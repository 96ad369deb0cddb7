/**
 * What every benchmark in bench/ shares: the fresh-process trial runner (orchestrator side),
 * the trial clock (child side: untimed phases, one hrtime pair and process CPU around the timed
 * part), environment lists, table formatting, the machine header and the result file.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const BENCH_DIR = __dirname
export const ROOT = path.join(__dirname, '..')

// ---------------------------------------------------------------------------------------------
// child side

export function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

/**
 * Times one trial: `phase(name)` charges the time since the previous mark to an untimed phase;
 * `start()`/`stop()` bracket a timed part (no per-operation timers) and also record the process
 * CPU (user + system, RocksDB background threads included) spent during it.
 */
export class TrialClock {
  /** Seconds spent in each untimed phase (open, data, load, other, close). */
  readonly phases: Record<string, number> = {}
  /** CPU seconds of the last timed part. */
  cpuSeconds = 0
  private mark = process.hrtime.bigint()
  private cpuAtStart: NodeJS.CpuUsage = process.cpuUsage()

  /** Drops the time since the last mark (charged to no phase). */
  resetMark(): void {
    this.mark = process.hrtime.bigint()
  }

  phase(name: string): void {
    const now = process.hrtime.bigint()
    this.phases[name] = (this.phases[name] ?? 0) + Number(now - this.mark) / 1e9
    this.mark = now
  }

  /** Charges what came before to 'other' and starts the clock; pass the result to stop(). */
  start(): bigint {
    this.phase('other')
    this.cpuAtStart = process.cpuUsage()
    return process.hrtime.bigint()
  }

  /** Wall seconds since `start`; sets `cpuSeconds`. */
  stop(start: bigint): number {
    const now = process.hrtime.bigint()
    const cpu = process.cpuUsage(this.cpuAtStart)
    this.cpuSeconds = (cpu.user + cpu.system) / 1e6
    this.mark = now
    return Number(now - start) / 1e9
  }
}

export function expectEqual(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`)
}

/** Runs `main` as a trial's entry point: prints its result as one JSON line, exit 1 on error. */
export function trialMain(main: () => Promise<unknown>): void {
  main().then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n'),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
}

export function rssMB(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20)
}

// ---------------------------------------------------------------------------------------------
// orchestrator side

export interface TrialFailure {
  error: string
}

/**
 * Runs `node --expose-gc --import tsx <script> ...args <dir>` in a fresh process on a fresh temp
 * directory (removed afterwards) and parses the last stdout line as JSON. `wallSeconds` is the
 * whole child process: start-up, data, load, warm-up, timed part, close.
 */
export function spawnTrial<T extends object>(
  script: string,
  args: string[],
  dirPrefix = 'rks-bench-',
  options: { inheritStderr?: boolean } = {},
): (T & { wallSeconds: number }) | TrialFailure {
  const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []
  return spawnProgramTrial<T>(process.execPath, ['--expose-gc', ...nodeFlags, '--import', 'tsx', script, ...args], dirPrefix, options)
}

/** spawnTrial for any program (the C++ ceiling): `<program> ...args <dir>`, the last stdout line as JSON. */
export function spawnProgramTrial<T extends object>(
  program: string,
  args: string[],
  dirPrefix = 'rks-bench-',
  options: { inheritStderr?: boolean } = {},
): (T & { wallSeconds: number }) | TrialFailure {
  // Write back what earlier trials left dirty (their directories are gone, their pages may not
  // be), so that it is not flushed during this trial's timed part.
  spawnSync('sync')
  const began = process.hrtime.bigint()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix))
  try {
    const child = spawnSync(program, [...args, dir], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      // inherited: the child's progress shows as it runs (and its error, on the terminal)
      stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
    })
    const line = child.stdout.trim().split('\n').pop() ?? ''
    if (child.status !== 0 || !line.startsWith('{')) {
      const error = (child.stderr || child.error?.message || `exit ${child.status ?? child.signal}`).trim().split('\n').slice(0, 8).join(' | ')
      return { error }
    }
    return { ...(JSON.parse(line) as T), wallSeconds: Number(process.hrtime.bigint() - began) / 1e9 }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A comma list from the environment, or `fallback`. */
export function envList(name: string, fallback: readonly string[]): string[] {
  const value = process.env[name]
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [...fallback]
}

/** Key counts from `BENCH_KEYS` (comma list, `_` allowed), or `fallback`. */
export function envKeyCounts(fallback: readonly string[]): number[] {
  return envList('BENCH_KEYS', fallback).map((s) => {
    const n = Number(s.replace(/_/g, ''))
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_KEYS: bad key count '${s}'`)
    return n
  })
}

export function envRepeat(): number {
  return Math.max(1, Number(process.env.BENCH_REPEAT ?? 1))
}

export const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
export const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`)

/** Aligns rows: the first column left, the others right. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')
}

/** 300000 -> "300k", 1000000 -> "1M": for result file names. */
export function shortCount(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}M`
  if (n % 1000 === 0) return `${n / 1000}k`
  return String(n)
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ')
}

/** "Node v20…, linux x64, 2 × CPU, load average …" */
export function machineLine(): string {
  const cpus = os.cpus()
  return `Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model.trim()}, load average ${loadAverage()}`
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus()
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim(),
    loadAverageAtStart: os.loadavg(),
  }
}

/**
 * Writes `bench/results/<date>-<kind>[-custom].json` (or `BENCH_OUT`); `custom` when any of
 * `customVars` is set in the environment. Returns the path relative to the repository.
 */
/** Writes a bench's results file and reports it; a bench with failed trials exits 1. */
export function writeResults(kind: string, customVars: readonly string[], payload: Record<string, unknown> & { failures: unknown[] }): void {
  const date = new Date().toISOString().slice(0, 10)
  const custom = customVars.some((name) => process.env[name])
  const out = process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'results', `${date}-${kind}${custom ? '-custom' : ''}.json`)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify(payload, null, 2) + '\n')
  console.log(`results: ${path.relative(ROOT, out)}`)
  if (payload.failures.length > 0) process.exitCode = 1
}

/** Runs `main` as a bench's entry point: exit 1 on error. */
export function benchMain(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}

/** The median of `values` (the mean of the middle two for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

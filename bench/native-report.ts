/**
 * What bench:native reports, shared by its console table (native.bench.ts) and the summary of
 * `npm run bench` (all.ts): per (key count, workload) the median ops/s of each driver, ours against
 * the best Node binding and against the C++ ceiling, with the targets of issue 14.
 */
import { median } from './harness'
import { BATCH_PUT_SIZE, GET_MANY_SIZE, SCAN_BATCH_SIZE, type Workload } from './drivers/run-trial'

/** The Node bindings ours has to beat; `map` (a JS Map) and `ceiling` (C++) are references, not peers. */
export const BINDINGS = ['nxtedition', 'classic-level']
export const CEILING = 'ceiling'

export const LABELS: Record<Workload, string> = {
  put: 'put (1 per call)',
  get: 'get (random order)',
  batchPut: `batch put (${BATCH_PUT_SIZE}/batch)`,
  getMany: `getMany (${GET_MANY_SIZE} random keys)`,
  scan: `scan (nextv ${SCAN_BATCH_SIZE})`,
}

/** Issue 14: ours ≥ 1.0× the best binding everywhere; ≥ this fraction of the ceiling (getMany: none set). */
export const CEILING_TARGETS: Partial<Record<Workload, number>> = { put: 0.5, get: 0.5, scan: 0.5, batchPut: 0.8 }
export const BINDING_TARGET = 1.0

/** One cell: the median over a cell's trials. */
export interface NativeCell {
  keys: number
  workload: Workload
  driver: string
  opsPerSecond: number
  /** Whether the timed call was synchronous (false: awaited per call, marked `*`). */
  sync: boolean
  trials: number
}

export interface NativeTrialLike {
  keys: number
  workload: Workload
  driver: string
  opsPerSecond: number
  sync: boolean
}

export function medianCells(trials: readonly NativeTrialLike[]): NativeCell[] {
  const groups = new Map<string, NativeTrialLike[]>()
  for (const trial of trials) {
    const id = `${trial.keys}/${trial.workload}/${trial.driver}`
    groups.set(id, [...(groups.get(id) ?? []), trial])
  }
  return [...groups.values()].map((group) => ({
    keys: group[0].keys,
    workload: group[0].workload,
    driver: group[0].driver,
    opsPerSecond: median(group.map((t) => t.opsPerSecond))!,
    sync: group[0].sync,
    trials: group.length,
  }))
}

export interface NativeRow {
  keys: number
  workload: Workload
  cells: Map<string, NativeCell>
  /** ours ÷ the fastest binding that ran, and which one that was. */
  vsBestBinding?: number
  bestBinding?: string
  vsCeiling?: number
  ceilingTarget?: number
}

export function nativeRows(cells: readonly NativeCell[]): NativeRow[] {
  const rows = new Map<string, NativeRow>()
  for (const cell of cells) {
    const id = `${cell.keys}/${cell.workload}`
    if (!rows.has(id)) rows.set(id, { keys: cell.keys, workload: cell.workload, cells: new Map(), ceilingTarget: CEILING_TARGETS[cell.workload] })
    rows.get(id)!.cells.set(cell.driver, cell)
  }
  for (const row of rows.values()) {
    const ours = row.cells.get('ours')?.opsPerSecond
    if (ours === undefined) continue
    const bindings = BINDINGS.map((d) => row.cells.get(d)).filter((c) => c !== undefined)
    const best = bindings.sort((a, b) => b.opsPerSecond - a.opsPerSecond)[0]
    if (best) {
      row.vsBestBinding = ours / best.opsPerSecond
      row.bestBinding = best.driver
    }
    const ceiling = row.cells.get(CEILING)?.opsPerSecond
    if (ceiling) row.vsCeiling = ours / ceiling
  }
  return [...rows.values()]
}

/** "1.23×", with " <" when below `target`. */
export function ratioCell(value: number | undefined, target?: number): string {
  if (value === undefined) return '—'
  return `${value.toFixed(2)}×${target !== undefined && value < target ? ' <' : ''}`
}

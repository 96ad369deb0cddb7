import { AGE_BUCKETS } from './age-histogram'
import { failOnProblems, problemLine, type CheckpointSummary, type StateSummary } from './checkpoint-summary'
import { loadCheckpoint, type ReadOptions } from './load-checkpoint'
import { textTable, formatBytes } from './text-table'

/** `inspect <checkpoint>`: what the checkpoint holds; problems met on the way go to stderr and set the exit code. */
export async function runInspect(argument: string, options: ReadOptions): Promise<void> {
  const { summary, problems } = await loadCheckpoint(argument, options)
  console.log(options.json === true ? JSON.stringify({ summary, problems }, null, 2) : renderInspection(summary))
  if (options.json !== true) for (const problem of problems) console.error(problemLine(problem))
  failOnProblems(problems)
}

/** `inspect`'s text: what the checkpoint holds, section by section. */
export function renderInspection(summary: CheckpointSummary): string {
  const { totals } = summary
  const sections = [
    `${summary.description}\n` +
      `key serializer ${summary.keySerializer ?? '?'}, maxParallelism ${summary.maxParallelism ?? '?'}, ${summary.handles.length} handle(s), ` +
      `${totals.entries} entries (${formatBytes(totals.bytes)}) in ${summary.files.length} file(s) of ${formatBytes(totals.fileBytes)}`,
    section('states', [
      ['name', 'kind', 'value', 'namespace', 'user key', 'TTL', 'entries', 'bytes', 'elements'],
      ...summary.states.filter((state) => state.kind !== 'timers').map((state) => [
        state.name,
        state.kind,
        state.valueSerializer,
        state.namespaceSerializer,
        state.userKeySerializer ?? '-',
        describeTtl(state),
        state.entries,
        state.bytes,
        state.elements ?? '-',
      ]),
    ]),
    section('handles', [
      ['#', 'key groups', 'checkpoint', 'compression', 'entries', 'bytes', 'file', 'size'],
      ...summary.handles.map((handle) => {
        const file = summary.files.find((f) => f.handle === handle.index)
        return [handle.index, `${handle.keyGroupRange.start}-${handle.keyGroupRange.end}`, handle.checkpointId, handle.compression ?? '?', handle.entries, handle.bytes, file?.key ?? '-', file?.size ?? 0]
      }),
    ]),
    keyGroupSection(summary),
    ageSection(summary),
    section('timers per queue', [
      ['queue', 'timers', 'earliest', 'latest'],
      ...summary.states.filter((state) => state.kind === 'timers').map((state) => [state.name, state.entries, state.timers?.earliest ?? '-', state.timers?.latest ?? '-']),
    ]),
  ]
  return sections.filter((text) => text !== '').join('\n\n')
}

export function describeTtl(state: Pick<StateSummary, 'ttl'>): string {
  return state.ttl.seconds === 0 ? 'none' : `${state.ttl.seconds} s, ${state.ttl.update}, ${state.ttl.visibility}`
}

function section(title: string, rows: (string | number)[][]): string {
  return rows.length <= 1 ? '' : `${title}\n${indent(textTable(rows))}`
}

/** Past this many key groups the text lists the largest only (`--json` has them all). */
const MAX_LISTED_KEY_GROUPS = 256

/** Key groups in four side-by-side column groups, so 128 of them take 32 lines. */
function keyGroupSection(summary: CheckpointSummary): string {
  const all = summary.keyGroups
  if (all.length === 0) return ''
  const listed = all.length <= MAX_LISTED_KEY_GROUPS
  const groups = listed ? all : [...all].sort((a, b) => b.entries - a.entries).slice(0, 32).sort((a, b) => a.keyGroup - b.keyGroup)
  const columns = Math.min(4, groups.length)
  const height = Math.ceil(groups.length / columns)
  const rows: (string | number)[][] = [Array.from({ length: columns }, () => ['key group', 'entries', 'bytes']).flatMap((header, i) => (i === 0 ? header : ['|', ...header]))]
  for (let line = 0; line < height; line++) {
    const row: (string | number)[] = []
    for (let column = 0; column < columns; column++) {
      const group = groups[column * height + line]
      if (column > 0) row.push('|')
      row.push(...(group === undefined ? ['', '', ''] : [group.keyGroup, group.entries, group.bytes]))
    }
    rows.push(row)
  }
  const entries = all.map((group) => group.entries)
  const mean = entries.reduce((a, b) => a + b, 0) / entries.length
  const skew = mean === 0 ? 'no entries' : `largest ${(Math.max(...entries) / mean).toFixed(2)}x the mean, smallest ${(Math.min(...entries) / mean).toFixed(2)}x`
  const which = listed ? '' : `, the ${groups.length} largest of ${all.length}; --json lists all`
  return `entries and bytes per key group (${skew}${which})\n${indent(textTable(rows))}`
}

function ageSection(summary: CheckpointSummary): string {
  const states = summary.states.filter((state) => state.ages !== undefined)
  if (states.length === 0) return ''
  const buckets = Array.from({ length: AGE_BUCKETS }, (_, i) => `<${((i + 1) * 100) / AGE_BUCKETS}%`)
  const rows = [
    ['state', 'TTL s', ...buckets, 'expired', 'future'],
    ...states.map((state) => [state.name, state.ttl.seconds, ...state.ages!.buckets, state.ages!.expired, state.ages!.future]),
  ]
  const now = new Date(summary.now * 1000).toISOString()
  return `TTL age histogram (${summary.states.some((s) => s.kind === 'list' && s.ages) ? 'list state: per element; ' : ''}age as a share of the TTL at ${now})\n${indent(textTable(rows))}`
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ')
}

/**
 * The whole point of the library in one run: a keyed event stream processed by N worker threads,
 * each owning a range of key groups and receiving only its keys; per-key state with TTL (a
 * counter, a list, a map) and event-time timers (session windows); checkpoints every few seconds
 * completed as job checkpoints; then the job stops, restarts on a different number of workers
 * restored from the latest complete checkpoint (rescaling), replays the events after it, and
 * checks every key's state against the stream: exactly-once, across a rescale.
 *
 *   npm run demo            (or: rocksdb-keyed-state demo --workers 3 --rescale-to 2)
 *   options: --workers N --rescale-to M --events E --incremental (incremental checkpoints instead of
 *   full snapshots) --keep <dir> (keep the checkpoints) --json
 *
 * The main thread plays the source (a replayable log, like a Kafka partition) and the checkpoint
 * coordinator; the workers are the operators.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import {
  assignToKeyGroup,
  computeOperatorIndexForKeyGroup,
  FsCheckpointStorage,
  KeyGroupRange,
  KeyedStateBackend,
  RocksDB,
  Serializers as S,
  type KeyedStateHandle,
} from 'rocksdb-keyed-state'

const MAX_PARALLELISM = 128
const JOB_ID = 'multi-worker-demo'
const USERS = 4000
const PAGES = ['/home', '/pricing', '/docs', '/blog', '/signup', '/login', '/cart', '/checkout']
/** A session ends after this much event time (ms) without an event of its user. */
const SESSION_GAP_MS = 60_000
const CHECKPOINT_INTERVAL_MS = 2000
const BATCH = 500
/** One block cache, memtables included, for every worker's RocksDB instances together. */
const MEMORY_BUDGET_BYTES = 64 << 20
let peakUsage = 0
const sampleMemory = () => (peakUsage = Math.max(peakUsage, RocksDB.memoryBudget()?.usage ?? 0))

// ---------------------------------------------------------------- the source: a replayable log

interface Events {
  users: Uint16Array
  pages: Uint8Array
  times: Float64Array
}

/** A deterministic stream: skewed users (a few are hot), pages, event times rising ~0-100 ms apart. */
function makeEvents(count: number): Events {
  let seed = 42
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const events = { users: new Uint16Array(count), pages: new Uint8Array(count), times: new Float64Array(count) }
  let time = Date.UTC(2026, 0, 1)
  for (let i = 0; i < count; i++) {
    events.users[i] = Math.floor(USERS * random() ** 3)
    events.pages[i] = Math.floor(PAGES.length * random())
    time += Math.floor(100 * random())
    events.times[i] = time
  }
  return events
}

const userKey = (user: number) => `user-${user}`

// ---------------------------------------------------------------- the operator (a worker thread)

interface WorkerSetup {
  index: number
  parallelism: number
  incremental: boolean
  directory: string
  storageRoot: string
  restoreFrom: KeyedStateHandle[]
}

type ToWorker =
  | { type: 'events'; users: number[]; pages: number[]; times: number[] }
  | { type: 'checkpoint'; id: number }
  | { type: 'complete'; id: number }
  | { type: 'finish' }
  | { type: 'stop' }

type FromWorker =
  | { type: 'ready'; restoreMs: number }
  | { type: 'processed'; count: number }
  | { type: 'snapshot'; id: number; handle: KeyedStateHandle }
  | { type: 'results'; rows: KeyResult[] }
  | { type: 'stopped' }

/** What a worker reports per key at the end, to be checked against the stream. */
type KeyResult = [key: string, count: number, pages: string, visits: string, sessions: number]

async function runWorker({ index, parallelism, incremental, directory, storageRoot, restoreFrom }: WorkerSetup): Promise<void> {
  const port = parentPort!
  const post = (message: FromWorker) => port.postMessage(message)
  const storage = new FsCheckpointStorage(storageRoot)
  const started = performance.now()
  const backend = await KeyedStateBackend.open({
    path: directory,
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, index), // this worker's key groups
    restoreFrom, // [] on the first run; the latest checkpoint's handles (any number of them) after a restart
    storage,
    jobId: JOB_ID,
    incremental, // true: each checkpoint uploads only the RocksDB files the last completed one lacked
  })
  const restoreMs = performance.now() - started
  // Short TTLs, so that the report of a demo run shows a spread of ages; longer than the run.
  const count = backend.valueState('count', S.int64, { ttl: { seconds: 90 } }) // per-key counter with TTL
  const pages = backend.listState('pages', S.int32, { ttl: { seconds: 120 } }) // pages visited, in order (TTL per element)
  const visits = backend.mapState('visits', S.int32, S.int32, { ttl: { seconds: 120 } }) // page -> visits (TTL per entry)
  const lastSeen = backend.valueState('last-seen', S.float64)
  const sessions = backend.valueState('sessions', S.int32)
  const timers = backend.timerService<string>({
    name: 'session-end',
    namespaceSerializer: S.string,
    queue: 'rocksdb',
    // The current key is the timer's key here: its session ended.
    onTimer: () => {
      sessions.update((sessions.value() ?? 0) + 1)
      lastSeen.clear()
    },
  })
  post({ type: 'ready', restoreMs })

  port.on('message', async (message: ToWorker) => {
    switch (message.type) {
      case 'events':
        for (let i = 0; i < message.users.length; i++) {
          const time = message.times[i]!
          timers.advanceWatermark(time) // events arrive in time order: time is the watermark
          backend.setCurrentKey(userKey(message.users[i]!))
          count.update((count.value() ?? 0n) + 1n) // synchronous reads and writes: the hot path
          pages.add(message.pages[i]!) // a RocksDB merge, no read
          visits.put(message.pages[i]!, (visits.get(message.pages[i]!) ?? 0) + 1)
          const last = lastSeen.value()
          if (last !== undefined) timers.deleteEventTimeTimer('session', last + SESSION_GAP_MS)
          timers.registerEventTimeTimer('session', time + SESSION_GAP_MS)
          lastSeen.update(time)
        }
        post({ type: 'processed', count: message.users.length })
        break
      case 'checkpoint': {
        // The RocksDB snapshot is taken now, between two batches: exactly the events before the
        // barrier. The stream is written in the background while later batches are processed.
        const handle = await backend.snapshot(message.id)
        post({ type: 'snapshot', id: message.id, handle })
        break
      }
      case 'complete':
        await backend.notifyCheckpointComplete(message.id)
        break
      case 'finish': {
        timers.advanceWatermark(Number.MAX_SAFE_INTEGER) // end of stream: every open session ends
        const rows: KeyResult[] = []
        for (const key of backend.getKeys('count')) {
          backend.setCurrentKey(key)
          const pageVisits = [...visits.entries()].sort(([a], [b]) => a - b)
          rows.push([key, Number(count.value()), pages.get().join(','), JSON.stringify(pageVisits), sessions.value() ?? 0])
        }
        await backend.close()
        post({ type: 'results', rows })
        break
      }
      case 'stop':
        await backend.close()
        post({ type: 'stopped' })
        break
    }
  })
}

// ---------------------------------------------------------------- the job: source and coordinator

interface PhaseStats {
  phase: string
  workers: number
  /** Events processed in this phase (replayed ones included). */
  events: number
  /** Keys of those events. */
  keys: number
  checkpoints: number[]
  checkpointBytes: number
  restoreMs: number[]
  seconds: number
}

class Job {
  private readonly workers: Worker[] = []
  private readonly inFlight: number[] = []
  private readonly waiters = new Map<string, (message: FromWorker, worker: number) => void>()
  private readonly snapshots = new Map<number, KeyedStateHandle[]>()
  /** The keys of the events this phase processed. */
  private readonly users = new Set<number>()
  /** Resolves the source's wait for a worker to finish a batch. */
  private wake: (() => void) | undefined
  readonly stats: PhaseStats
  private lastCheckpointAt = performance.now()
  /** Set once the job ends its workers itself: terminate() exits them with code 1. */
  private terminating = false

  constructor(
    readonly parallelism: number,
    private readonly incremental: boolean,
    private readonly events: Events,
    private readonly storage: FsCheckpointStorage,
    private readonly offsets: Map<number, number>,
    phase: string,
  ) {
    this.stats = { phase, workers: parallelism, events: 0, keys: 0, checkpoints: [], checkpointBytes: 0, restoreMs: [], seconds: 0 }
  }

  async start(workDir: string, restoreFrom: KeyedStateHandle[]): Promise<void> {
    const ready = Array.from({ length: this.parallelism }, (_, index) => {
      const setup: WorkerSetup = {
        index,
        parallelism: this.parallelism,
        incremental: this.incremental,
        directory: path.join(workDir, 'instances', `${this.stats.phase}-${index}`),
        storageRoot: this.storage.root,
        restoreFrom,
      }
      // From source (tsx), a worker needs the TypeScript loader registered in its own thread.
      const worker = __filename.endsWith('.ts')
        ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)})`, { eval: true, workerData: setup })
        : new Worker(__filename, { workerData: setup })
      worker.on('error', (error) => {
        console.error(`worker ${index} failed:`, error)
        process.exit(1)
      })
      // A worker that dies (its own process.exit(1) ends only its thread) would leave the job waiting forever.
      worker.on('exit', (code) => {
        if (code === 0 || this.terminating) return
        console.error(`worker ${index} exited with code ${code}`)
        process.exit(1)
      })
      this.workers.push(worker)
      this.inFlight.push(0)
      return new Promise<void>((resolve) => {
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'ready') {
            this.stats.restoreMs[index] = message.restoreMs
            resolve()
          } else if (message.type === 'processed') {
            this.inFlight[index]!--
            this.wake?.()
          } else this.waiters.get(`${message.type}:${index}`)?.(message, index)
        })
      })
    })
    await Promise.all(ready)
  }

  /**
   * Sends events [from, until) to their workers (each event to the worker owning its key's key
   * group) with at most two batches in flight per worker, taking a checkpoint every few seconds.
   * Stops early once `stopWhen` holds; returns where it stopped.
   */
  async run(from: number, until: number, stopWhen: (position: number) => boolean = () => false): Promise<number> {
    const started = performance.now()
    const owner = (user: number) => computeOperatorIndexForKeyGroup(MAX_PARALLELISM, this.parallelism, assignToKeyGroup(userKey(user), MAX_PARALLELISM, S.string))
    const owners = new Map<number, number>()
    const users = this.users
    let position = from
    while (position < until && !stopWhen(position)) {
      const end = Math.min(until, position + BATCH * this.parallelism)
      const batches = this.workers.map(() => ({ type: 'events' as const, users: [] as number[], pages: [] as number[], times: [] as number[] }))
      for (let i = position; i < end; i++) {
        const user = this.events.users[i]!
        users.add(user)
        let index = owners.get(user)
        if (index === undefined) owners.set(user, (index = owner(user)))
        batches[index]!.users.push(user)
        batches[index]!.pages.push(this.events.pages[i]!)
        batches[index]!.times.push(this.events.times[i]!)
      }
      await this.whenBelow(2)
      batches.forEach((batch, index) => {
        this.inFlight[index]!++
        this.workers[index]!.postMessage(batch)
      })
      this.stats.events += end - position
      position = end
      sampleMemory()
      if (performance.now() - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) await this.checkpoint(position)
    }
    this.stats.seconds += (performance.now() - started) / 1000
    this.stats.keys = users.size
    return position
  }

  /**
   * A checkpoint barrier after the events before `position`: every worker snapshots, and once
   * every handle is in the job checkpoint is completed in storage (atomically, with the source
   * position kept beside it) and the workers are told.
   */
  async checkpoint(position: number): Promise<void> {
    this.lastCheckpointAt = performance.now()
    const id = await this.storage.nextCheckpointId(JOB_ID)
    const handles = await this.all<Extract<FromWorker, { type: 'snapshot' }>>('snapshot', { type: 'checkpoint', id })
    this.snapshots.set(id, handles.map((message) => message.handle))
    await this.storage.completeCheckpoint(JOB_ID, id, this.snapshots.get(id)!)
    this.offsets.set(id, position)
    for (const worker of this.workers) worker.postMessage({ type: 'complete', id } satisfies ToWorker)
    this.stats.checkpoints.push(id)
    this.stats.checkpointBytes += handles.reduce((sum, { handle }) => sum + handleBytes(handle), 0)
  }

  /** Stops the workers without a checkpoint: what they processed since the last one is lost. */
  async stop(): Promise<void> {
    await this.all('stopped', { type: 'stop' })
    await this.terminate()
  }

  /** Ends the stream: fires the remaining timers and collects every key's state. */
  async finish(): Promise<KeyResult[]> {
    const results = await this.all<Extract<FromWorker, { type: 'results' }>>('results', { type: 'finish' })
    await this.terminate()
    return results.flatMap((result) => result.rows)
  }

  private async whenBelow(limit: number): Promise<void> {
    while (this.inFlight.some((count) => count >= limit)) await new Promise<void>((resolve) => (this.wake = resolve))
  }

  private async terminate(): Promise<void> {
    this.terminating = true
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  /** Sends `message` to every worker and waits for each one's reply of type `reply`. */
  private all<M extends FromWorker>(reply: FromWorker['type'], message: ToWorker): Promise<M[]> {
    return Promise.all(
      this.workers.map(
        (worker, index) =>
          new Promise<M>((resolve) => {
            this.waiters.set(`${reply}:${index}`, (answer) => resolve(answer as M))
            worker.postMessage(message)
          }),
      ),
    )
  }
}

/** The bytes of the files a handle references: a full snapshot's stream, or an incremental checkpoint's files. */
function handleBytes(handle: KeyedStateHandle): number {
  if (handle.kind === 'full') return handle.stream.size
  return [handle.metadata, ...Object.values(handle.sharedFiles), ...Object.values(handle.privateFiles)].reduce((sum, ref) => sum + ref.size, 0)
}

/** Every key's state as the stream says it must be, computed here without the library. */
function expectedResults(events: Events): Map<string, KeyResult> {
  const byUser = new Map<number, { count: number; pages: number[]; visits: Map<number, number>; sessions: number; last: number }>()
  for (let i = 0; i < events.users.length; i++) {
    const user = events.users[i]!
    const time = events.times[i]!
    let state = byUser.get(user)
    if (state === undefined) byUser.set(user, (state = { count: 0, pages: [], visits: new Map(), sessions: 0, last: time }))
    else if (time >= state.last + SESSION_GAP_MS) state.sessions++ // the session timer fired before this event
    state.count++
    state.pages.push(events.pages[i]!)
    state.visits.set(events.pages[i]!, (state.visits.get(events.pages[i]!) ?? 0) + 1)
    state.last = time
  }
  const expected = new Map<string, KeyResult>()
  for (const [user, state] of byUser) {
    const visits = JSON.stringify([...state.visits].sort(([a], [b]) => a - b))
    expected.set(userKey(user), [userKey(user), state.count, state.pages.join(','), visits, state.sessions + 1]) // +1: the last session ends with the stream
  }
  return expected
}

function parseArguments(argv: string[]) {
  const options = { workers: 3, rescaleTo: 2, events: 120_000, incremental: false, keep: undefined as string | undefined, json: false }
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i] ?? ''
    const count = (name: string) => {
      const number = Number(value())
      if (!Number.isSafeInteger(number) || number < 1) throw new RangeError(`${name} needs a positive integer`)
      return number
    }
    if (argv[i] === '--workers') options.workers = count('--workers')
    else if (argv[i] === '--rescale-to') options.rescaleTo = count('--rescale-to')
    else if (argv[i] === '--events') options.events = count('--events')
    else if (argv[i] === '--keep') options.keep = path.resolve(value())
    else if (argv[i] === '--json') options.json = true
    else if (argv[i] === '--incremental') options.incremental = true
    else throw new RangeError(`unknown argument ${argv[i]}`)
  }
  return options
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2))
  // The demo writes its checkpoints and instances into --keep: never over (or in place of) anything there.
  if (options.keep !== undefined && existsSync(options.keep) && readdirSync(options.keep).length > 0) throw new RangeError(`--keep ${options.keep} is not empty`)
  RocksDB.memoryBudget({ bytes: MEMORY_BUDGET_BYTES }) // process-wide: the workers' databases share it
  const workDir = options.keep ?? mkdtempSync(path.join(tmpdir(), 'rocksdb-keyed-state-demo-'))
  const storage = new FsCheckpointStorage(path.join(workDir, 'checkpoints'), { retain: 2 })
  const events = makeEvents(options.events)
  const offsets = new Map<number, number>() // checkpoint id -> source position (the source's committed offset)
  try {
    // Run 1: N workers from scratch, checkpointing every few seconds, and at 30% and 50% of the
    // stream when the clock has not (a fast machine, a short stream); stopped past 60%, between two
    // checkpoints, so that the restart has events to replay.
    const first = new Job(options.workers, options.incremental, events, storage, offsets, 'run')
    await first.start(workDir, [])
    let stoppedAt = 0
    for (const [share, checkpoints] of [[0.3, 1], [0.5, 2]] as const) {
      stoppedAt = await first.run(stoppedAt, Math.floor(options.events * share))
      if (first.stats.checkpoints.length < checkpoints) await first.checkpoint(stoppedAt)
    }
    const pastLastCheckpoint = (at: number) => at > offsets.get(first.stats.checkpoints.at(-1)!)!
    stoppedAt = await first.run(stoppedAt, options.events, (at) => at >= options.events * 0.6 && pastLastCheckpoint(at))
    await first.stop()

    // Run 2: M workers, each restoring its key groups from the latest complete checkpoint.
    const latest = (await storage.latestCheckpoint(JOB_ID))!
    const resumeAt = offsets.get(latest.checkpointId)!
    const second = new Job(options.rescaleTo, options.incremental, events, storage, offsets, 'restart')
    await second.start(workDir, latest.handles as KeyedStateHandle[])
    const position = await second.run(resumeAt, options.events)
    await second.checkpoint(position)
    const rows = await second.finish()

    const problems = compare(rows, expectedResults(events))
    const memory = { budgetBytes: MEMORY_BUDGET_BYTES, peakUsageBytes: peakUsage }
    const report: DemoReport = { phases: [first.stats, second.stats], restoredCheckpoint: latest.checkpointId, replayedEvents: stoppedAt - resumeAt, memory, problems }
    if (options.json) console.log(JSON.stringify(report, null, 2))
    else printSummary(report, options.events, rows.length)
    if (options.keep !== undefined && !options.json) console.log(`\ncheckpoints kept in ${path.join(workDir, 'checkpoints')}: try  rocksdb-keyed-state inspect ${path.join(workDir, 'checkpoints')}`)
    if (problems.length > 0) process.exitCode = 1
  } finally {
    if (options.keep === undefined) rmSync(workDir, { recursive: true, force: true })
  }
}

/** Every key exactly once, each with exactly the state the stream implies. */
function compare(rows: KeyResult[], expected: Map<string, KeyResult>): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const row of rows) {
    const want = expected.get(row[0])
    if (seen.has(row[0])) problems.push(`${row[0]} is held by two workers`)
    seen.add(row[0])
    if (want === undefined) problems.push(`${row[0]} should not exist`)
    else if (JSON.stringify(row) !== JSON.stringify(want)) problems.push(`${row[0]}: got ${JSON.stringify(row).slice(0, 200)}, expected ${JSON.stringify(want).slice(0, 200)}`)
  }
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${key} is missing`)
  return problems
}

interface DemoReport {
  phases: PhaseStats[]
  restoredCheckpoint: number
  replayedEvents: number
  memory: { budgetBytes: number; peakUsageBytes: number }
  problems: string[]
}

function printSummary(report: DemoReport, events: number, keys: number): void {
  const rows = [
    ['phase', 'workers', 'events', 'keys', 'events/s', 'checkpoints', 'checkpoint bytes', 'restore ms per worker'],
    ...report.phases.map((p) => [
      p.phase,
      String(p.workers),
      p.events.toLocaleString('en-US'),
      p.keys.toLocaleString('en-US'),
      Math.round(p.events / p.seconds).toLocaleString('en-US'),
      p.checkpoints.length === 0 ? '-' : `${p.checkpoints.length} (ids ${p.checkpoints[0]}-${p.checkpoints.at(-1)})`,
      p.checkpointBytes.toLocaleString('en-US'),
      p.restoreMs.map((ms) => ms.toFixed(0)).join(', '),
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
  const [first, second] = report.phases
  console.log(
    `\nstopped run 1 after ${first!.events.toLocaleString('en-US')} events; restarted ${first!.workers} -> ${second!.workers} workers from checkpoint ${report.restoredCheckpoint}, ` +
      `replaying the ${report.replayedEvents.toLocaleString('en-US')} events after it`,
  )
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  console.log(`memory: one RocksDB budget of ${mib(report.memory.budgetBytes)} (block cache and memtables) shared by all workers; peak usage ${mib(report.memory.peakUsageBytes)}`)
  if (report.problems.length === 0) {
    console.log(`verified: ${keys.toLocaleString('en-US')} keys, ${events.toLocaleString('en-US')} events: every counter, list, map and session count exactly as the stream says`)
  } else {
    console.log(`${report.problems.length} key(s) differ from the stream:`)
    for (const problem of report.problems.slice(0, 10)) console.log(`  ${problem}`)
  }
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
} else {
  runWorker(workerData as WorkerSetup).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}

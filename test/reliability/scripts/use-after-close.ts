// Calls every method of every native-backed object after close and records each call that
// did not end in ClosedError. Phases (argv[2]):
//   closed   - after `await db.close()`;
//   closing  - while close() is waiting for in-flight async work (refused from the moment it is called);
//   released - after the object's own close()/release()/finish(), the database still open.
import path from 'node:path'
import { ClosedError } from '../../../lib/errors'
import { batchCalls, everyCall, iteratorCalls, openFixture, snapshotCalls, writerCalls, type Call, type Fixture } from './surface'
import { outcome, report, runMain, tempBase } from './support'

async function refusals(calls: Record<string, Call>, f: Fixture): Promise<Record<string, string>> {
  // Every call starts before any is awaited, so in the closing phase all begin while close() runs.
  const started = Object.entries(calls).map(async ([name, call]) => [name, await outcome(() => call(f))] as const)
  const failures: Record<string, string> = {}
  for (const [name, result] of await Promise.all(started)) {
    if (result !== ClosedError.name) failures[name] = result
  }
  return failures
}

const prefixed = (prefix: string, calls: Record<string, Call>) =>
  Object.fromEntries(Object.entries(calls).map(([name, call]) => [`${prefix}.${name}`, call]))

async function closed(f: Fixture) {
  await f.db.close()
  const failures = await refusals(everyCall, f)
  const closeAgain = await outcome(() => f.db.close())
  return { checked: Object.keys(everyCall).length, failures, closeAgain }
}

async function closing(f: Fixture) {
  const inFlight = [f.cf.iterator().nextvAsync(2000), f.db.compactRange(f.cf), f.db.checkpoint(path.join(f.base, 'cp'))]
  const closed = f.db.close()
  const failures = await refusals(everyCall, f)
  const inFlightOutcomes = await Promise.all(inFlight.map((work) => outcome(() => work)))
  return { checked: Object.keys(everyCall).length, failures, inFlight: inFlightOutcomes, close: await outcome(() => closed) }
}

async function released(f: Fixture) {
  f.iterator.close()
  f.snapshot.release()
  f.batch.close()
  f.writer.close()
  const finished = f.db.sstWriter(f.cf, path.join(f.base, 'finished.sst'))
  finished.put('a', 'b')
  await finished.finish()
  // for...of over a closed iterator ends at once (close() marks it ended), like any JS iterator.
  const { forOf: _, ...steppingCalls } = iteratorCalls
  const calls = {
    ...prefixed('Iterator', steppingCalls),
    ...prefixed('Snapshot', snapshotCalls),
    'ColumnFamily.getWithSnapshot': (g: Fixture) => g.cf.get('a', { snapshot: g.snapshot }),
    'ColumnFamily.iteratorWithSnapshot': (g: Fixture) => g.cf.iterator({ snapshot: g.snapshot }),
    ...prefixed('WriteBatch', batchCalls),
    'RocksDB.write': (g: Fixture) => g.db.write(g.batch),
    ...prefixed('SstWriter', writerCalls),
  }
  const afterFinish = prefixed('finished SstWriter', writerCalls)
  const failures = { ...(await refusals(calls, f)), ...(await refusals(afterFinish, { ...f, writer: finished })) }
  const closeAgain = await Promise.all(
    [() => f.iterator.close(), () => f.snapshot.release(), () => f.batch.close(), () => f.writer.close(), () => finished.close()].map(outcome),
  )
  await f.db.close()
  return { checked: Object.keys(calls).length + Object.keys(afterFinish).length, failures, closeAgain }
}

const phases = { closed, closing, released }

runMain(async () => {
  const phase = process.argv[2] as keyof typeof phases
  report(await phases[phase](await openFixture(tempBase('closed'))))
})

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, returning the results in the
 * items' order. After the first failure (or once `signal` aborts) no further item starts and the
 * signal handed to the running calls aborts, so they can stop early; the promise settles only
 * after every started call has, and rejects with the first error (or the signal's reason). Nothing
 * keeps running behind the caller's back.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`)
  signal?.throwIfAborted()
  const failed = new AbortController()
  const stop = signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal])
  const results = new Array<R>(items.length)
  let next = 0
  let firstError: { error: unknown } | undefined

  const worker = async (): Promise<void> => {
    while (next < items.length && !stop.aborted) {
      const index = next++
      try {
        results[index] = await fn(items[index], stop)
      } catch (error) {
        firstError ??= { error }
        failed.abort(error)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (firstError === undefined && next === items.length) return results
  // Calls failing because the caller aborted report the caller's reason, not their own AbortError.
  signal?.throwIfAborted()
  throw firstError!.error
}

/**
 * Runs every task at once, with `mapWithConcurrency`'s guarantees: after the first failure the
 * others' signal aborts, and the promise settles only once every task has. Tasks hand their
 * results out themselves, so what the ones that succeeded opened can still be closed.
 */
export async function runConcurrently(tasks: readonly ((signal: AbortSignal) => Promise<unknown>)[], signal?: AbortSignal): Promise<void> {
  await mapWithConcurrency(tasks, Math.max(1, tasks.length), (task, stop) => task(stop), signal)
}

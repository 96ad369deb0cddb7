import { checkOptionNames } from '../option-names'

/**
 * Retries of requests to a remote checkpoint storage: exponential backoff with full jitter (every
 * delay drawn uniformly below the exponential bound, so many clients failing at once spread out),
 * only for throttling and transient failures, never for other client errors. Any other key is a
 * TypeError (`unknown option 'retry.maxAttempt'`).
 */
export interface RetryOptions {
  /** Tries of one request, the first included (default 5). */
  maxAttempts?: number
  /** Bound of the first retry's delay, doubled for each further retry (default 100 ms). */
  baseDelayMs?: number
  /** Upper bound of any delay (default 20 s). */
  maxDelayMs?: number
}

export type ResolvedRetryOptions = Required<RetryOptions>

/** What the AWS SDK's retry middleware says about a failed request. */
export type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR'

const RETRY_OPTION_NAMES: ReadonlySet<string> = new Set(['maxAttempts', 'baseDelayMs', 'maxDelayMs'] satisfies (keyof RetryOptions)[])

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  checkOptionNames(options, RETRY_OPTION_NAMES, 'retry')
  const resolved = { maxAttempts: options.maxAttempts ?? 5, baseDelayMs: options.baseDelayMs ?? 100, maxDelayMs: options.maxDelayMs ?? 20_000 }
  if (!Number.isSafeInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be a positive integer, got ${options.maxAttempts}`)
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) throw new RangeError(`retry.${name} must be a non-negative number, got ${options[name]}`)
  }
  return resolved
}

/** The delay before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, options: ResolvedRetryOptions, random: () => number = Math.random): number {
  const bound = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(retry - 1, 30))
  return Math.floor(random() * bound)
}

export function isRetryable(type: RetryErrorType): boolean {
  return type !== 'CLIENT_ERROR'
}

interface RetryToken {
  getRetryCount(): number
  getRetryDelay(): number
}

/**
 * The retry strategy given to the S3 client (the SDK's `RetryStrategyV2` shape): the SDK classifies
 * each failure, this decides whether and when to send the request again. A streamed request body
 * cannot be sent twice; the storage only sends buffered ones.
 */
export function sdkRetryStrategy(options: ResolvedRetryOptions) {
  const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay })
  return {
    mode: 'standard',
    acquireInitialRetryToken: async (): Promise<RetryToken> => token(0, 0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: { errorType: RetryErrorType; error?: unknown }): Promise<RetryToken> => {
      const retry = previous.getRetryCount() + 1
      if (!isRetryable(info.errorType) || retry >= options.maxAttempts) throw info.error ?? new Error(`not retried: ${info.errorType}`)
      return token(retry, backoffDelay(retry, options))
    },
    recordSuccess: (): void => {},
  }
}

/** Errors of a socket, not of a response: worth another try of the whole transfer. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/**
 * Whether `error` broke a response body while it streamed (the request itself succeeded, so the
 * SDK's retries did not see it). Errors that went through the SDK's retries carry `$metadata`.
 */
export function isBrokenStream(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || '$metadata' in error) return false
  const { code, name } = error as { code?: unknown; name?: unknown }
  return (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) || name === 'TimeoutError' || code === 'ERR_STREAM_PREMATURE_CLOSE'
}

/** Waits `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted()
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

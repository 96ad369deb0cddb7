import { describe, expect, it } from 'vitest'
import { backoffDelay, isBrokenStream, resolveRetryOptions, sdkRetryStrategy } from '../../lib/storage/retry'

describe('retry policy', () => {
  const options = resolveRetryOptions({ maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 })

  it('full jitter: each delay lies below an exponential bound that stops at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 40].map((retry) => backoffDelay(retry, options, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999])
    expect(backoffDelay(3, options, () => 0)).toBe(0)
    expect(backoffDelay(3, options, () => 0.5)).toBe(200)
  })

  it('retries throttling, transient and server errors up to maxAttempts, never client errors', async () => {
    const strategy = sdkRetryStrategy(options)
    let token = await strategy.acquireInitialRetryToken()
    for (const errorType of ['THROTTLING', 'TRANSIENT', 'SERVER_ERROR'] as const) {
      token = await strategy.refreshRetryTokenForRetry(token, { errorType, error: new Error(errorType) })
      expect(token.getRetryDelay()).toBeLessThan(1000)
    }
    expect(token.getRetryCount()).toBe(3)
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error: new Error('fourth') })).rejects.toThrow('fourth')
    const fresh = await strategy.acquireInitialRetryToken()
    await expect(strategy.refreshRetryTokenForRetry(fresh, { errorType: 'CLIENT_ERROR', error: new Error('403') })).rejects.toThrow('403')
  })

  it('a broken response stream is a socket error that did not pass the SDK retries', () => {
    expect(isBrokenStream(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isBrokenStream(Object.assign(new Error('aborted'), { code: 'ECONNRESET', $metadata: { attempts: 5 } }))).toBe(false)
    expect(isBrokenStream(new Error('other'))).toBe(false)
    expect(isBrokenStream(undefined)).toBe(false)
  })

  it('refuses invalid options', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(RangeError)
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow(RangeError)
    expect(() => resolveRetryOptions({ maxDelayMs: Number.NaN })).toThrow(RangeError)
    expect(resolveRetryOptions()).toEqual({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 20_000 })
  })
})

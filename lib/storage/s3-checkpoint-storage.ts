import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat as statFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type * as ClientS3 from '@aws-sdk/client-s3'
import type * as LibStorage from '@aws-sdk/lib-storage'
import { CheckpointStorageError, CorruptCheckpointError, KeyedStateError } from '../errors'
import { checkOptionNames } from '../option-names'
import { makeDirectories, untilAborted, writeFileAtomically } from './atomic-file'
import type { CheckpointStorage, DownloadOptions, GarbageOptions, TransferOptions } from './checkpoint-storage'
import { checkDigest, checkFileRef, checkKey, type FileRef, keyProblem } from './file-ref'
import { JobCheckpointStorage } from './job-checkpoint-storage'
import type { JobCheckpoints } from './job-checkpoints'
import { isCheckpointFileKey } from './layout'
import { checkGarbageOptions, checkTransferOptions } from './call-options'
import { mapWithConcurrency } from './pool'
import { backoffDelay, isBrokenStream, resolveRetryOptions, type ResolvedRetryOptions, type RetryOptions, sdkRetryStrategy, sleep } from './retry'

/** Options of `new S3CheckpointStorage`: any other key, also in `retry` and `timeouts`, is a TypeError. */
export interface S3CheckpointStorageOptions {
  bucket: string
  /** Where in the bucket the storage's keys live (`a/b` holds key `k` as object `a/b/k`); default the bucket's root. */
  prefix?: string
  /**
   * An `S3Client` of @aws-sdk/client-s3 to use as it is (its own endpoint, credentials and retries);
   * otherwise one is made from the options below. Typed by shape, so that these declarations need
   * no AWS SDK installed.
   */
  client?: S3ClientLike
  /** An S3-compatible server's URL; path-style addressing is then the default. */
  endpoint?: string
  /** Default: the SDK's (AWS_REGION, the shared config), else `us-east-1` when `endpoint` is given. */
  region?: string
  /** Default: the SDK's credential chain (environment, shared files, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  forcePathStyle?: boolean
  /** Retries of each request on throttling and transient failures (for a client made here, and of broken downloads). */
  retry?: RetryOptions
  /**
   * For a client made here: how long a connection may take to open (default 10 s), and how long a
   * request's socket may stay silent, waiting for or in the middle of an answer (default 60 s).
   * Either failure counts as transient, so it is retried, and ends in a `CheckpointStorageError`;
   * without them a server that accepts connections but never answers would hang every operation.
   */
  timeouts?: { connectMs?: number; idleMs?: number }
  /**
   * Sends each upload's SHA-256 (per part for multipart uploads) for the server to verify on
   * receipt (default true). Turn off for servers that reject S3's checksum headers.
   */
  serverChecksums?: boolean
  /** Complete checkpoints kept per job; older ones are discarded (Flink's default: 1). */
  retain?: number
  /** Files `uploadFiles`/`downloadFiles` move at once (default 4). */
  concurrency?: number
  /** Files larger than this go up in parts and come down in ranges of this size (default 8 MiB, at least 5 MiB). */
  partSizeBytes?: number
  /**
   * Parts of one file uploaded, or ranges of one file downloaded, at once (default 4). Memory in
   * use: up to concurrency x partConcurrency x partSizeBytes.
   */
  partConcurrency?: number
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  listPageSize?: number
}

/** What this package's types say of an `S3Client` (it is used as the SDK's own). */
export interface S3ClientLike {
  send(command: never, options?: never): Promise<unknown>
  readonly config: object
  destroy(): void
}

interface Sdk {
  s3: typeof ClientS3
  storage: typeof LibStorage
}

export const S3_OPTION_NAMES: ReadonlySet<string> = new Set([
  'bucket',
  'prefix',
  'client',
  'endpoint',
  'region',
  'credentials',
  'forcePathStyle',
  'retry',
  'timeouts',
  'serverChecksums',
  'retain',
  'concurrency',
  'partSizeBytes',
  'partConcurrency',
  'listPageSize',
] satisfies (keyof S3CheckpointStorageOptions)[])
const TIMEOUT_OPTION_NAMES: ReadonlySet<string> = new Set(['connectMs', 'idleMs'] satisfies (keyof NonNullable<S3CheckpointStorageOptions['timeouts']>)[])
const MIN_PART_BYTES = 5 * 1024 * 1024
const MAX_PARTS = 10_000
const CHUNK_BYTES = 1 << 20
/** Names of S3's errors for an object that is not there (GetObject, HeadObject). */
const NOT_FOUND = new Set(['NoSuchKey', 'NotFound'])

let sdkLoading: Promise<Sdk> | undefined

/** The AWS SDK, loaded on first use: it is an optional peer dependency, only S3 users install it. */
function loadSdk(): Promise<Sdk> {
  sdkLoading ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(
    ([s3, storage]) => ({ s3, storage }),
    (error: unknown) => {
      sdkLoading = undefined
      throw new CheckpointStorageError(
        `S3 checkpoint storage needs the optional peer dependencies @aws-sdk/client-s3 and @aws-sdk/lib-storage: ${(error as Error).message}`,
        0,
        { cause: error },
      )
    },
  )
  return sdkLoading
}

/**
 * Checkpoint storage in an S3 bucket or any S3-compatible store, laid out as docs/format.md says: key
 * `k` is object `<prefix>/k`. S3 writes are atomic (an object appears whole when its PUT or
 * multipart upload completes), so there are no temporary objects; a job checkpoint counts once its
 * manifest object is written, after every file it references. Each upload is hashed while it
 * streams; each download is verified by size and SHA-256 before it is published.
 *
 * Incomplete multipart uploads left by a crashed process are not listed by every S3-compatible
 * server; on S3 itself, a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them.
 */
export class S3CheckpointStorage extends JobCheckpointStorage implements CheckpointStorage {
  readonly bucket: string
  /** The object-key prefix, empty or ending in `/`. */
  readonly prefix: string
  private readonly options: S3CheckpointStorageOptions
  private readonly retry: ResolvedRetryOptions
  private readonly concurrency: number
  private readonly partSize: number
  private readonly partConcurrency: number
  private readonly listPageSize: number
  private readonly connectTimeoutMs: number
  private readonly idleTimeoutMs: number
  protected readonly jobs: JobCheckpoints
  private clientLoading: Promise<{ sdk: Sdk; client: ClientS3.S3Client }> | undefined
  private ownsClient = false

  constructor(options: S3CheckpointStorageOptions) {
    super()
    checkOptionNames(options, S3_OPTION_NAMES)
    if (typeof options.bucket !== 'string' || options.bucket.length === 0) throw new RangeError('an S3 checkpoint storage needs a bucket name')
    for (const name of ['endpoint', 'region'] as const) optionOfType(options[name], 'string', name)
    for (const name of ['forcePathStyle', 'serverChecksums'] as const) optionOfType(options[name], 'boolean', name)
    if (options.timeouts !== undefined) checkOptionNames(options.timeouts, TIMEOUT_OPTION_NAMES, 'timeouts')
    this.bucket = options.bucket
    this.prefix = normalizePrefix(options.prefix ?? '')
    this.options = options
    this.retry = resolveRetryOptions(options.retry)
    this.concurrency = positiveInteger(options.concurrency ?? 4, 'concurrency')
    this.partSize = positiveInteger(options.partSizeBytes ?? 8 * 1024 * 1024, 'partSizeBytes')
    if (this.partSize < MIN_PART_BYTES) throw new RangeError(`partSizeBytes must be at least ${MIN_PART_BYTES} (S3's minimum part), got ${this.partSize}`)
    this.partConcurrency = positiveInteger(options.partConcurrency ?? 4, 'partConcurrency')
    this.listPageSize = positiveInteger(options.listPageSize ?? 1000, 'listPageSize')
    this.connectTimeoutMs = positiveInteger(options.timeouts?.connectMs ?? 10_000, 'timeouts.connectMs')
    this.idleTimeoutMs = positiveInteger(options.timeouts?.idleMs ?? 60_000, 'timeouts.idleMs')
    this.jobs = this.jobCheckpoints(options.retain ?? 1, this.concurrency)
  }

  async uploadFile(localPath: string, key: string, options: TransferOptions = {}): Promise<FileRef> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    checkKey(key)
    return this.guard(`uploading '${localPath}' to '${key}'`, async () => {
      const { size } = await statFile(localPath)
      return this.upload(key, createReadStream(localPath, { highWaterMark: CHUNK_BYTES }), options, size)
    }, options.signal)
  }

  async uploadFiles(files: readonly { localPath: string; key: string }[], options: TransferOptions = {}): Promise<FileRef[]> {
    checkTransferOptions(options)
    return mapWithConcurrency(files, this.concurrency, (file, signal) => this.uploadFile(file.localPath, file.key, { ...options, signal }), options.signal)
  }

  async writeFile(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, options: TransferOptions = {}): Promise<FileRef> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    checkKey(key)
    return this.guard(`writing '${key}'`, () => this.upload(key, data instanceof Uint8Array ? [data] : data, options, data instanceof Uint8Array ? data.byteLength : undefined), options.signal)
  }

  async downloadFile(ref: FileRef, localPath: string, options: DownloadOptions = {}): Promise<void> {
    checkTransferOptions(options, true)
    options.signal?.throwIfAborted()
    const checked = checkFileRef(ref)
    const target = path.resolve(localPath)
    const write = async (chunks: AsyncIterable<Uint8Array>) => {
      await makeDirectories(path.dirname(target))
      await writeFileAtomically(target, chunks, { signal: options.signal, onProgress: options.onProgress, verify: (digest) => checkDigest(checked, digest) })
    }
    await this.guard(
      `downloading '${checked.key}'`,
      async () => {
        if (checked.size <= this.partSize) return this.withBrokenStreamRetries(options.signal, async () => write(await this.getObject(checked, options.signal)))
        await this.checkStoredSize(checked)
        await write(this.rangedChunks(checked, options.signal))
      },
      options.signal,
    )
  }

  async downloadFiles(files: readonly { ref: FileRef; localPath: string }[], options: DownloadOptions = {}): Promise<void> {
    checkTransferOptions(options, true)
    await mapWithConcurrency(files, this.concurrency, (file, signal) => this.downloadFile(file.ref, file.localPath, { ...options, signal }), options.signal)
  }

  async readFile(ref: FileRef, options: TransferOptions = {}): Promise<Buffer> {
    checkTransferOptions(options)
    options.signal?.throwIfAborted()
    const checked = checkFileRef(ref)
    return this.guard(`reading '${checked.key}'`, () =>
      this.withBrokenStreamRetries(options.signal, async () => {
        const body = await this.getObject(checked, options.signal)
        const chunks: Buffer[] = []
        for await (const chunk of body) chunks.push(chunk as Buffer)
        const bytes = Buffer.concat(chunks)
        checkDigest(checked, { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') })
        options.onProgress?.(bytes.length)
        return bytes
      }),
      options.signal,
    )
  }

  async deleteFile(key: string): Promise<void> {
    checkKey(key)
    await this.guard(`deleting '${key}'`, async () => {
      const { sdk, client } = await this.client()
      await client.send(new sdk.s3.DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
    })
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    checkKey(key)
    return this.guard(`looking up '${key}'`, async () => {
      const head = await this.headObject(key)
      return head === undefined ? undefined : { size: head.ContentLength ?? 0 }
    })
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new TypeError(`a prefix must be a string, got ${typeof prefix}`)
    return (await this.listObjects(prefix)).map((object) => object.key)
  }

  async collectGarbage(options: GarbageOptions = {}): Promise<void> {
    // olderThanMs is checked too, though an S3 storage has no temporary files to remove.
    const { unreferencedOlderThanMs } = checkGarbageOptions(options)
    await this.jobs.finishInterruptedDiscards()
    if (unreferencedOlderThanMs === undefined) return
    const cutoff = Date.now() - unreferencedOlderThanMs
    const candidates = [...(await this.listObjects('chk-')), ...(await this.listObjects('shared/'))].filter(
      (object) => object.lastModified < cutoff && isCheckpointFileKey(object.key),
    )
    if (candidates.length > 0) await this.jobs.deleteUnreferenced(candidates.map((object) => object.key))
  }

  /** Releases the sockets of the client this storage made (a client passed in stays open). */
  async destroy(): Promise<void> {
    const loading = this.clientLoading
    if (loading === undefined || !this.ownsClient) return
    this.clientLoading = undefined
    ;(await loading).client.destroy()
  }

  private client(): Promise<{ sdk: Sdk; client: ClientS3.S3Client }> {
    this.clientLoading ??= loadSdk().then((sdk) => {
      const { options } = this
      if (options.client !== undefined) return { sdk, client: options.client as ClientS3.S3Client }
      this.ownsClient = true
      const client = new sdk.s3.S3Client({
        endpoint: options.endpoint,
        region: options.region ?? (options.endpoint !== undefined ? (process.env.AWS_REGION ?? 'us-east-1') : undefined),
        credentials: options.credentials,
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        retryStrategy: sdkRetryStrategy(this.retry),
        // The SDK's handler waits forever by default; its timeouts fail as `TimeoutError`, which the SDK retries.
        requestHandler: { connectionTimeout: this.connectTimeoutMs, socketTimeout: this.idleTimeoutMs },
        // Checksums only where this storage asks for them (SHA-256), not the SDK's default CRC32.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      })
      return { sdk, client }
    })
    return this.clientLoading
  }

  /**
   * Uploads `source`, hashing it on the way. What fits in one part goes up in one PUT (aborted with
   * the signal); larger sources in a multipart upload, which an abort or failure also aborts, so the
   * key is replaced only once the whole source is stored.
   */
  private async upload(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: TransferOptions, knownSize?: number): Promise<FileRef> {
    const { sdk, client } = await this.client()
    const { signal } = options
    const hash = createHash('sha256')
    let size = 0
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        signal?.throwIfAborted()
        hash.update(chunk)
        size += chunk.byteLength
        yield chunk
      }
    }
    const partSize = knownSize === undefined ? this.partSize : Math.max(this.partSize, Math.ceil(knownSize / MAX_PARTS))
    const chunks = hashed()
    const params = { Bucket: this.bucket, Key: this.prefix + key, ...(this.options.serverChecksums === false ? {} : { ChecksumAlgorithm: 'SHA256' as const }) }
    try {
      const first = await readUpTo(chunks, partSize + 1, signal)
      if (first.done) {
        await client.send(new sdk.s3.PutObjectCommand({ ...params, Body: first.bytes }), { abortSignal: signal })
        options.onProgress?.(first.bytes.length)
      } else {
        await this.multipartUpload(sdk, client, { ...params, Body: Readable.from(prepend(first.bytes, chunks), { objectMode: false }) }, partSize, options)
      }
    } catch (error) {
      // Closes the source (a local file's descriptor) once its pending read is done; not awaited,
      // as a stalled source may never finish that read.
      chunks.return(undefined).catch(() => {})
      throw error
    }
    return { key, size, sha256: hash.digest('hex') }
  }

  private async multipartUpload(
    sdk: Sdk,
    client: ClientS3.S3Client,
    params: ClientS3.PutObjectCommandInput,
    partSize: number,
    options: TransferOptions,
  ): Promise<void> {
    const controller = new AbortController()
    // lib-storage sends its requests without a signal, and keeps sending parts after one failed:
    // this view of the client gives them the upload's signal and stops the upload at the first
    // failure, so neither an abort nor an error leaves parts going up unseen.
    let failure: { error: unknown } | undefined
    const send = async (command: never, sendOptions?: object) => {
      try {
        return await client.send(command, { ...sendOptions, abortSignal: controller.signal })
      } catch (error) {
        if (!controller.signal.aborted) {
          failure = { error }
          controller.abort(error)
        }
        throw error
      }
    }
    const upload = new sdk.storage.Upload({
      client: { config: client.config, send } as unknown as ClientS3.S3Client,
      params,
      partSize,
      queueSize: this.partConcurrency,
      leavePartsOnError: false,
      abortController: controller,
    })
    let reported = 0
    upload.on('httpUploadProgress', (progress) => {
      if (controller.signal.aborted || progress.loaded === undefined || progress.loaded <= reported) return
      options.onProgress?.(progress.loaded - reported)
      reported = progress.loaded
    })
    const onAbort = () => controller.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await upload.done()
    } catch (error) {
      // The parts stopped, the upload is aborted here, on the client itself: lib-storage's own
      // abort request would carry the aborted signal.
      const uploadId = (upload as unknown as { uploadId?: string }).uploadId
      if (uploadId !== undefined) {
        await client.send(new sdk.s3.AbortMultipartUploadCommand({ Bucket: params.Bucket, Key: params.Key, UploadId: uploadId })).catch(() => {})
      }
      options.signal?.throwIfAborted()
      throw failure?.error ?? error
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * The body of the object `ref` names (or of bytes `range` of it), after checking that the object
   * exists with the expected size.
   */
  private async getObject(ref: FileRef, signal: AbortSignal | undefined, range?: { first: number; last: number }): Promise<AsyncIterable<Uint8Array>> {
    const { sdk, client } = await this.client()
    let response: ClientS3.GetObjectCommandOutput
    try {
      const input = { Bucket: this.bucket, Key: this.prefix + ref.key, Range: range === undefined ? undefined : `bytes=${range.first}-${range.last}` }
      response = await client.send(new sdk.s3.GetObjectCommand(input), { abortSignal: signal })
    } catch (error) {
      if (isNotFound(error)) throw this.missing(ref)
      throw error
    }
    const body = response.Body as (Readable & AsyncIterable<Uint8Array>) | undefined
    if (body === undefined) throw new CorruptCheckpointError(`checkpoint file '${ref.key}' came without a body`)
    // A range's response gives the object's size after the slash of Content-Range.
    const size = range === undefined ? response.ContentLength : Number(/\/(\d+)$/.exec(response.ContentRange ?? '')?.[1] ?? Number.NaN)
    if (size !== undefined && size !== ref.size) {
      body.destroy()
      checkDigest(ref, { size })
    }
    return body
  }

  /** `CorruptCheckpointError` unless the object `ref` names exists with its size. */
  private async checkStoredSize(ref: FileRef): Promise<void> {
    const head = await this.headObject(ref.key)
    if (head === undefined) throw this.missing(ref)
    checkDigest(ref, { size: head.ContentLength })
  }

  /**
   * The HEAD of object `key`, `undefined` when it does not exist. A HEAD answer has no body, so its
   * 404 cannot tell a missing object from a missing bucket: a one-key listing then tells, failing
   * with the server's NoSuchBucket if the bucket is gone.
   */
  private async headObject(key: string): Promise<ClientS3.HeadObjectCommandOutput | undefined> {
    const { sdk, client } = await this.client()
    try {
      return await client.send(new sdk.s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
    } catch (error) {
      if (!isNotFound(error)) throw error
      await client.send(new sdk.s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + key, MaxKeys: 1 }))
      return undefined
    }
  }

  private missing(ref: FileRef): CorruptCheckpointError {
    return new CorruptCheckpointError(`checkpoint file '${ref.key}' is missing from s3://${this.bucket}/${this.prefix}`)
  }

  /**
   * The bytes of a large object in order, fetched as ranges of one part size, up to
   * `partConcurrency` at once (each retried alone when its body breaks off). Stopping early, by
   * the signal or the consumer, cancels the ranges in flight.
   */
  private async *rangedChunks(ref: FileRef, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
    const stop = new AbortController()
    const stopped = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal])
    const count = Math.ceil(ref.size / this.partSize)
    const fetchRange = (index: number) =>
      this.withBrokenStreamRetries(stopped, async () => {
        const range = { first: index * this.partSize, last: Math.min(ref.size, (index + 1) * this.partSize) - 1 }
        const parts: Uint8Array[] = []
        for await (const chunk of await this.getObject(ref, stopped, range)) parts.push(chunk)
        const bytes = Buffer.concat(parts)
        if (bytes.length !== range.last - range.first + 1) throw new CorruptCheckpointError(`checkpoint file '${ref.key}' changed while it was read`)
        return bytes
      })
    const window: Promise<Buffer>[] = []
    let next = 0
    try {
      for (;;) {
        while (next < count && window.length < this.partConcurrency) {
          const fetching = fetchRange(next++)
          fetching.catch(() => {}) // awaited in turn below; not unhandled while an earlier one is
          window.push(fetching)
        }
        const fetched = window.shift()
        if (fetched === undefined) return
        yield await fetched
      }
    } finally {
      stop.abort()
    }
  }

  /** Runs a whole transfer again when its response body broke off mid-stream (the SDK retried the request itself). */
  private async withBrokenStreamRetries<T>(signal: AbortSignal | undefined, transfer: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await transfer()
      } catch (error) {
        if (signal?.aborted || !isBrokenStream(error) || attempt >= this.retry.maxAttempts) throw error
        await sleep(backoffDelay(attempt, this.retry), signal)
      }
    }
  }

  private async listObjects(prefix: string): Promise<{ key: string; lastModified: number }[]> {
    return this.guard(`listing '${prefix}'`, async () => {
      const { sdk, client } = await this.client()
      const objects: { key: string; lastModified: number }[] = []
      const pages = sdk.s3.paginateListObjectsV2({ client, pageSize: this.listPageSize }, { Bucket: this.bucket, Prefix: this.prefix + prefix })
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(this.prefix.length)
          // Objects no key can name (written by something else) are not this storage's.
          if (key !== undefined && keyProblem(key) === undefined) objects.push({ key, lastModified: object.LastModified?.getTime() ?? 0 })
        }
      }
      return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    })
  }

  protected async readManifest(key: string, maxBytes: number): Promise<Buffer | undefined> {
    return this.guard(`reading '${key}'`, async () => {
      const { sdk, client } = await this.client()
      let response: ClientS3.GetObjectCommandOutput
      try {
        response = await client.send(new sdk.s3.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
      const size = response.ContentLength ?? 0
      if (size > maxBytes) {
        ;(response.Body as Readable | undefined)?.destroy()
        throw new CorruptCheckpointError(`'${key}' has ${size} bytes, more than a manifest may (${maxBytes})`)
      }
      return Buffer.from((await response.Body?.transformToByteArray()) ?? [])
    })
  }

  /**
   * Runs `operation`, reporting failures of the store (after the SDK's retries) as
   * `CheckpointStorageError`; the library's own errors, argument errors and aborts pass unchanged.
   */
  private async guard<T>(what: string, operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      // An abort reports the caller's reason, whatever the SDK or a stream made of it.
      signal?.throwIfAborted()
      if (error instanceof KeyedStateError || error instanceof RangeError || error instanceof TypeError) throw error
      if ((error as Error | undefined)?.name === 'AbortError') throw error
      // A local file that cannot be read or written is the caller's problem, reported as the
      // file system reports it, as FsCheckpointStorage does: not a storage failure to retry.
      if (isLocalFileError(error)) throw error
      const { name, message } = error as Error
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
      throw new CheckpointStorageError(`S3 storage s3://${this.bucket}/${this.prefix}: ${what} failed after ${attempts} attempt(s): ${name}: ${message}`, attempts, {
        cause: error,
      })
    }
  }
}

/** An error of Node's file system calls: it names the local path it failed on. */
function isLocalFileError(error: unknown): boolean {
  const { path, syscall } = (error ?? {}) as { path?: unknown; syscall?: unknown }
  return typeof path === 'string' && typeof syscall === 'string'
}

/** `a/b`, `a/b/` -> `a/b/`; `` -> ``. A prefix is one valid key (no `..`, no dot segments). */
function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new TypeError(`an S3 prefix must be a string, got ${typeof prefix}`)
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  if (trimmed === '') return ''
  const problem = keyProblem(trimmed)
  if (problem !== undefined) throw new RangeError(`invalid S3 prefix ${JSON.stringify(prefix)}: ${problem}`)
  return `${trimmed}/`
}

/** Reads chunks until more than `limit` bytes are in, or the source ends (`done`). */
async function readUpTo(chunks: AsyncIterator<Uint8Array>, limit: number, signal: AbortSignal | undefined): Promise<{ bytes: Buffer; done: boolean }> {
  const parts: Uint8Array[] = []
  let length = 0
  while (length < limit) {
    const step = await untilAborted(chunks.next(), signal)
    if (step.done === true) return { bytes: Buffer.concat(parts), done: true }
    parts.push(step.value)
    length += step.value.byteLength
  }
  return { bytes: Buffer.concat(parts), done: false }
}

async function* prepend(head: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head
  for (let step = await rest.next(); step.done !== true; step = await rest.next()) yield step.value
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } }
  // Not any 404: NoSuchBucket is one too, and must not read as "no such file".
  return NOT_FOUND.has(name ?? '') && $metadata?.httpStatusCode === 404
}

function optionOfType(value: unknown, type: 'string' | 'boolean', name: string): void {
  if (value !== undefined && typeof value !== type) throw new TypeError(`option '${name}' must be a ${type}, got ${typeof value}`)
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`)
  return value
}


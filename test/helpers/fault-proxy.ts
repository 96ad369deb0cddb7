import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A fault the proxy injects into the next `times` requests that `match`. */
export interface Fault {
  match: (request: { method: string; url: string }) => boolean
  times: number
  /** Answer with this S3 error instead of forwarding. */
  error?: { status: number; code: string }
  /** Forward, but cut the connection after this many bytes of the response body. */
  cutBodyAfter?: number
  /** Never answer: `onArrival` is called when the request comes, `onClientGone` when the client closes the connection. */
  stall?: { onArrival?: () => void; onClientGone: () => void }
}

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 server, over real sockets: forwards every request
 * unchanged (the signed Host header included) except those a fault matches, and logs them all.
 */
export class FaultProxy {
  readonly log: { method: string; url: string; status: number; checksum?: string; range?: string }[] = []
  private readonly faults: Fault[] = []
  private readonly server: http.Server

  private constructor(private readonly targetPort: () => number) {
    this.server = http.createServer((request, response) => this.handle(request, response))
  }

  static async start(targetPort: () => number): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetPort)
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  inject(fault: Fault): void {
    this.faults.push(fault)
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const method = request.method!
    const url = request.url!
    const checksum = request.headers['x-amz-checksum-sha256'] as string | undefined
    const range = request.headers.range
    const fault = this.faults.find((f) => f.times > 0 && f.match({ method, url }))
    if (fault !== undefined) fault.times--
    if (fault?.stall !== undefined) {
      this.log.push({ method, url, status: 0, checksum, range })
      request.resume()
      response.on('close', fault.stall.onClientGone)
      fault.stall.onArrival?.()
      return
    }
    if (fault?.error !== undefined) {
      const { status, code } = fault.error
      this.log.push({ method, url, status, checksum, range })
      // Read the whole request first, as a server does, so the client sees the answer, not a reset.
      request.resume()
      request.on('end', () => {
        response.writeHead(status, { 'content-type': 'application/xml' })
        response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`)
      })
      return
    }
    const upstream = http.request({ host: '127.0.0.1', port: this.targetPort(), method, path: url, headers: request.headers }, (answer) => {
      this.log.push({ method, url, status: answer.statusCode!, checksum, range })
      response.writeHead(answer.statusCode!, answer.headers)
      if (fault?.cutBodyAfter === undefined) {
        answer.pipe(response)
        return
      }
      let sent = 0
      answer.on('data', (chunk: Buffer) => {
        if (sent >= fault.cutBodyAfter!) return
        const part = chunk.subarray(0, fault.cutBodyAfter! - sent)
        sent += part.length
        response.write(part)
        if (sent >= fault.cutBodyAfter!) {
          answer.destroy()
          response.socket?.destroy()
        }
      })
    })
    upstream.on('error', () => response.socket?.destroy())
    request.pipe(upstream)
  }
}

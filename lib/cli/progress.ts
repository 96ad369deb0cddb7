import { SingleBar } from 'cli-progress'

export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

/**
 * A progress bar on stderr for long scans, only when a person watches (stdout and stderr are
 * terminals) and the output is not `--json`: scripts and pipes get no control characters.
 */
export function progressBar(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stdout.isTTY || !process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, clearOnComplete: true, hideCursor: true })
  let started = false
  return {
    update(done, total) {
      if (!started) bar.start(total, 0)
      started = true
      bar.setTotal(total)
      bar.update(done)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

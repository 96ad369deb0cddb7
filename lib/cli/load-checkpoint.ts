import { scanCheckpoint } from './checkpoint-scan'
import type { CheckpointSummary, Problem } from './checkpoint-summary'
import { resolveTarget, type TargetOptions } from './checkpoint-target'
import { progressBar } from './progress'

/** The options every command that reads a checkpoint takes. */
export interface ReadOptions extends TargetOptions {
  json?: boolean
  /** Unix seconds for TTL ages. */
  now?: number
}

/** Resolves the argument and scans the checkpoint, with a progress bar when a person watches. */
export async function loadCheckpoint(argument: string, options: ReadOptions): Promise<{ summary: CheckpointSummary; problems: Problem[] }> {
  const target = await resolveTarget(argument, options)
  const bar = progressBar('reading', options.json !== true)
  try {
    return await scanCheckpoint(target, { now: options.now, onProgress: (done, total) => bar.update(done, total) })
  } finally {
    bar.stop()
    // An S3 storage's client keeps connections open, which would keep the process alive.
    await (target.storage as { destroy?: () => Promise<void> }).destroy?.()
  }
}

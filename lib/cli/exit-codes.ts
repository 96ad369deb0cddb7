/**
 * The CLI's exit codes: scripts tell a bad command line from a damaged checkpoint from files that
 * are gone without parsing messages.
 */
export const ExitCode = {
  ok: 0,
  /** Anything unexpected (an I/O error, a bug): the message says what. */
  failure: 1,
  /** The command line is wrong: unknown option, missing argument, a target that is not there. */
  usage: 2,
  /** The checkpoint is damaged: a checksum, size or format problem, key groups not covered once. */
  corrupt: 3,
  /** A file the checkpoint references is missing from its storage (checked before corruption). */
  missing: 4,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** An error the CLI reports as one line and ends with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/**
 * The command's error: a one-line message for stderr and the exit status.
 * Exit 2: usage errors and bad input. Exit 1: a fit that cannot succeed.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

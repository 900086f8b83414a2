import { NixociError } from "../errors.js";

/**
 * Ends a command that threw `err` as the CLI ends every command: a known error (NixociError) becomes
 * its message on stderr and its exit code, without a stack trace. Returns false for anything else
 * (a bug), which the caller rethrows.
 */
export function reportKnownError(err: unknown): boolean {
  if (!(err instanceof NixociError)) return false;
  process.stderr.write(err.message.startsWith("error:") ? `${err.message}\n` : `error: ${err.message}\n`);
  process.exitCode = err.exitCode;
  return true;
}

/** Runs `run`, ending a known error as {@link reportKnownError} does. */
export async function reportErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!reportKnownError(err)) throw err;
  }
}

/**
 * Base of every error nixoci reports to a user. Subclasses carry the context
 * (position, store path, registry, HTTP status) in typed fields; `message` is
 * already the text a user should see, so the CLI prints it without a stack.
 */
export class NixociError extends Error {
  /** Process exit status when this error ends a command. */
  readonly exitCode: number = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong command-line usage: exit 2 like most Unix tools (and commander). */
export class UsageError extends NixociError {
  override readonly exitCode: number = 2;
}

/**
 * Errors raised by the evaluator's pure helpers (regex, JSON, TOML, flake
 * references). Their messages are the text Nix prints after "error: "; the
 * evaluator core adds the position and the "while evaluating …" trace.
 */
import { NixociError } from "../../errors.js";

/** `builtins.match`/`builtins.split` got a pattern std::regex (POSIX ERE) rejects. */
export class InvalidRegexError extends NixociError {
  constructor(
    readonly pattern: string,
    /** "space": the compiled automaton exceeds libstdc++'s state limit (Nix words this differently). */
    readonly kind: "syntax" | "space",
    /** Which rule of the ERE grammar was broken; for debugging, not shown by Nix. */
    readonly detail: string,
  ) {
    super(
      kind === "space"
        ? `memory limit exceeded by regular expression '${pattern}'`
        : `invalid regular expression '${pattern}'`,
    );
  }
}

/** `builtins.fromJSON` rejected its input. `message` is Nix's wording. */
export class JsonParseError extends NixociError {
  constructor(message: string, readonly offset?: number) {
    super(message);
  }
}

/** `builtins.fromTOML` rejected its input. */
export class TomlParseError extends NixociError {}

/** A flake reference that Nix would refuse to parse. */
export class FlakeRefError extends NixociError {
  constructor(message: string, readonly ref: string) {
    super(message);
  }
}

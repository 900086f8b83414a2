import { NixociError } from "../../errors.js";

/** A hash string that Nix would reject (wrong length, bad digit, unknown algorithm). */
export class BadHashError extends NixociError {}

/** A store path or store path name that Nix would reject. */
export class BadStorePathError extends NixociError {
  constructor(
    message: string,
    /** The offending path or name, as given. */
    readonly path: string,
  ) {
    super(message);
  }
}

/** Malformed input in a byte- or text-oriented wire format; `offset` is where parsing stopped. */
export class FormatParseError extends NixociError {
  constructor(
    /** Which format: "derivation", "nar", ... */
    readonly format: string,
    readonly detail: string,
    /** Byte offset (or character offset for text formats) of the problem. */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`malformed ${format} at byte ${offset}: ${detail}`, options);
  }
}

/** Malformed derivation ATerm text. */
export class DerivationParseError extends FormatParseError {
  constructor(detail: string, offset: number, readonly drvPath?: string) {
    super(drvPath ? `derivation '${drvPath}'` : "derivation", detail, offset);
  }
}

/** A derivation that parses but is not well-formed (mixed output kinds, missing FOD info). */
export class InvalidDerivationError extends NixociError {}

/** Malformed NAR stream. */
export class NarParseError extends FormatParseError {
  constructor(detail: string, offset: number, options?: { cause?: unknown }) {
    super("NAR", detail, offset, options);
  }
}

/** A file system object that cannot be put in a NAR (sockets, devices, ...). */
export class NarUnsupportedFileError extends NixociError {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** Malformed .narinfo text; `line` is 1-based. */
export class NarInfoParseError extends NixociError {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly source?: string,
  ) {
    super(`${source ? `narinfo '${source}'` : "narinfo"} line ${line}: ${detail}`);
  }
}

/** Malformed signing key or signature. */
export class SignatureKeyError extends NixociError {}

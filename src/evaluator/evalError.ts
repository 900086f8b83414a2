/**
 * Evaluation errors, shaped like Nix's: a message, an optional position, and
 * trace frames ("while evaluating the attribute 'x'") added while unwinding.
 * Messages are byte strings (see values.ts), like everything the evaluator prints.
 */
import { NixociError } from "../errors.js";
import type { Pos } from "./ast.js";

export interface TraceFrame {
  readonly message: string;
  readonly pos?: Pos;
  /** Printed even where the trace is cut short (Nix's TracePrint::Always). */
  readonly always?: boolean;
}

/** What Nix prints of an error or a warning: a message, where, and the frames that led there. */
export interface ErrorInfo {
  readonly message: string;
  readonly pos?: Pos;
  /** From innermost to outermost. */
  readonly frames: readonly TraceFrame[];
  readonly suggestions?: readonly string[];
}

/** A warning with a position and frames (Nix's logWarning of an ErrorInfo), printed as errors are. */
export class EvalWarning implements ErrorInfo {
  readonly frames: TraceFrame[] = [];
  constructor(
    readonly message: string,
    readonly pos?: Pos,
  ) {}

  addTrace(message: string, pos?: Pos): this {
    this.frames.push({ message, pos });
    return this;
  }
}

export class EvalError extends NixociError implements ErrorInfo {
  /** Frames from innermost to outermost. */
  readonly frames: TraceFrame[] = [];
  /** Names to offer after the message ("Did you mean …?"). */
  suggestions?: string[];

  constructor(
    message: string,
    public pos?: Pos,
  ) {
    super(message);
  }

  /** The same error with its frames so far, to throw again without the new frames reaching this one. */
  copy(): EvalError {
    const c = new (this.constructor as new (message: string, pos?: Pos) => EvalError)(this.message, this.pos);
    c.frames.push(...this.frames);
    c.suggestions = this.suggestions;
    if (this instanceof RecursionError) (c as RecursionError).blackhole = this.blackhole;
    return c;
  }

  /** `always`: printed also where the trace is cut short (Nix's TracePrint::Always). */
  addTrace(message: string, pos?: Pos, always?: boolean): this {
    this.frames.push(always === true ? { message, pos, always } : { message, pos });
    return this;
  }

  /**
   * Drops the position `pos` (the very object) from the frames, and the "from call site" frames
   * at it: what a builtin did at its own call site happened at no position in Nix.
   */
  unposition(pos: Pos): void {
    const kept = this.frames.filter((f) => !(f.pos === pos && f.message === "from call site"));
    this.frames.length = 0;
    for (const f of kept) this.frames.push(f.pos === pos ? { message: f.message, always: f.always } : f);
  }
}

/** `throw`: catchable by tryEval. */
export class ThrownError extends EvalError {}

/** A failed `assert`: catchable by tryEval. */
export class AssertionError extends EvalError {}

/**
 * Nix's UsageError raised while evaluating (an unknown hash algorithm or format name): not
 * catchable by tryEval, and the command follows it with the pointer to its --help.
 */
export class EvalUsageError extends EvalError {}

/** `abort`: not catchable. */
export class AbortError extends EvalError {}

/** Infinite recursion (black hole) or call depth exceeded. */
export class RecursionError extends EvalError {
  /** For infinite recursion: the value found under evaluation (a thunk), to mark where the cycle starts. */
  blackhole?: object;
}

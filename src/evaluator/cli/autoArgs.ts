/**
 * The command line's automatic arguments (Nix's MixEvalArgs): what a top-level function is
 * called with. Kept apart from the evaluator so that reading flags loads none of it.
 */

import { readFileSync } from "node:fs";

/**
 * One --arg NAME EXPR, --argstr NAME STR (`isString`), --arg-from-file NAME PATH (`fromFile`: the
 * file's contents as a string) or --arg-from-stdin NAME (`fromStdin`: stdin's, as a string).
 */
export interface AutoArg {
  name: string;
  value: string;
  isString: boolean;
  fromFile?: boolean;
  /** `value` is what stdin held (read with the flags), a byte string. */
  fromStdin?: boolean;
}

/** The auto-argument flags, by the number of words after them. */
const AUTO_ARG_FLAGS: ReadonlyMap<string, number> = new Map([["--arg", 2], ["--argstr", 2], ["--arg-from-file", 2], ["--arg-from-stdin", 1]]);

/**
 * If args[i] is an auto-argument flag (Nix's MixEvalArgs), adds it to `out` and says how many
 * words it took; 0 otherwise.
 */
export function takeAutoArg(args: readonly string[], i: number, out: AutoArg[], fail: (message: string) => never): number {
  const a = args[i]!;
  const n = AUTO_ARG_FLAGS.get(a);
  if (n === undefined) return 0;
  if (i + n >= args.length) fail(`flag '${a}' requires ${n} argument(s)`);
  const name = args[i + 1]!;
  // Read now, while the flags are: the options then hold it, also for a re-run on a bigger stack.
  if (a === "--arg-from-stdin") out.push({ name, value: readFileSync(0, "latin1"), isString: true, fromStdin: true });
  else if (a === "--arg-from-file") out.push({ name, value: args[i + 2]!, isString: true, fromFile: true });
  else out.push({ name, value: args[i + 2]!, isString: a === "--argstr" });
  return n + 1;
}

import { execFileSync } from "node:child_process";
import { Evaluator } from "../../../src/evaluator/evaluator.js";
import { MemoryStore } from "../../../src/evaluator/memoryStore.js";
import { printValue } from "../../../src/evaluator/print.js";
import { STRING_FILE, toBytes } from "../../../src/evaluator/values.js";
import { EvalError } from "../../../src/evaluator/evalError.js";
import { filterAnsiEscapes } from "../../../src/evaluator/cli/logText.js";

/** Evaluates like `nix-instantiate --eval --strict -E expr`, in-process; returns stdout text or throws. */
export function evalStrict(expr: string, traces: string[] = [], experimentalFeatures: readonly string[] = []): string {
  const ev = new Evaluator({ store: new MemoryStore(), env: { HOME: "/homeless" }, traceSink: (l) => traces.push(l), experimentalFeatures });
  const v = ev.evalExprText(toBytes(expr), STRING_FILE, toBytes(process.cwd()));
  ev.forceDeep(v);
  return Buffer.from(printValue(ev, v), "latin1").toString("utf8");
}

/** The error message our evaluator reports (first line, without "error: "), as printed to a pipe. */
export function evalError(expr: string, maxCallDepth?: number): string {
  const ev = new Evaluator({ store: new MemoryStore(), env: {} });
  if (maxCallDepth !== undefined) ev.maxCallDepth = maxCallDepth;
  try {
    ev.forceDeep(ev.evalExprText(toBytes(expr), STRING_FILE, "/"));
  } catch (err) {
    // The message itself: printed, it follows the trace frames Nix shows also without --show-trace.
    // Without the colour escapes Nix puts around parts of some messages, as printed to a pipe.
    if (err instanceof EvalError) return filterAnsiEscapes(err.message, false).split("\n")[0]!;
    if (err instanceof Error) return err.message.split("\n")[0]!.replace(/^error: /, "");
    throw err;
  }
  throw new Error(`no error evaluating ${expr}`);
}

/** Nix 2.8's answer (stdout without the final newline), or its error's first line. */
export function nixEval(expr: string, flags: string[] = ["--strict"]): string {
  try {
    return execFileSync("nix-instantiate", ["--eval", ...flags, "-E", expr], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HOME: "/homeless", NIX_PATH: "" },
    }).replace(/\n$/, "");
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? "");
    return `ERROR ${stderr.split("\n")[0]!.replace(/^error: /, "")}`;
  }
}

// A lazy `n - 1` of known safe ints is computed ahead (compile.ts speculate) but must stay a thunk
// to everything that looks: printed unforced as <CODE>, as Nix does, and overflow or division by
// zero left to the ordinary (lazy) path. Checked against Nix 2.8, with and without --strict.
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { Evaluator } from "../../../src/evaluator/evaluator.js";
import { MemoryStore } from "../../../src/evaluator/memoryStore.js";
import { printValue } from "../../../src/evaluator/print.js";
import { STRING_FILE, toBytes } from "../../../src/evaluator/values.js";
import { evalStrict, nixEval } from "./helpers.js";

/** `nix-instantiate --eval -E expr` (not strict), in-process. */
function evalLazy(expr: string): string {
  const ev = new Evaluator({ store: new MemoryStore(), env: { HOME: "/homeless" } });
  const v = ev.evalExprText(toBytes(expr), STRING_FILE, toBytes(process.cwd()));
  return Buffer.from(printValue(ev, ev.force(v)), "latin1").toString("utf8");
}

const cases: string[] = [
  "let x = 1; f = y: { inherit y; }; in f (x + 2)",
  "let x = 5; l = [ (x - 1) (x / 2) (x * x) (x < 7) ]; in builtins.seq (builtins.elemAt l 1) l",
  "let x = 9007199254740991; in [ (x + 1) (x * 2) (x - (-5)) (x / 2) ]",
  "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in [ (fib 15) (let y = fib 5; in { inherit y; }) ]",
  "let __sub = a: b: a + b; x = 3; in [ (x - 1) { y = x - 1; } ]",
  "let f = n: { v = n - 1; w = n; }; in builtins.seq (f 3).v [ (f 3) (f 4).v ]",
];

// Forced, these fail (division by zero; Nix 2.8 wraps on overflow where we report it): unforced only.
const lazyOnly: string[] = [
  "let x = 5; in { a = x - 1; b = x / 0; c = builtins.sub x 1; d = x; }",
  "let x = 9223372036854775807; f = y: { inherit y; }; in [ (f (x + 1)) (f (x - 1)) ]",
];

describe.skipIf(!haveTools("nix-instantiate"))("int arithmetic computed ahead, vs Nix 2.8", () => {
  it.each(cases)("%s", (expr) => {
    expect(evalLazy(expr)).toBe(nixEval(expr, []));
    expect(evalStrict(expr)).toBe(nixEval(expr));
  });
  it.each(lazyOnly)("%s", (expr) => {
    expect(evalLazy(expr)).toBe(nixEval(expr, []));
  });
});

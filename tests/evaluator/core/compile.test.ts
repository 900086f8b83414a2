// The closure compiler (compile.ts): deep expressions compile without deep JS recursion, and
// the shapes it specialises (curried calls, `a + b`, selects, strict builtins) behave as in Nix 2.8.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { Evaluator } from "../../../src/evaluator/evaluator.js";
import { MemoryStore } from "../../../src/evaluator/memoryStore.js";
import { PrimOp } from "../../../src/evaluator/values.js";
import { evalStrict, nixEval } from "./helpers.js";

const cases: string[] = [
  "let f = a: b: c: [ a b c ]; g = f 1; in [ (f 1 2 3) (g 2 3) ((g 2) 3) (builtins.isFunction (f 1 2)) ]",
  "let f = a: { x ? a }: b: [ a x b ]; in [ (f 1 { } 2) (f 1 { x = 5; } 3) ]",
  "let f = a: b: a; in builtins.foldl' (acc: x: f acc x) 0 [ 1 2 3 ]",
  "[ (1 + 2) (1 + 2.5) (1.5 + 2) (\"a\" + \"b\") (./a + \"b\") (1 + 2 + 3) (\"${\"x\"}y\") ]",
  "let s = { a = { b = 1; }; }; in [ s.a.b (s.a.c or 2) (s.x or s.a.b) (s ? a.b) ]",
  "[ (builtins.sub 5 3) (builtins.lessThan 1 2) (builtins.add 1 2.0) (builtins.div 7 (-2)) ]",
  "let x = 5; in with { x = 1; y = 2; }; with { z = 3; }; [ x y z ]",
  "[ (true && false) (false || true) (false -> false) (!true) ([ 1 ] ++ [ 2 ]) ({ a = 1; } // { b = 2; }) ]",
  "let e = builtins.tryEval (let x = throw \"no\"; in x + 1); in e",
];
const errors: string[] = [
  "1 + \"a\"",
  "\"a\" + 1",
  "(a: b: a) 1 2 3",
  "let s = { a = 1; }; in s.b",
  "let s = 1; in s.b",
  "if 1 then 2 else 3",
  "!1",
  "1 && true",
  "[ ] // { }",
  "{ } ++ [ ]",
  "let x = x; in x",
  "let f = { a }: a; in f { }",
];

describe.skipIf(!haveTools("nix-instantiate"))("compiled expressions vs Nix 2.8", () => {
  it.each(cases)("%s", (expr) => {
    expect(evalStrict(expr)).toBe(nixEval(expr));
  });
  it.each(errors)("error: %s", (expr) => {
    let ours: string;
    try {
      ours = evalStrict(expr);
    } catch (err) {
      ours = `ERROR ${String((err as Error).message).split("\n")[0]}`;
    }
    expect(ours.startsWith("ERROR")).toBe(true);
    expect(nixEval(expr).startsWith("ERROR")).toBe(true);
  });
});

// Evaluation recurses as deep as the expression (on the CLI's big stack); compiling must not add
// a recursion of its own on top: the built CLI (dist/) evaluates these.
const cli = new URL("../../../bin/nixoci.js", import.meta.url).pathname;
describe("deep expressions", () => {
  it("compiles and evaluates 20000 nested additions and 3000 nested lists", () => {
    const n = 20000;
    const run = (expr: string) => spawnSync("node", [cli, "instantiate", "--eval", "--strict", "-E", expr], { encoding: "utf8" });
    expect(run("1 + (".repeat(n) + "0" + ")".repeat(n)).stdout).toBe(`${n}\n`);
    expect(run("builtins.length [ (".repeat(3000) + "1" + ") ]".repeat(3000)).stdout).toBe("1\n");
  });
});

describe("strict builtins", () => {
  it("keep their argument-array-free fast path through every wrapper (pure mode too)", () => {
    for (const pureEval of [false, true]) {
      const ev = new Evaluator({ store: new MemoryStore(), env: {}, pureEval });
      for (const name of ["add", "sub", "mul", "div", "lessThan"]) {
        const op = ev.builtins.get(name);
        expect(op instanceof PrimOp && op.strict && op.fn2 !== undefined, name).toBe(true);
      }
    }
  });
});

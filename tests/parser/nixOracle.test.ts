// Nix 2.8 as the oracle for what our trees mean: each expression of our own
// corpus and our `--parse` rendering of it must evaluate to the same value
// with the real nix-instantiate (one process for all originals, one for all renderings).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bind } from "../../src/evaluator/bind.js";
import { parse } from "../../src/evaluator/parser.js";
import { parseOnlyGlobalNames } from "../../src/evaluator/parseOnlyGlobals.js";
import { printAst } from "../../src/evaluator/printAst.js";
import { haveTools } from "../helpers/tools.js";

const D = "$";
const corpus = [
  "1 + 2 * 3 - 4 / 2",
  "-2 - -3 * 4",
  "10 / 3 * 3 + 10 - 3 - 2",
  "[ (1 < 2) (2 > 1) (1 <= 1) (2 >= 3) (!true || false && true) (true -> false) ]",
  "{ a = 1; } // { b = 2; } // { a = 3; }",
  "[ 1 ] ++ [ 2 ] ++ [ [ 3 ] ]",
  "let x = { a.b = 1; a.c = 2; d = { e = 3; }; d.f = 4; }; in x",
  "let a = 1; b = { c = 2; }; in { inherit a; inherit (b) c; d = a + b.c; }",
  "rec { a = 1; b = a + 1; c = { d = b; }; }",
  "let { body = x + y; x = 1; y = 2; }",
  "with { a = 1; b = 2; }; with { b = 3; }; [ a b ]",
  "let a = 5; in with { a = 1; }; a",
  "({ a, b ? a + 1, ... }@args: [ a b (args.c or 0) ]) { a = 1; c = 3; }",
  "(args@{ x ? 2 }: x * 2) { }",
  "(f: f (f 1)) (x: x * 3)",
  "let f = a: b: a - b; in f 10 3",
  "{ a = { b = 1; }; }.a.b or 7",
  "{ a = 1; }.x.y or ({ }.z or 8)",
  "{ a.b = 1; } ? a.b",
  "[ ({ a = 1; } ? a) ({ } ? a.b) ]",
  `let s = "b"; in { a = 1; ${D}{s} = 2; "c${D}{s}" = 3; }`,
  `"a\\nb\\t\\"c\\\\ \\${D}{x} $${D}{y} ${D}{toString 1}"`,
  `"${D}{"a"}${D}{"b" + "c"}d"`,
  `''\n  indented\n    more\n  ${D}{"x"} ''${D} ''' ''\\n end\n''`,
  `''  a\n  b''`,
  `''\n\ta\n''`,
  `[ ''${D}'' ''x${D}'' "${D}" ]`,
  "if 1 < 2 then \"yes\" else \"no\"",
  "assert 1 == 1; \"ok\"",
  "let or = 5; in (x: x * 2) or",
  "builtins.map (x: x + 1) [ 1 2 3 ]",
  "builtins.foldl' (a: b: a + b) 0 [ 1 2 3 ]",
  "[ 1.5 0.25 1.e3 .5 2.5E-2 ]",
  "[ http://example.org/a?b=c x:y ]",
  "[ (1 + 2.5) (\"a\" + \"b\") ]",
  "let a = { x = 1; }; in [ a.x (a // { y = 2; }).y ]",
  "{ x = { a = 1; }; x = { b = 2; }; }",
  `let ${D}{"a"} = 1; in a`,
  "{ inherit (builtins) head tail; }.head [ 5 6 ]",
  "(x: y: x) 1 2",
  "[ (-1) (- 2) (3 - -4) ]",
  "let f = x: -x; in f 3",
  "[ (1 == 1.0) ([1] == [1]) ({} != { a = 1; }) ]",
];

describe.skipIf(!haveTools("nix-instantiate"))("--parse rendering evaluates like the original (Nix 2.8)", () => {
  it("matches for the whole corpus", () => {
    const cwd = mkdtempSync(join(tmpdir(), "nixoci-parse-"));
    const rendered = corpus.map((src) => {
      const e = parse({ file: join(cwd, "t.nix"), text: src }, { basePath: cwd, home: "/home/u" });
      bind(e, parseOnlyGlobalNames, src);
      return printAst(e);
    });
    const evalList = (items: string[]) =>
      execFileSync("nix-instantiate", ["--eval", "--strict", "-E", `[ ${items.map((x) => `(${x})`).join("\n")} ]`], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, HOME: "/home/u" },
      });
    const want = evalList(corpus);
    const got = evalList(rendered);
    expect(got).toBe(want);
  });
});

// Nix's symbol order (src/evaluator/symbols.ts): where Nix walks a set's attributes or a lambda's
// formals in the order their names were first interned, the first failing one is reported and
// traces come in that order. Each case says what current Nix's symbol table gives; where Nix 2.8
// (which compared symbols by address, mostly the same order) is installed, it is asked too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalError, evalStrict, nixEval } from "./helpers.js";

/** [expression, the error message --strict ends with, true if Nix 2.8's address order differs] */
const failing: [string, string, boolean?][] = [
  // Names in the order the parser meets them, not byte order.
  ['{ b = throw "b"; a = throw "a"; }', "b"],
  // EvalState's static symbols come first… (Nix 2.8 allocated `name` at a lower address)
  ['{ a = throw "a"; name = throw "name"; outPath = throw "outPath"; }', "outPath", true],
  // …then the builtins, as registered (abort before map), before any name of the program.
  ['{ zq = throw "zq"; map = throw "map"; }', "map"],
  ['{ map = throw "map"; abort = throw "abort"; }', "abort"],
  // A lambda's argument is interned after its body (bison reduces `y: body` last).
  ["let f = y: z: { z = throw \"z\"; y = throw \"y\"; }; in f 1 2", "z"],
  // Dynamic names when evaluated, in order.
  ['let n = x: x; in { ${n "b"} = throw "b"; ${n "a"} = throw "a"; }', "b"],
  // listToAttrs interns names in list order.
  ['builtins.listToAttrs [ { name = "nb"; value = throw "nb"; } { name = "na"; value = throw "na"; } ]', "nb"],
  // Builtins that look a name up intern it.
  ['builtins.seq (builtins.hasAttr "kz" { }) (builtins.listToAttrs [ { name = "ka"; value = throw "ka"; } { name = "kz"; value = throw "kz"; } ])', "kz"],
  ['builtins.seq (builtins.tryEval 1) (builtins.listToAttrs [ { name = "rz"; value = throw "rz"; } { name = "success"; value = throw "success"; } ])', "success"],
  // fromJSON interns keys in document order.
  ["let j = builtins.fromJSON ''{\"zz\": 1, \"aa\": 2}''; in builtins.seq j (builtins.listToAttrs [ { name = \"aa\"; value = throw \"aa\"; } { name = \"zz\"; value = throw \"zz\"; } ])", "zz"],
  // `==` walks both sets in symbol order, comparing values until the names differ: here `q`
  // (first interned) is compared, and fails, before `a` and `b` are found to differ.
  ['{ q = throw "q"; a = 1; } == { q = 1; b = 1; }', "q"],
  ['{ b = throw "b"; a = throw "a"; } == { b = 1; a = 3; }', "b"],
  // The first missing formal, the first unexpected argument.
  ["({ b, a }: 1) { }", "function 'anonymous lambda' called without required argument 'b'"],
  ["({ b ? 1 }: 1) { z = 1; y = 2; }", "function 'anonymous lambda' called with unexpected argument 'z'"],
];

describe("symbol order (current Nix's)", () => {
  it.each(failing)("%s fails with %s", (expr, message) => {
    expect(evalError(expr)).toBe(message);
  });

  it("traces of --strict come in symbol order", () => {
    const traces: string[] = [];
    evalStrict('{ zz = builtins.trace "zz" 1; a = builtins.trace "a" 2; type = builtins.trace "type" 3; }', traces);
    expect(traces).toEqual(["trace: type", "trace: zz", "trace: a"]);
  });

  it("a name Nix's own derivation.nix interns at start-up (x) comes before the program's", () => {
    // Nix 2.8 can say "y" here: it ordered symbols by address, and allocation reuses memory.
    expect(evalError('builtins.deepSeq { y = throw "y"; x = throw "x"; } 1')).toBe("x");
  });

  const dir = mkdtempSync(join(tmpdir(), "nixoci-symbols-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("readDir interns a directory's names sorted", () => {
    writeFileSync(join(dir, "rb"), "");
    writeFileSync(join(dir, "ra"), "");
    const expr = `builtins.seq (builtins.readDir ${dir}) (builtins.listToAttrs [ { name = "rb"; value = throw "rb"; } { name = "ra"; value = throw "ra"; } ])`;
    expect(evalError(expr)).toBe("ra");
  });
});

describe.skipIf(!haveTools("nix-instantiate"))("symbol order vs nix-instantiate 2.8", () => {
  // Nix 2.8 words the formals' errors differently.
  it.each(failing.filter(([, m, differs]) => !differs && !m.startsWith("function ")))("%s", (expr, message) => {
    expect(nixEval(expr)).toBe(`ERROR ${message}`);
  });
  it.each(failing.filter(([, m]) => m.startsWith("function ")))("%s names the same argument", (expr, message) => {
    const argument = (m: string) => /argument '([^']*)'$/.exec(m)?.[1];
    expect(argument(nixEval(expr))).toBe(argument(message));
  });
});

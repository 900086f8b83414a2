// Robustness: mutated inputs must end in an Expr or a ParseError (no other
// exception, no hang), and very deep nesting must not overflow the JS stack.
import { describe, expect, it } from "vitest";
import { bind } from "../../src/evaluator/bind.js";
import { ParseError } from "../../src/evaluator/parseErrors.js";
import { parse } from "../../src/evaluator/parser.js";
import { parseOnlyGlobalNames } from "../../src/evaluator/parseOnlyGlobals.js";
import { printAst } from "../../src/evaluator/printAst.js";

const seeds = [
  "{ a, b ? 1, ... }@args: let c = a + b; in rec { d = c * 2; e = d - 1; inherit (args) f; }",
  'with builtins; map (x: "${toString x}-y") [ 1 2.5 3 ]',
  "''\n  line ${a}\n    ''$ '''x ''\\n\n''",
  "a.b.c or (d ? e) -> !f || g && h == i // { j = [ ./p ~/q <r> http://s.t ]; }",
  "if a < b then assert c; d else let { body = e; } ++ [ (f g).\"h\".${i} ]",
  "x: y: x ++ y // { inherit x; ${y} = x/${y}/z; \"q r\" = -1.5e3; } # comment\n/* block */",
  '"esc \\n \\t \\${ $${x} ${"nested ${"deep"}"}"',
];

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fragments = ["{", "}", "(", ")", "[", "]", "${", '"', "''", ";", ":", "@", ".", "...", "=", "?", "or", "let", "in",
  "rec", "with", "inherit", "if", "then", "else", "assert", "/", "./a", "~/", "<p>", "#", "/*", "*/", "\n", "\r", "\\", "$", "'", "-", "!", "1", "1.5", "x"];

function mutate(src: string, rand: () => number): string {
  let s = src;
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = Math.floor(rand() * 5);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 3));
    else if (op === 1) s = s.slice(0, at) + fragments[Math.floor(rand() * fragments.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at);
    else if (op === 3) {
      const b = Math.floor(rand() * s.length);
      const [x, y] = at < b ? [at, b] : [b, at];
      s = s.slice(0, x) + s.slice(y, y + 3) + s.slice(x + 3, y) + s.slice(x, x + 3) + s.slice(y + 3);
    } else s = s.slice(0, at) + s.slice(at, at + 8) + s.slice(at);
  }
  return s;
}

describe("fuzz", () => {
  it("ends every mutated input in an Expr or a ParseError", () => {
    const rand = prng(20240611);
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 12000; i++) {
      const text = mutate(seeds[i % seeds.length]!, rand);
      try {
        const e = parse({ file: "/f.nix", text }, { home: "/h" });
        bind(e, [...parseOnlyGlobalNames, ..."abcdefghijklmnopqrstuvwxyz"], text);
        printAst(e);
        ok++;
      } catch (err) {
        if (!(err instanceof ParseError)) throw new Error(`input ${JSON.stringify(text)} threw ${String(err)}`);
        expect(err.message.startsWith("error: ")).toBe(true);
        failed++;
      }
    }
    // Both outcomes must occur, or the mutations are not exercising anything.
    expect(ok).toBeGreaterThan(500);
    expect(failed).toBeGreaterThan(500);
  });

  it.each([
    ["list", "[".repeat(100000) + "]".repeat(100000)],
    ["parens", "(".repeat(100000) + "1" + ")".repeat(100000)],
    ["lambdas", "x: ".repeat(100000) + "x"],
    ["plus", "1 + ".repeat(100000) + "1"],
    ["attrs", "{a=".repeat(50000) + "1" + ";}".repeat(50000)],
    ["select", "{}" + ".a".repeat(100000)],
    ["lets", "let a = 1; in ".repeat(50000) + "a"],
    ["strings", '"${'.repeat(50000) + '"x"' + '}"'.repeat(50000)],
  ])("handles 1e5-deep nesting: %s", (_name, text) => {
    const e = parse({ file: "/f.nix", text });
    bind(e, ["a"], text);
    expect(printAst(e).length).toBeGreaterThan(0);
  });
});

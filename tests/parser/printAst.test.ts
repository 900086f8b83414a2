// `--parse` output of our own expressions. Expected texts follow current Nix's
// Expr::show; those that Nix 2.8 prints the same way were checked with
// `nix-instantiate --parse` (2.8 differs only in formals order and `inherit (e)`).
import { describe, expect, it } from "vitest";
import { formatFloat, printIdentifier, printLiteralString } from "../../src/evaluator/printAst.js";
import { printed } from "./helpers.js";

const cases: [string, string][] = [
  // precedence and associativity
  ["a: b: a - b - c", "(a: (b: (__sub (__sub a b) c)))"],
  ["1 + 2 * 3 - 4 / 5", "(__sub (1 + (__mul 2 3)) (__div 4 5))"],
  ["a -> b -> c || d && e", "(a -> (b -> (c || (d && e))))"],
  ["!a == b", "((! a) == b)"],
  ["!a && b", "((! a) && b)"],
  ["a ++ b ++ c // d // e", "((a ++ (b ++ c)) // (d // e))"],
  ["a + b ++ c", "(a + (b ++ c))"],
  ["a // b + c", "(a // (b + c))"],
  ["-1 - -2", "(__sub (__sub 0 1) (__sub 0 2))"],
  ["- a b", "(__sub 0 (a b))"],
  ["-a.b", "(__sub 0 (a).b)"],
  ["a < b || a > b || a <= b || a >= b", "((((__lessThan a b) || (__lessThan b a)) || (! (__lessThan b a))) || (! (__lessThan a b)))"],
  ["a == b && c != d", "((a == b) && (c != d))"],
  ["x.y.z or 1 ? w", "(((x).y.z or (1)) ? w)"],
  ["a ? b && c", "(((a) ? b) && c)"],
  ["f x.y or z", "(f (x).y or (z))"],
  ["f a b (c d) e", "(f a b (c d) e)"],
  ["(f a) b", "(f a b)"],
  ["(-a) b", "(__sub 0 a b)"],
  ["x ? a.${b}.\"c\"", "((x) ? a.\"${b}\".c)"],
  ["a.b.c", "(a).b.c"],
  ["a.\"b c\".${d}", "(a).\"b c\".\"${d}\""],
  ["{ \"a.b\" = 1; }.${\"a.b\"}", "({ \"a.b\" = 1; }).\"a.b\""],
  ["{ or = 1; }.or", "({ or = 1; }).or"],
  ["x.or", "(x).or"],
  // attribute sets
  ["{ }", "{ }"],
  ["{ a.b.c = 1; a.b.d = 2; a.e = 3; }", "{ a = { b = { c = 1; d = 2; }; e = 3; }; }"],
  ["{ b = 1; a = 2; \"b c\" = 3; \"\" = 4; \"if\" = 5; }", '{ "" = 4; a = 2; b = 1; "b c" = 3; "if" = 5; }'],
  ["{ ${a} = 1; \"${b}\" = 2; ${\"c\"} = 3; }", '{ c = 3; "${a}" = 1; "${(b)}" = 2; }'],
  ["{ a.${b}.c = 1; }", '{ a = { "${b}" = { c = 1; }; }; }'],
  ["{ x = { a = 1; }; x = { b = 2; }; }", "{ x = { a = 1; b = 2; }; }"],
  ["rec { a = 1; b = a; }", "rec { a = 1; b = a; }"],
  ["let { body = x; x = 1; }", "(rec { body = x; x = 1; }).body"],
  ["let inherit (x) a b; inherit c; in a", "(let inherit c; inherit (x) a b; in a)"],
  ["{ inherit (a) x; inherit (b) y; inherit (a) z; inherit w \"v\"; }", "{ inherit v w; inherit (a) x; inherit (b) y; inherit (a) z; }"],
  ["let a = 1; b = x: x; in a", "(let a = 1; b = (x: x); in a)"],
  // other forms
  ["with a; with b; c", "(with a; (with b; c))"],
  ["assert a; b", "assert a; b"],
  ["if a then b else if c then d else e", "(if a then b else (if c then d else e))"],
  ["{ x ? 1, y, ... }@args: x", "({ x ? 1, y, ... } @ args: x)"],
  ["args@{ y, x }: args", "({ x, y } @ args: args)"],
  ["args@{ }: args", "({  } @ args: args)"],
  ["{ ... }: 1", "({ ... }: 1)"],
  ["{ a, }: a", "({ a }: a)"],
  ["[ ]", "[ ]"],
  ["[ 1 2.5 \"s\" ./p /q <nixpkgs> http://u.rl ~/h ]", '[ (1) (2.5) ("s") (/work/p) (/q) ((__findFile __nixPath "nixpkgs")) ("http://u.rl") (/home/u/h) ]'],
  ["[ a/b ../c/./d/../e ]", "[ (/work/a/b) (/c/e) ]"],
  ["a/${b}c/${d}", '(/work/a/ + b + "c/" + d)'],
  ["a/b/${c}/d", '(/work/a/b/ + c + "/d")'],
  ["./${x}", "(/work/ + x)"],
  ["/${x}.nix", '(/ + x + ".nix")'],
  ["~/${x}", "(/home/u/ + x)"],
  ["<a/b.c>", '(__findFile __nixPath "a/b.c")'],
  ['"${a}b${c}"', '(a + "b" + c)'],
  ['"${a}"', "(a)"],
  ["''a${b}c''", '("a" + b + "c")'],
  ['"a\\nb\\t\\"\\\\ \\${x} $${y}"', '"a\\nb\\t\\"\\\\ \\${x} $\\${y}"'],
  ["__curPos", "__curPos"],
  ["{ x = __curPos; }", "{ x = __curPos; }"],
  // numbers
  ["9223372036854775807", "9223372036854775807"],
  [".5e-2", "0.005"],
  ["1.", "1"],
  ["0.1", "0.1"],
  ["100000000.0", "1e+08"],
  ["1.0e-5", "1e-05"],
  ["123456.7", "123457"],
  ["1.5E+3", "1500"],
  ["00.5", "(0 0.5)"],
];

describe("printAst (nix-instantiate --parse)", () => {
  it.each(cases)("%s", (src, expected) => {
    expect(printed(src)).toBe(expected);
  });

  it("prints identifiers and strings like Nix", () => {
    expect(printIdentifier("a-b'c_1")).toBe("a-b'c_1");
    expect(printIdentifier("1a")).toBe('"1a"');
    expect(printIdentifier("let")).toBe('"let"');
    expect(printIdentifier("or")).toBe("or");
    expect(printLiteralString("${x} $ \r\t")).toBe('"\\${x} $ \\r\\t"');
  });

  it("formats floats like C++ ostream (%g)", () => {
    expect(formatFloat(1e21)).toBe("1e+21");
    expect(formatFloat(0.0001)).toBe("0.0001");
    expect(formatFloat(0.00001234)).toBe("1.234e-05");
    expect(formatFloat(-2.5)).toBe("-2.5");
    expect(formatFloat(Infinity)).toBe("inf");
    expect(formatFloat(999999.5)).toBe("1e+06");
    // Exact ties round to even like printf (values checked with Nix 2.8's --parse).
    expect(formatFloat(1234565)).toBe("1.23456e+06");
    expect(formatFloat(1234575)).toBe("1.23458e+06");
    expect(formatFloat(1234555)).toBe("1.23456e+06");
    expect(formatFloat(100000.5)).toBe("100000");
  });
});

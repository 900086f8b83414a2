// Parse and bind errors of our own inputs, with the full text Nix prints.
// Syntax errors come from bison's tables for Nix's grammar; the others follow
// current Nix's parser (checked against Nix 2.8 where 2.8 behaves the same:
// 2.8 names tokens differently and reports `a.b` instead of `a` for
// `{ a = 1; a.b = 2; }`, and the inherit keyword instead of the name).
import { describe, expect, it } from "vitest";
import { ParseError, UndefinedVariableError } from "../../src/evaluator/parseErrors.js";
import { bind } from "../../src/evaluator/bind.js";
import { parse } from "../../src/evaluator/parser.js";
import { errorOf } from "./helpers.js";

const cases: [string, string][] = [
  ["{ a = 1; a = 2; }",
    "error: attribute 'a' already defined at «stdin»:1:3\n       at «stdin»:1:10:\n            1| { a = 1; a = 2; }\n             |          ^"],
  ["{ a.b = 1; a.b = 2; }",
    "error: attribute 'a.b' already defined at «stdin»:1:3\n       at «stdin»:1:12:\n            1| { a.b = 1; a.b = 2; }\n             |            ^"],
  ["{ a = 1; a.b = 2; }",
    "error: attribute 'a' already defined at «stdin»:1:3\n       at «stdin»:1:10:\n            1| { a = 1; a.b = 2; }\n             |          ^"],
  ["{ inherit a; a = 1; }",
    "error: attribute 'a' already defined at «stdin»:1:11\n       at «stdin»:1:14:\n            1| { inherit a; a = 1; }\n             |              ^"],
  ["let a = 1; inherit a; in a",
    "error: attribute 'a' already defined at «stdin»:1:5\n       at «stdin»:1:20:\n            1| let a = 1; inherit a; in a\n             |                    ^"],
  ["{ x, x }: x",
    "error: duplicate formal function argument 'x'\n       at «stdin»:1:6:\n            1| { x, x }: x\n             |      ^"],
  ["x@{ x }: x",
    "error: duplicate formal function argument 'x'\n       at «stdin»:1:1:\n            1| x@{ x }: x\n             | ^"],
  ["{ x }@x: x",
    "error: duplicate formal function argument 'x'\n       at «stdin»:1:1:\n            1| { x }@x: x\n             | ^"],
  ["let ${a} = 1; in 1",
    "error: dynamic attributes not allowed in let\n       at «stdin»:1:1:\n            1| let ${a} = 1; in 1\n             | ^"],
  ["{ inherit ${a}; }",
    "error: dynamic attributes not allowed in inherit\n       at «stdin»:1:11:\n            1| { inherit ${a}; }\n             |           ^"],
  ["{ inherit \"${a}\"; }",
    "error: dynamic attributes not allowed in inherit\n       at «stdin»:1:11:\n            1| { inherit \"${a}\"; }\n             |           ^"],
  ["x: y",
    "error: undefined variable 'y'\n       at «stdin»:1:4:\n            1| x: y\n             |    ^"],
  ["let a = b; in a",
    "error: undefined variable 'b'\n       at «stdin»:1:9:\n            1| let a = b; in a\n             |         ^"],
  ["rec { a = c; }",
    "error: undefined variable 'c'\n       at «stdin»:1:11:\n            1| rec { a = c; }\n             |           ^"],
  ["\"abc",
    "error: syntax error, unexpected end of file, expecting '\"'\n       at «stdin»:1:5:\n            1| \"abc\n             |     ^"],
  ["''abc",
    "error: syntax error, unexpected end of file, expecting indented string or '${' or end of an indented string\n       at «stdin»:1:6:\n            1| ''abc\n             |      ^"],
  ["(1",
    "error: syntax error, unexpected end of file, expecting ')'\n       at «stdin»:1:3:\n            1| (1\n             |   ^"],
  ["1 +",
    "error: syntax error, unexpected end of file\n       at «stdin»:1:4:\n            1| 1 +\n             |    ^"],
  ["{ a = 1 }",
    "error: syntax error, unexpected '}', expecting ';'\n       at «stdin»:1:9:\n            1| { a = 1 }\n             |         ^"],
  ["[ 1, 2 ]",
    "error: syntax error, unexpected ','\n       at «stdin»:1:4:\n            1| [ 1, 2 ]\n             |    ^"],
  ["a.b.",
    "error: syntax error, unexpected end of file, expecting identifier or 'or' or '${' or '\"'\n       at «stdin»:1:5:\n            1| a.b.\n             |     ^"],
  ["f x:",
    "error: syntax error, unexpected ':', expecting end of file\n       at «stdin»:1:4:\n            1| f x:\n             |    ^"],
  ["9223372036854775808",
    "error: invalid integer '9223372036854775808'\n       at «stdin»:1:1:\n            1| 9223372036854775808\n             | ^"],
  ["1e999.0",
    "error: undefined variable 'e999'\n       at «stdin»:1:2:\n            1| 1e999.0\n             |  ^"],
  ["1.0e400",
    "error: invalid float '1.0e400'\n       at «stdin»:1:1:\n            1| 1.0e400\n             | ^"],
  ["./a/ + 1",
    "error: path has a trailing slash\n       at «stdin»:1:5:\n            1| ./a/ + 1\n             |     ^"],
  ["~/a/ ",
    "error: path has a trailing slash\n       at «stdin»:1:5:\n            1| ~/a/\n             |     ^"],
  ["1 |> f",
    "error: experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it\n       at «stdin»:1:3:\n            1| 1 |> f\n             |   ^"],
  ["a $ b",
    "error: syntax error, unexpected invalid token, expecting end of file\n       at «stdin»:1:3:\n            1| a $ b\n             |   ^"],
  ["{ a = 1; } ? ${b",
    "error: syntax error, unexpected end of file, expecting '}'\n       at «stdin»:1:17:\n            1| { a = 1; } ? ${b\n             |                 ^"],
  ["{ } ? ./foo", "error: syntax error, unexpected path, expecting identifier or 'or' or '${' or '\"'\n       at «stdin»:1:7:\n            1| { } ? ./foo\n             |       ^"],
  // At end of input flex restores the location saved before the last path piece: the path's start.
  ["/x//y", "error: syntax error, unexpected end of path, expecting '${'\n       at «stdin»:1:1:\n            1| /x//y\n             | ^"],
];

describe("parse errors", () => {
  it.each(cases)("%j", (src, expected) => {
    expect(errorOf(src)).toBe(expected);
  });

  it("reports errors at the end of the text for a missing close", () => {
    expect(errorOf("(\n# no content\n")).toBe(
      "error: syntax error, unexpected end of file\n       at «stdin»:3:1:\n            2| # no content\n            3|\n             | ^",
    );
  });

  it("throws typed errors with the position", () => {
    let err: unknown;
    try {
      parse({ file: "/f.nix", text: "\n  { a = ; }" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).pos).toEqual({ file: "/f.nix", line: 2, column: 9 });
    expect((err as ParseError).bareMessage).toBe("syntax error, unexpected ';'");
  });

  it("reports undefined variables at bind time, with their own error class", () => {
    const e = parse({ file: "/f.nix", text: "a: zz" });
    let err: unknown;
    try {
      bind(e, ["builtins"], "a: zz");
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(UndefinedVariableError);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as UndefinedVariableError).variable).toBe("zz");
    expect((err as UndefinedVariableError).pos).toEqual({ file: "/f.nix", line: 1, column: 4 });
  });

  it("rejects `~/` paths in pure mode and rejects NUL bytes in strings", () => {
    expect(() => parse({ file: "/f.nix", text: "~/a" }, { pureEval: true })).toThrow(
      "the path '~/a' can not be resolved in pure mode",
    );
    expect(() => parse({ file: "/f.nix", text: '"a\u0000b"' })).toThrow(
      "cannot be represented as Nix string because it contains null bytes",
    );
  });

  it("accepts pipe operators when enabled", () => {
    expect(() => parse({ file: "/f.nix", text: "1 |> f" }, { pipeOperators: true })).not.toThrow();
  });
});

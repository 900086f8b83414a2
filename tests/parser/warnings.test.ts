// Parse-time diagnostics: Nix's lint settings and the "cursed or" deprecation
// warning, with the text Nix prints (format as in the suite's .err.exp files).
import { describe, expect, it } from "vitest";
import { parse, type ParseOptions } from "../../src/evaluator/parser.js";

function warningsOf(text: string, options: ParseOptions = {}): string[] {
  const out: string[] = [];
  parse({ file: "/src/w.nix", text }, { basePath: "/src", home: "/h", ...options, onWarning: (t) => out.push(t) });
  return out;
}

describe("parse-time warnings", () => {
  it("is silent by default", () => {
    expect(warningsOf("[ http://x.y /abs rel/p ~/h ]")).toEqual([]);
  });

  it("warns about URL literals", () => {
    expect(warningsOf("[\n  ftp://a.b/c\n]", { lintUrlLiterals: "warn" })).toEqual([
      'warning: URL literals are discouraged. Consider using a string literal "ftp://a.b/c" instead (lint-url-literals)\n' +
        "         at /src/w.nix:2:3:\n" +
        "              1| [\n" +
        "              2|   ftp://a.b/c\n" +
        "               |   ^\n" +
        "              3| ]",
    ]);
  });

  it("makes fatal lints errors", () => {
    expect(() => parse({ file: "/w.nix", text: "x: /etc/passwd" }, { lintAbsolutePathLiterals: "fatal" })).toThrow(
      "error: absolute path literals are not portable. Consider replacing path literal '/etc/passwd' by a string, relative path, or parameter (lint-absolute-path-literals)\n       at /w.nix:1:4:",
    );
    expect(() => parse({ file: "/w.nix", text: '"http://ok"' }, { lintUrlLiterals: "fatal" })).not.toThrow();
  });

  it("flags short relative paths, also before an interpolation, but not ./ or ../", () => {
    const w = warningsOf("[ a/b ./c ../d e/${\"f\"} ]", { lintShortPathLiterals: "warn" });
    expect(w.map((x) => x.split("\n")[0])).toEqual([
      "warning: relative path literal 'a/b' should be prefixed with '.' for clarity: './a/b' (lint-short-path-literals)",
      "warning: relative path literal 'e/' should be prefixed with '.' for clarity: './e/' (lint-short-path-literals)",
    ]);
  });

  it("flags home paths as absolute", () => {
    const w = warningsOf("~/x", { lintAbsolutePathLiterals: "warn" });
    expect(w[0]!.split("\n")[0]).toBe(
      "warning: home path literals are not portable. Consider replacing path literal '~/x' by a string, relative path, or parameter (lint-absolute-path-literals)",
    );
  });

  it("warns about `or` used as an identifier where its meaning will change", () => {
    const src = "let or = 1; f = x: x; in [\n  (f f or)\n  [ f or ]\n  { }.a or f or\n  (map or)\n  (f (f or))\n]";
    expect(warningsOf(src)).toEqual([
      "warning: at /src/w.nix:2:6: This expression uses `or` as an identifier in a way that will change in a future Nix release.\n" +
        "Wrap this entire expression in parentheses to preserve its current meaning:\n    (f or)\n" +
        "Give feedback at https://github.com/NixOS/nix/pull/11121",
      "warning: at /src/w.nix:3:5: This expression uses `or` as an identifier in a way that will change in a future Nix release.\n" +
        "Wrap this entire expression in parentheses to preserve its current meaning:\n    (f or)\n" +
        "Give feedback at https://github.com/NixOS/nix/pull/11121",
      "warning: at /src/w.nix:4:12: This expression uses `or` as an identifier in a way that will change in a future Nix release.\n" +
        "Wrap this entire expression in parentheses to preserve its current meaning:\n    (f or)\n" +
        "Give feedback at https://github.com/NixOS/nix/pull/11121",
    ]);
  });
});

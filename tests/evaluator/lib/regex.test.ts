// Oracle: Nix 2.8's builtins.match / builtins.split over every pattern × string in
// tests/fixtures/evaluator/lib/regex-cases.json (regenerate: node tests/fixtures/evaluator/lib/generate.mjs regex).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileRegex, compileRegexFromBytes } from "../../../src/evaluator/lib/regex.js";
import { InvalidRegexError } from "../../../src/evaluator/lib/libErrors.js";

interface Expected {
  strings: string[];
  errors: Record<string, string>;
  results: Record<string, Array<[(string | null)[] | null, Array<string | (string | null)[]>]>>;
}
const expected = JSON.parse(
  readFileSync(new URL("../../fixtures/evaluator/lib/regex-expected.json", import.meta.url), "utf8"),
) as Expected;

describe("compileRegex matches Nix 2.8", () => {
  for (const [pattern, perString] of Object.entries(expected.results)) {
    it(`/${pattern}/`, () => {
      const re = compileRegex(pattern);
      const got = expected.strings.map((s) => [re.matchWhole(s), re.split(s)]);
      // One assertion per pattern keeps the report short; the diff names the string.
      expect(got.map((g, i) => [expected.strings[i], ...g])).toEqual(
        perString.map((e, i) => [expected.strings[i], ...e]),
      );
    });
  }

  it("rejects what std::regex rejects, with Nix's message", () => {
    const got: Record<string, string> = {};
    for (const pattern of Object.keys(expected.errors)) {
      try {
        compileRegex(pattern);
        got[pattern] = "(accepted)";
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidRegexError);
        got[pattern] = (e as Error).message;
      }
    }
    expect(got).toEqual(expected.errors);
  });

  it("caches compiled patterns", () => {
    expect(compileRegex("a(b)c")).toBe(compileRegex("a(b)c"));
  });

  it("splitAll reports offsets in the JS string", () => {
    const ms = compileRegex("([0-9]+)").splitAll("ab12cd345");
    expect(ms.map((m) => [m.index, m.before, m.match, m.groups])).toEqual([
      [2, "ab", "12", ["12"]],
      [6, "cd", "345", ["345"]],
    ]);
  });

  it("handles long inputs without overflowing the stack", () => {
    const s = "a".repeat(200_000);
    expect(compileRegex("(a*)").matchWhole(s)).toEqual([s]);
    expect(compileRegex("a").split(s).length).toBe(400_001);
  });
});

describe("byte-string API", () => {
  const latin1 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

  it("agrees with the UTF-8 API on every fixture case", () => {
    // Decoding the byte results gives the text results (pieces of a split character become U+FFFD in both).
    const text = (x: string | null): string | null => (x === null ? null : Buffer.from(x, "latin1").toString("utf8"));
    for (const [pattern] of Object.entries(expected.results)) {
      const re = compileRegexFromBytes(latin1(pattern));
      const plain = compileRegex(pattern);
      for (const s of expected.strings) {
        expect(re.matchWholeBytes(latin1(s))?.map(text) ?? null).toEqual(plain.matchWhole(s));
        expect(re.splitBytes(latin1(s)).map((x) => (typeof x === "string" ? text(x) : x.map(text)))).toEqual(plain.split(s));
      }
    }
  });

  it("splits inside a UTF-8 sequence like Nix (one byte per '.')", () => {
    // builtins.split "(.)" "é" in Nix yields the two bytes of é separately.
    expect(compileRegexFromBytes("(.)").splitBytes(latin1("é"))).toEqual(["", ["\xc3"], "", ["\xa9"], ""]);
  });

  it("reports invalid byte patterns with Nix's message", () => {
    expect(() => compileRegexFromBytes(latin1("[a-é]"))).toThrow("invalid regular expression '[a-é]'");
  });
});

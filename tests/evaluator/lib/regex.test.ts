// Oracle: Nix 2.8's builtins.match / builtins.split over every pattern × string in
// tests/fixtures/evaluator/lib/regex-cases.json (regenerate: node tests/fixtures/evaluator/lib/generate.mjs regex).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileRegex } from "../../../src/evaluator/lib/regex.js";
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

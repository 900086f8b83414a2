// Oracle: Nix 2.8's builtins.fromJSON on tests/fixtures/evaluator/lib/json-cases.json and its toJSON
// string escaping (regenerate: node tests/fixtures/evaluator/lib/generate.mjs json). Nix 2.8 and current
// Nix both parse with nlohmann::json; where current Nix deliberately changed behaviour, the current
// expectation is stated below with its source.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareJsonKeys, jsonQuote, parseJson, parseJsonBytes, type JsonValue } from "../../../src/evaluator/lib/json.js";
import { formatFloatForPrint, formatFloatToString } from "../../../src/evaluator/lib/float.js";
import { JsonParseError } from "../../../src/evaluator/lib/libErrors.js";

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/evaluator/lib/json-expected.json", import.meta.url), "utf8"),
) as { texts: string[]; results: Array<{ ok: unknown } | { error: string }>; chars: string; quoted: { ok: string } };

/** Current Nix, where it differs from 2.8. */
const CURRENT_NIX: Record<string, { error: string }> = {
  // tests/functional/lang/eval-fail-fromJSON-valueWithNullByte / keyWithNullByte
  '"\\u0000"': { error: "input string '\u2400' cannot be represented as Nix string because it contains null bytes" },
  '{"a\\u0000b":1}': { error: "input string 'a\u2400b' cannot be represented as Nix string because it contains null bytes" },
  // tests/functional/lang/eval-fail-fromJSON-overflowing (2.8 wrapped to a negative int)
  "9223372036854775808": { error: "unsigned json number 9223372036854775808 outside of Nix integer range" },
  "18446744073709551615": { error: "unsigned json number 18446744073709551615 outside of Nix integer range" },
};

function tag(v: JsonValue): unknown {
  if (typeof v === "bigint") return { int: v.toString() };
  if (typeof v === "number") return { float: formatFloatToString(v), printed: formatFloatForPrint(v) };
  if (Array.isArray(v)) return { list: v.map(tag) };
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareJsonKeys);
    return { attrs: Object.fromEntries(keys.map((k) => [k, tag(v.get(k)!)])) };
  }
  return v;
}

function run(text: string): { ok: unknown } | { error: string } {
  try {
    return { ok: tag(parseJson(text)) };
  } catch (e) {
    if (!(e instanceof JsonParseError)) throw e;
    return { error: e.message };
  }
}

describe("parseJson matches Nix's fromJSON", () => {
  it(`all ${fixture.texts.length} cases`, () => {
    const got = fixture.texts.map((t) => [t, run(t)]);
    const want = fixture.texts.map((t, i) => [t, CURRENT_NIX[t] ?? fixture.results[i]]);
    expect(got).toEqual(want);
    expect(fixture.results.filter((r) => "error" in r).length).toBeGreaterThan(30);
  });

  it("returns bigints for integers and keeps the last duplicate key", () => {
    expect(parseJson('{"a":1,"a":[2.5,-3]}')).toEqual(new Map([["a", [2.5, -3n]]]));
  });
});

describe("jsonQuote matches toJSON string escaping", () => {
  it("escapes every character of U+0001..U+00FF like Nix", () => {
    // Nix 2.8 wrote \b and \f as \u0008 / \u000c; current Nix (nlohmann dump) uses the short forms.
    const current = fixture.quoted.ok.replace("\\u0008", "\\b").replace("\\u000c", "\\f");
    expect(jsonQuote(fixture.chars)).toBe(current);
  });

  it("leaves non-BMP characters alone", () => {
    expect(jsonQuote("😀\u2028")).toBe('"😀\u2028"');
  });
});

describe("parseJsonBytes", () => {
  it("rejects ill-formed UTF-8 like nlohmann", () => {
    // Nix 2.8: builtins.fromJSON on the bytes 22 C3 28 22 (checked with nix-instantiate); Nix echoes
    // the raw byte C3 in "last read", which a JS string message shows as U+FFFD.
    expect(() => parseJsonBytes('"\xc3("')).toThrow(
      "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"\ufffd('",
    );
    expect(parseJsonBytes('["\xc3\xa9"]')).toEqual(["é"]);
  });
});

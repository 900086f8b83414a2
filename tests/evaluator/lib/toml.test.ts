// Oracle: Nix 2.8's builtins.fromTOML on tests/fixtures/evaluator/lib/toml-cases.json
// (regenerate: node tests/fixtures/evaluator/lib/generate.mjs toml). Current Nix changed the
// error prefix ("while parsing TOML:"), rejects out-of-range integers (2.8 clamped them) and
// NUL bytes (2.8 truncated); see tests/functional/lang/eval-fail-fromTOML-* in Nix.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseToml, type TomlValue } from "../../../src/evaluator/lib/toml.js";
import { formatFloatForPrint, formatFloatToString } from "../../../src/evaluator/lib/float.js";
import { compareJsonKeys } from "../../../src/evaluator/lib/json.js";
import { TomlParseError } from "../../../src/evaluator/lib/libErrors.js";

const read = (name: string): any =>
  JSON.parse(readFileSync(new URL(`../../fixtures/evaluator/lib/${name}`, import.meta.url), "utf8"));
const cases = read("toml-cases.json") as { valid: string[]; invalid: string[] };
const expected = read("toml-expected.json") as { valid: Array<{ ok: unknown }>; invalid: Array<{ ok?: unknown; error?: string }> };

function tag(v: TomlValue): unknown {
  if (typeof v === "bigint") return { int: v.toString() };
  if (typeof v === "number") return { float: formatFloatToString(v), printed: formatFloatForPrint(v) };
  if (Array.isArray(v)) return { list: v.map(tag) };
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareJsonKeys);
    return { attrs: Object.fromEntries(keys.map((k) => [k, tag(v.get(k)!)])) };
  }
  return v;
}

function errorOf(text: string): string {
  try {
    parseToml(text);
    return "(accepted)";
  } catch (e) {
    expect(e).toBeInstanceOf(TomlParseError);
    return (e as Error).message;
  }
}

describe("parseToml matches Nix's fromTOML", () => {
  it(`accepts the ${cases.valid.length} valid documents with Nix's values`, () => {
    expect(expected.valid.every((r) => "ok" in r)).toBe(true);
    expect(cases.valid.map((t) => [t, tag(parseToml(t))])).toEqual(cases.valid.map((t, i) => [t, expected.valid[i]!.ok]));
  });

  it("rejects what Nix rejects", () => {
    const got = cases.invalid.map((t) => [t, errorOf(t).startsWith("while parsing TOML: ")]);
    expect(got).toEqual(cases.invalid.map((t) => [t, true]));
    // Every one of these is an error in current Nix; 2.8 accepted only the range/NUL ones.
    const acceptedBy28 = cases.invalid.filter((_, i) => !("error" in expected.invalid[i]!));
    expect(acceptedBy28).toEqual([
      "a = 9223372036854775808",
      "a = -9223372036854775809",
      'k = "a\\u0000b"',
      '"a\\u0000b" = 1',
    ]);
  });

  it("words date/time and NUL errors exactly like current Nix", () => {
    for (const t of cases.invalid.filter((_, i) => /Dates and times/.test(expected.invalid[i]!.error ?? ""))) {
      expect(errorOf(t)).toBe("while parsing TOML: Dates and times are not supported");
    }
    expect(errorOf('k = "a\\u0000b"')).toBe(
      "while parsing TOML: error: input string 'a\u2400b' cannot be represented as Nix string because it contains null bytes",
    );
  });
});

describe("an integer out of the int64 range", () => {
  it("is reported as toml11 does: its title, the line, a caret just past the literal", () => {
    expect(errorOf("attr = 9223372036854775808")).toBe(
      "while parsing TOML: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n" +
        " --> fromTOML\n   |\n 1 | attr = 9223372036854775808\n   |                           ^-- must be < 2^63\n",
    );
    // The gutter is as wide as the line number; hex, octal and binary say "value".
    expect(errorOf("abcdefghi".split("").map((k) => `${k} = 1\n`).join("") + "[t]\nx = [ 0x8000000000000000, 1 ] # c\n")).toBe(
      "while parsing TOML: [error] toml::parse_hex_integer: too large integer: current max value = 2^63\n" +
        " --> fromTOML\n    |\n 11 | x = [ 0x8000000000000000, 1 ] # c\n    |                         ^-- must be < 2^63\n",
    );
  });

  it("is not confused with the int64 bounds, floats, dates or strings", () => {
    const doc = parseToml('a = 9223372036854775807\nb = -9223372036854775808\nc = 1e400\nd = "99999999999999999999"\ne = 1_000');
    expect([...doc.values()].map((v) => (typeof v === "number" ? String(v) : v))).toEqual([9223372036854775807n, -9223372036854775808n, "Infinity", "99999999999999999999", 1000n]);
  });
});

// Current Nix with --extra-experimental-features parse-toml-timestamps (Nix 2.8 has no such
// feature): values as toml11 prints them, see eval-okay-fromTOML-timestamps.exp in Nix's suite.
describe("fromTOML timestamps (parse-toml-timestamps)", () => {
  const value = (toml: string): unknown => {
    const v = parseToml(toml, { timestamps: true }).get("t") as Map<string, TomlValue>;
    expect(v.get("_type")).toBe("timestamp");
    return v.get("value");
  };
  it.each([
    ["1979-05-27", "1979-05-27"],
    ["07:32:00", "07:32:00"],
    ["00:32:00.1", "00:32:00.100"],
    ["00:32:00.000", "00:32:00"],
    ["00:32:00.1234", "00:32:00.123400"],
    ["00:32:00.1234567", "00:32:00.123456700"],
    ["00:32:00.1234567891", "00:32:00.123456789"],
    ["1979-05-27 07:32:00", "1979-05-27T07:32:00"],
    ["1979-05-27t07:32:00.12345Z", "1979-05-27T07:32:00.123450Z"],
    ["1979-05-27T07:32:00z", "1979-05-27T07:32:00Z"],
    ["1979-05-27T07:32:00+00:00", "1979-05-27T07:32:00Z"],
    ["1979-05-27T00:32:00.999999-07:00", "1979-05-27T00:32:00.999999-07:00"],
  ])("%s → %s", (toml, printed) => {
    expect(value(`t = ${toml}`)).toBe(printed);
  });
  it("in arrays and inline tables, next to comments; not in strings or keys", () => {
    const doc = parseToml('a = [ 1979-05-27, 07:32:00 ] # c\nb = { c = 1979-05-27T07:32:00 }\ns = "1979-05-27"\n1979-05-27 = 1', { timestamps: true });
    expect(tag(doc.get("a")!)).toEqual({ list: [{ attrs: { _type: "timestamp", value: "1979-05-27" } }, { attrs: { _type: "timestamp", value: "07:32:00" } }] });
    expect(tag(doc.get("b")!)).toEqual({ attrs: { c: { attrs: { _type: "timestamp", value: "1979-05-27T07:32:00" } } } });
    expect(doc.get("s")).toBe("1979-05-27");
    expect(doc.get("1979-05-27")).toBe(1n);
  });
  it("still refuses timestamps without the feature, and invalid dates with it", () => {
    expect(errorOf("t = 1979-05-27")).toBe("while parsing TOML: Dates and times are not supported");
    expect(() => parseToml("t = 1979-13-27", { timestamps: true })).toThrow(TomlParseError);
    expect(() => parseToml("t = 25:00:00", { timestamps: true })).toThrow(TomlParseError);
  });
});

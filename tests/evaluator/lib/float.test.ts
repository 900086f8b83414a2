// Oracle for print/toString: Nix 2.8 (tests/fixtures/evaluator/lib/float-expected.json,
// regenerate: node tests/fixtures/evaluator/lib/generate.mjs float). Printing (ostream %g)
// and toString (std::to_string) are unchanged in current Nix. toJSON changed after 2.8
// (nlohmann::json), so its expectations below follow nlohmann's documented format.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cachedPowers,
  formatFixed,
  formatFloatForJson,
  formatFloatForPrint,
  formatFloatToString,
  formatGeneral,
  grisu2,
} from "../../../src/evaluator/lib/float.js";

interface Case {
  input: string;
  print: string;
  toString: string;
}
const cases = JSON.parse(
  readFileSync(new URL("../../fixtures/evaluator/lib/float-expected.json", import.meta.url), "utf8"),
) as Case[];

function valueOf(input: string): number {
  if (input === "Infinity") return Infinity;
  if (input === "-Infinity") return -Infinity;
  // The same IEEE operation Nix performed; x86 yields a NaN with the sign bit set.
  if (input.startsWith("NaN")) return Infinity - Infinity;
  return Number(input);
}

describe("float formatting matches Nix 2.8", () => {
  it("prints like nix-instantiate --eval", () => {
    expect(cases.map((c) => [c.input, formatFloatForPrint(valueOf(c.input))])).toEqual(
      cases.map((c) => [c.input, c.print]),
    );
  });

  it("converts like builtins.toString", () => {
    expect(cases.map((c) => [c.input, formatFloatToString(valueOf(c.input))])).toEqual(
      cases.map((c) => [c.input, c.toString]),
    );
  });
});

describe("printf primitives", () => {
  it("rounds exact binary ties to even", () => {
    expect(formatFixed(0.0078125, 6)).toBe("0.007812");
    expect(formatFixed(0.5, 0)).toBe("0");
    expect(formatFixed(1.5, 0)).toBe("2");
    expect(formatFixed(2.5, 0)).toBe("2");
    expect(formatGeneral(0.5, 0)).toBe("0.5");
    expect(formatGeneral(123456, 3)).toBe("1.23e+05");
    expect(formatGeneral(1e100, 6)).toBe("1e+100");
  });
});

describe("toJSON floats (current Nix, nlohmann::json)", () => {
  const table: Array<[number, string]> = [
    [1.44, "1.44"], // eval-okay-tojson.exp
    [1, "1.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [-1.5, "-1.5"],
    [0.1, "0.1"],
    [0.30000000000000004, "0.30000000000000004"],
    [123.456, "123.456"],
    [1e14, "100000000000000.0"],
    [123456789012345, "123456789012345.0"],
    [1e15, "1e+15"],
    [1234567890123456, "1.234567890123456e+15"],
    [1e20, "1e+20"],
    [0.001, "0.001"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [Infinity, "null"],
    [NaN, "null"],
  ];
  for (const [x, s] of table) it(`${x} → ${s}`, () => expect(formatFloatForJson(x)).toBe(s));
});

describe("toJSON floats match nlohmann::json's Grisu2 digits", () => {
  // tests/fixtures/evaluator/lib/nlohmann-floats.txt, from generate-nlohmann-floats.sh (g++ + nlohmann 3.11.2).
  const vectors = readFileSync(new URL("../../fixtures/evaluator/lib/nlohmann-floats.txt", import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [hex, text] = l.split(" ") as [string, string];
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, BigInt("0x" + hex));
      return { x: view.getFloat64(0), text };
    });

  it(`formats all ${vectors.length} vectors identically`, () => {
    const bad = vectors.filter((v) => formatFloatForJson(v.x) !== v.text).map((v) => [v.x, v.text, formatFloatForJson(v.x)]);
    expect(bad).toEqual([]);
    // Many of them are cases where Grisu2 is not the shortest form, which JS would print.
    const shortestDigits = (x: number): string => Math.abs(x).toExponential().split("e")[0]!.replace(".", "");
    const notShortest = vectors.filter((v) => grisu2(Math.abs(v.x)).digits !== shortestDigits(v.x));
    expect(notShortest.length).toBeGreaterThan(100);
  });

  it("uses nlohmann's cached powers of ten", () => {
    // Entries of kCachedPowers in nlohmann/detail/conversions/to_chars.hpp.
    const find = (k: number) => cachedPowers().find((c) => c.k === k);
    expect(find(132)).toEqual({ f: 0xb454e4a179dd1877n, e: 375, k: 132 });
    expect(find(308)).toEqual({ f: 0x8e679c2f5e44ff8fn, e: 960, k: 308 });
    expect(find(324)).toEqual({ f: 0x9e19db92b4e31ba9n, e: 1013, k: 324 });
    expect(cachedPowers().length).toBe(79);
  });
});

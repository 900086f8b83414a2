// Oracle: Nix 2.8's splitVersion / compareVersions (every pair) / parseDrvName over
// tests/fixtures/evaluator/lib/versions-cases.json (regenerate: node tests/fixtures/evaluator/lib/generate.mjs versions).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareVersions, parseDrvName, splitVersion } from "../../../src/evaluator/lib/versions.js";

const expected = JSON.parse(
  readFileSync(new URL("../../fixtures/evaluator/lib/versions-expected.json", import.meta.url), "utf8"),
) as {
  versions: string[];
  drvNames: string[];
  split: string[][];
  compare: number[][];
  drv: Array<{ name: string; version: string }>;
};

describe("versions match Nix 2.8", () => {
  it("splitVersion", () => {
    expect(expected.versions.map((v) => [v, splitVersion(v)])).toEqual(
      expected.versions.map((v, i) => [v, expected.split[i]]),
    );
  });

  it("compareVersions on every pair", () => {
    const vs = expected.versions;
    const got = vs.map((a) => vs.map((b) => compareVersions(a, b)));
    const diffs = [];
    for (let i = 0; i < vs.length; i++)
      for (let j = 0; j < vs.length; j++)
        if (got[i]![j] !== expected.compare[i]![j]) diffs.push([vs[i], vs[j], got[i]![j], expected.compare[i]![j]]);
    expect(diffs).toEqual([]);
    expect(vs.length ** 2).toBeGreaterThan(3000);
  });

  it("parseDrvName", () => {
    expect(expected.drvNames.map(parseDrvName)).toEqual(expected.drv);
  });
});

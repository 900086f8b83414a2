import { describe, expect, it } from "vitest";
import { MapClosureGraph } from "../../src/layering/graph.js";
import {
  assertNoDisallowed,
  DisallowedPathsError,
  findDisallowed,
  matchesDisallowed,
  packageName,
} from "../../src/layering/disallowed.js";

const sp = (h: string, name: string) => `/nix/store/${h.repeat(32)}-${name}`;
const app = sp("a", "app-1.0");
const lib = sp("b", "libfoo-2.1");
const gcc = sp("c", "gcc-12.2.0");
const gccLib = sp("d", "gcc-12.2.0-lib");
const bashI = sp("e", "bash-interactive-5.2");
const graph = new MapClosureGraph([
  { path: app, references: [app, lib, bashI] },
  { path: lib, references: [gccLib] },
  { path: gccLib, references: [gcc] },
  { path: gcc, references: [] },
  { path: bashI, references: [] },
]);

describe("disallowed paths", () => {
  it("splits package names like builtins.parseDrvName", () => {
    expect(packageName("gcc-12.2.0-lib")).toBe("gcc");
    expect(packageName("bash-interactive-5.2")).toBe("bash-interactive");
    expect(packageName("hello")).toBe("hello");
  });

  it("matches a store path exactly, or a full or package name", () => {
    expect(matchesDisallowed(gcc, gcc)).toBe(true);
    expect(matchesDisallowed(gccLib, gcc)).toBe(false);
    expect(matchesDisallowed(gccLib, "gcc")).toBe(true);
    expect(matchesDisallowed(gccLib, "gcc-12.2.0-lib")).toBe(true);
    expect(matchesDisallowed(bashI, "bash")).toBe(false);
    expect(matchesDisallowed(bashI, "bash-interactive")).toBe(true);
  });

  it("returns each match with a shortest chain from a root", () => {
    expect(findDisallowed(graph, [app], ["gcc", "nothing"])).toEqual([
      { pattern: "gcc", path: gcc, chain: [app, lib, gccLib, gcc] },
      { pattern: "gcc", path: gccLib, chain: [app, lib, gccLib] },
    ]);
    expect(findDisallowed(graph, [lib, app], [gcc])).toEqual([{ pattern: gcc, path: gcc, chain: [lib, gccLib, gcc] }]);
    expect(findDisallowed(graph, [app], [])).toEqual([]);
  });

  it("assertNoDisallowed throws a typed error naming path, pattern and chain", () => {
    expect(() => assertNoDisallowed(graph, [app], ["libfoo"])).toThrow(DisallowedPathsError);
    try {
      assertNoDisallowed(graph, [app], ["libfoo"]);
    } catch (e) {
      expect((e as Error).message).toBe(`image closure contains disallowed paths:\n  ${lib} (matches 'libfoo')\n    ${app}\n    → ${lib}`);
    }
    expect(() => assertNoDisallowed(graph, [bashI], ["gcc"])).not.toThrow();
  });
});

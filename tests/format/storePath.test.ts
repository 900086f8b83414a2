import { describe, expect, it } from "vitest";
import {
  BadStorePathError,
  computeTextPath,
  isStorePath,
  makeFixedOutputPath,
  makeSourcePath,
  parseHashAny,
  parseHashAnyPrefixed,
  parseStorePath,
  parseStorePathBaseName,
  splitStorePath,
} from "../../src/store/format/index.js";
import { pathVectors } from "./pathsFixture.js";

describe("text paths (builtins.toFile) match Nix 2.8", () => {
  it.each(pathVectors.text.map((t) => [t.case, t] as const))("%s", (_, t) => {
    const contents = Buffer.from(t.contentsBase64, "base64");
    expect(computeTextPath(t.name, contents, t.references)).toBe(t.path);
    // Reference order must not matter: Nix sorts them.
    expect(computeTextPath(t.name, contents, [...t.references].reverse())).toBe(t.path);
  });
});

describe("source paths (builtins.path, interpolated paths) match Nix 2.8", () => {
  it.each(pathVectors.source.map((s) => [s.case, s] as const))("%s", (_, s) => {
    // ca is "fixed:r:sha256:<nix32>" (source) or "fixed:sha256:<nix32>" (flat).
    const m = /^fixed:(r:)?(.*)$/.exec(s.ca)!;
    const hash = parseHashAnyPrefixed(m[2]!);
    if (m[1]) {
      expect(makeSourcePath(s.name, hash)).toBe(s.path);
      expect(hash.bytes.equals(parseHashAny(s.narHash).bytes)).toBe(true);
    } else expect(makeFixedOutputPath("flat", hash, s.name)).toBe(s.path);
  });
});

describe("fixed-output paths (nix-store --add-fixed) match Nix 2.8", () => {
  it.each(pathVectors.fixed.map((f) => [`${f.method} ${f.algo}`, f] as const))("%s", (_, f) => {
    expect(makeFixedOutputPath(f.method, parseHashAny(f.hashBase16, f.algo), f.name)).toBe(f.path);
  });
});

describe("store path parsing", () => {
  const good = "/nix/store/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-hello";
  it("parses and canonicalises", () => {
    expect(parseStorePath(good)).toEqual({ hashPart: "mjs27ix6ig2bkbi3s3sm470vrv4lf7ic", name: "hello" });
    expect(parseStorePath("/nix//store/./mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-hello/")).toEqual(parseStorePath(good));
    expect(isStorePath(good)).toBe(true);
    expect(isStorePath(good + "/bin")).toBe(false);
    expect(isStorePath("/tmp/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-hello")).toBe(false);
    expect(splitStorePath(good + "/bin/sh")).toEqual({ storePath: good, rest: "/bin/sh" });
    expect(parseStorePath("/s/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-x", "/s").name).toBe("x");
  });
  // Error texts as Nix 2.8 prints them (nix-instantiate --eval -E 'builtins.toFile NAME "x"').
  it.each([
    ["sk7z62nqxdj2sb8x397my8i4803lhvai-" + "a".repeat(212), "has a name longer than 211 characters"],
    ["dm85kbl5cy82j2dzvy1874s14y3salv3-a b", "store path 'dm85kbl5cy82j2dzvy1874s14y3salv3-a b' contains illegal character ' '"],
    ["9r1mh2rc3s3i33vpdw86kqqyvy9i1y4w-", "store path '9r1mh2rc3s3i33vpdw86kqqyvy9i1y4w-' has an empty name"],
    ["9r1mh2rc3s3i33vpdw86kqqyvy9i1y4e-x", "contains illegal base-32 character 'e'"],
    ["9r1mh2rc3s3i33vpdw86kqqyvy9i1y4w", "is too short to be a valid store path"],
    ["9r1mh2rc3s3i33vpdw86kqqyvy9i1y4-x", "illegal base-32 character '-'"],
    ["9r1mh2rc3s3i33vpdw86kqqyvy9i1y4w-a/b", "illegal character '/'"],
  ])("rejects %s", (base, message) => {
    expect(() => parseStorePathBaseName(base)).toThrow(BadStorePathError);
    expect(() => parseStorePathBaseName(base)).toThrow(message);
  });
  it("accepts a leading dot and 211-character names, as Nix 2.8 does", () => {
    expect(parseStorePathBaseName("q144f75swlv405pb69crqqkdwiza7nlk-.foo").name).toBe(".foo");
    expect(parseStorePathBaseName("q144f75swlv405pb69crqqkdwiza7nlk-" + "a".repeat(211)).name).toHaveLength(211);
  });
  it("makeFixedOutputPath refuses references outside the source case", () => {
    const h = parseHashAny("md5:3jgzhjhz9zjvbb0kyj7jc500ch");
    expect(() => makeFixedOutputPath("flat", h, "x", { references: ["/nix/store/mjs27ix6ig2bkbi3s3sm470vrv4lf7ic-hello"] })).toThrow();
  });
});

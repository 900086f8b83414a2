// Oracle: Nix 2.8 parsing flake references via `nix registry add` (attributes) and `nix registry list`
// (FlakeRef::to_string); regenerate: node tests/fixtures/evaluator/lib/generate.mjs flakeref.
// KNOWN_28_DIFFERENCES lists where current Nix (our target) changed behaviour, with the reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  flakeRefToString,
  parseFlakeRef,
  parseFlakeRefWithFragment,
  splitFlakeRefAttrPath,
  type FlakeRefAttrs,
} from "../../../src/evaluator/lib/flakeRef.js";
import { FlakeRefError } from "../../../src/evaluator/lib/libErrors.js";

type Result = { attrs: FlakeRefAttrs; string: string } | { error: string };
const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/evaluator/lib/flakeref-expected.json", import.meta.url), "utf8"),
) as { refs: string[]; results: Result[] };

/** Current Nix (libflake/libfetchers sources and their unit tests), where 2.8 differs. */
const KNOWN_28_DIFFERENCES: Record<string, Result> = {
  // GitArchiveInputScheme::toURL renders the ref as one percent-encoded path segment.
  "github:o/r/release/1.0": {
    attrs: { owner: "o", ref: "release/1.0", repo: "r", type: "github" },
    string: "github:o/r/release%2F1.0",
  },
  // ...and now keeps a non-default host in the URL.
  "github:o/r?host=git.example.org": {
    attrs: { host: "git.example.org", owner: "o", repo: "r", type: "github" },
    string: "github:o/r?host=git.example.org",
  },
  // Unknown parameters are an error ("contains unknown parameter"); 2.8 dropped them.
  "github:o/r?foo=bar": { error: "URL 'github:o/r?foo=bar' contains unknown parameter 'foo'" },
  // GitInputScheme::toURL writes submodules=1.
  "git+https://example.org/x?submodules=1": {
    attrs: { submodules: true, type: "git", url: "https://example.org/x" },
    string: "git+https://example.org/x?submodules=1",
  },
  // fromParsedURL takes 'dir' out of plain paths too (2.8 appended it to the path).
  "/tmp/x?dir=sub": { attrs: { dir: "sub", path: "/tmp/x", type: "path" }, string: "path:/tmp/x?dir=sub" },
  // Lenient query decoding accepts the space (libflake-tests/flakeref.cc).
  "/foo bar/baz?dir=bla space": {
    attrs: { dir: "bla space", path: "/foo bar/baz", type: "path" },
    string: "path:/foo%20bar/baz?dir=bla%20space",
  },
  // CurlInputScheme moves narHash from the URL into the attributes; encodeQuery escapes '='.
  "https://example.org/a.tar.gz?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D": {
    attrs: { narHash: "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", type: "tarball", url: "https://example.org/a.tar.gz" },
    string: "https://example.org/a.tar.gz?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D",
  },
};

const sorted = (a: FlakeRefAttrs): FlakeRefAttrs => Object.fromEntries(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : 1)));

function run(ref: string): Result | { error: true } {
  try {
    const attrs = parseFlakeRef(ref);
    return { attrs: sorted(attrs), string: flakeRefToString(attrs) };
  } catch (e) {
    expect(e).toBeInstanceOf(FlakeRefError);
    return { error: true };
  }
}

describe("flake references match Nix", () => {
  it(`parses and prints ${fixture.refs.length} references`, () => {
    const want = fixture.refs.map((r, i) => {
      const w = KNOWN_28_DIFFERENCES[r] ?? fixture.results[i]!;
      return [r, "error" in w ? { error: true } : w];
    });
    expect(fixture.refs.map((r) => [r, run(r)])).toEqual(want);
  });

  it("round-trips the language-test examples", () => {
    // tests/functional/lang/eval-okay-parse-flake-ref / eval-okay-flake-ref-to-string
    const attrs = { dir: "lib", owner: "NixOS", ref: "23.05", repo: "nixpkgs", type: "github" };
    expect(sorted(parseFlakeRef("github:NixOS/nixpkgs/23.05?dir=lib"))).toEqual(attrs);
    expect(flakeRefToString(attrs)).toBe("github:NixOS/nixpkgs/23.05?dir=lib");
    expect(() => flakeRefToString({ type: "github", owner: "NixOS", repo: -1 })).toThrow(
      "negative value given for flake ref attr repo: -1",
    );
  });

  it("follows current Nix's unit-test vectors", () => {
    // src/libflake-tests/flakeref.cc
    expect(flakeRefToString(parseFlakeRef("/foo/bar"))).toBe("path:/foo/bar");
    expect(flakeRefToString(parseFlakeRef("/foo bar/baz?dir=bla space"))).toBe("path:/foo%20bar/baz?dir=bla%20space");
    expect(flakeRefToString(parseFlakeRef("github:foo/bar/branch%23"))).toBe("github:foo/bar/branch%23");
    expect(flakeRefToString(parseFlakeRef("github:foo/bar?ref=branch%23"))).toBe("github:foo/bar/branch%23");
    expect(flakeRefToString(parseFlakeRef("nixpkgs/branch////"))).toBe("flake:nixpkgs/branch");
    expect(flakeRefToString(parseFlakeRef("git://somewhere/repo?ref=branch"))).toBe("git://somewhere/repo?ref=branch");
    expect(sorted(parseFlakeRef("github://////owner%42/////repo%41///branch%43////"))).toEqual({
      owner: "ownerB", ref: "branchC", repo: "repoA", type: "github",
    });
    expect(flakeRefToString(parseFlakeRef("http://localhost:8181/test/+3d.tar.gz"))).toBe(
      "http://localhost:8181/test/%2B3d.tar.gz",
    );
    const withFragment = parseFlakeRefWithFragment('github:foo/bar?ref=branch#"name.with.dot"');
    expect(withFragment.fragment).toBe('"name.with.dot"');
    expect(flakeRefToString(withFragment.ref)).toBe("github:foo/bar/branch");
    expect(() => parseFlakeRef("/foo/bar#bla")).toThrow(FlakeRefError);
    expect(() => parseFlakeRef("/foo/bar?xyzzy=123")).toThrow(FlakeRefError);
  });

  it("resolves relative paths against a base directory", () => {
    expect(parseFlakeRef("./sub", "/flake")).toEqual({ type: "path", path: "/flake/sub" });
    expect(parseFlakeRef("path:../other?dir=x", "/flake/a")).toEqual({ type: "path", path: "/flake/other", dir: "x" });
    expect(splitFlakeRefAttrPath(".#packages.x86_64-linux.default")).toEqual({
      ref: ".",
      attrPath: "packages.x86_64-linux.default",
    });
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildAttrCandidates, InstallableError, parseInstallable, splitAttrPath } from "../../src/evaluator/flake/installable.js";

const noRemote = (s: string) => {
  throw new Error(`unexpected remote ref ${s}`);
};

describe("installables", () => {
  it("turns a subdirectory of a git work tree into git+file with dir", () => {
    const top = mkdtempSync(join(tmpdir(), "inst-"));
    execFileSync("git", ["init", "-q", top]);
    mkdirSync(join(top, "examples/hello"), { recursive: true });
    writeFileSync(join(top, "examples/hello/flake.nix"), "{ outputs = _: {}; }");
    const i = parseInstallable("./examples/hello#default", top, noRemote);
    expect(i.ref).toEqual({ type: "git", url: `file://${top}`, dir: "examples/hello" });
    expect(i.attrPath).toEqual(["default"]);
  });

  it("uses path: outside a git work tree, and no fragment means default", () => {
    const dir = mkdtempSync(join(tmpdir(), "inst-"));
    writeFileSync(join(dir, "flake.nix"), "{ outputs = _: {}; }");
    const i = parseInstallable(dir, "/", noRemote);
    expect(i.ref).toEqual({ type: "path", path: dir });
    expect(i.hasFragment).toBe(false);
    expect(buildAttrCandidates(i, "x86_64-linux")).toEqual([
      ["packages", "x86_64-linux", "default"],
      ["defaultPackage", "x86_64-linux"],
    ]);
  });

  it("tries packages and legacyPackages first, then the attribute as given, like nix build (InstallableFlake::getActualAttrPaths)", () => {
    expect(buildAttrCandidates({ attrPath: ["hello"], hasFragment: true }, "aarch64-linux")).toEqual([
      ["packages", "aarch64-linux", "hello"],
      ["legacyPackages", "aarch64-linux", "hello"],
      ["hello"],
    ]);
  });

  it("takes a fragment starting with '.' as absolute, as current Nix (absolute-attr-paths.sh)", () => {
    expect(buildAttrCandidates({ attrPath: splitAttrPath(".x"), hasFragment: true }, "x86_64-linux")).toEqual([["x"]]);
    expect(buildAttrCandidates({ attrPath: splitAttrPath(".packages.x86_64-linux.x"), hasFragment: true }, "x86_64-linux")).toEqual([["packages", "x86_64-linux", "x"]]);
    expect(buildAttrCandidates({ attrPath: splitAttrPath("."), hasFragment: true }, "x86_64-linux")).toEqual([[]]);
  });

  it("errors clearly on a directory without flake.nix", () => {
    const dir = mkdtempSync(join(tmpdir(), "inst-"));
    expect(() => parseInstallable(`${dir}#x`, "/", noRemote)).toThrow(InstallableError);
    expect(() => parseInstallable(`${dir}#x`, "/", noRemote)).toThrow(/does not contain a 'flake.nix'/);
  });

  it("splits attribute paths with quoted segments", () => {
    expect(splitAttrPath('packages.x86_64-linux."a.b"')).toEqual(["packages", "x86_64-linux", "a.b"]);
    expect(splitAttrPath("")).toEqual([]);
    expect(() => splitAttrPath('a."b')).toThrow(/closing quote/);
  });

  it("hands other references to the flake-ref parser", () => {
    const i = parseInstallable("github:o/r#pkg", "/", (s) => ({ type: "github", owner: s.slice(7, 8), repo: "r" }));
    expect(i.ref).toEqual({ type: "github", owner: "o", repo: "r" });
  });
});

/**
 * The evaluator's door into the store (EvalStore): added paths get the
 * paths Nix 2.8 gives them (nix-store --add / --add-fixed, builtins.toFile,
 * builtins.path with a filter), with the same NAR hash, and are readable
 * where toRealPath says.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HashMismatchError, LocalStore } from "../../src/store/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { nixPathInfo } from "./nixOracle.js";

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

describe.skipIf(!haveTools("nix-store", "nix-instantiate", "nix"))("EvalStore adds, against Nix 2.8", () => {
  let dir: string;
  let nixRoot: string;
  let store: LocalStore;
  let src: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-evalstore-"));
    nixRoot = join(dir, "nix");
    src = join(dir, "src");
    mkdirSync(join(src, "sub/deeper"), { recursive: true });
    writeFileSync(join(src, "a.txt"), "hello\n");
    writeFileSync(join(src, "skip.log"), "filtered out\n");
    writeFileSync(join(src, "sub/run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(src, "sub/run.sh"), 0o755);
    writeFileSync(join(src, "sub/deeper/z"), "");
    symlinkSync("../a.txt", join(src, "sub/link"));
    store = new LocalStore({ root: join(dir, "ours") });
  });
  afterAll(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sameInfo = (path: string) => {
    const [theirs] = nixPathInfo(nixRoot, [path]);
    const ours = store.queryPathInfo(path);
    expect([ours.narHash, ours.narSize, ours.ca]).toEqual([printHash(parseHashAny(theirs!.narHash), "base16", true), theirs!.narSize, theirs!.ca]);
  };

  it("recursive add = nix-store --add", () => {
    const nixPath = sh("nix-store", "--store", nixRoot, "--add", src);
    const ours = store.addPathToStore(src, { name: "src", method: "recursive" });
    expect(ours).toBe(nixPath);
    expect(store.isValidPath(ours)).toBe(true);
    expect(readFileSync(join(store.toRealPath(ours), "a.txt"), "utf8")).toBe("hello\n");
    sameInfo(ours);
  });

  it("flat add = nix-store --add-fixed sha256", () => {
    const file = join(src, "sub/run.sh");
    const nixPath = sh("nix-store", "--store", nixRoot, "--add-fixed", "sha256", join(src, "a.txt"));
    expect(store.addPathToStore(join(src, "a.txt"), { name: "a.txt", method: "flat" })).toBe(nixPath);
    sameInfo(nixPath);
    expect(() => store.addPathToStore(file, { name: "x", method: "flat", expectedHash: "sha256-" + "A".repeat(43) + "=" })).toThrow(HashMismatchError);
  });

  it("filtered add = builtins.path with a filter; expectedHash checked", () => {
    const expr = `builtins.path { path = ${src}; name = "filtered"; filter = p: t: !(builtins.match ".*\\\\.log" p != null); }`;
    const nixPath = sh("nix", "eval", "--impure", "--store", nixRoot, "--raw", "--expr", expr);
    const ours = store.addPathToStore(src, { name: "filtered", method: "recursive", filter: (p) => !p.endsWith(".log") });
    expect(ours).toBe(nixPath);
    sameInfo(ours);
    const narHash = printHash(parseHashAny(store.queryPathInfo(ours).narHash), "sri", true);
    expect(store.addPathToStore(src, { name: "filtered", method: "recursive", filter: (p) => !p.endsWith(".log"), expectedHash: narHash })).toBe(ours);
  });

  it("text add = builtins.toFile, with references", () => {
    const dep = store.addPathToStore(src, { name: "src", method: "recursive" });
    const expr = `builtins.toFile "conf" "uses \${builtins.path { path = ${src}; name = "src"; }}\\n"`;
    const nixPath = sh("nix", "eval", "--impure", "--store", nixRoot, "--raw", "--expr", expr);
    const ours = store.addTextToStore("conf", `uses ${dep}\n`, [dep]);
    expect(ours).toBe(nixPath);
    expect(store.queryReferences(ours)).toEqual([dep]);
    sameInfo(ours);
  });
});

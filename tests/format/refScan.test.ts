import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findReferenceHits, nix32Encode, parseNarInfo, RefScanner, scanForReferences, scanPathForReferencesSync } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { runNixBuild } from "../helpers/nixBuild.js";

const hashOf = (seed: number) => nix32Encode(Buffer.from(Array.from({ length: 20 }, (_, i) => (i * 31 + seed * 7) & 0xff)));
const H1 = hashOf(1);
const H2 = hashOf(2);

describe("RefScanner", () => {
  it("finds a hash at every chunk split position", () => {
    const data = Buffer.from(`xx/nix/store/${H1}-foo yy`);
    for (let cut = 0; cut <= data.length; cut++) {
      for (const step of [1, 3, 7]) {
        const s = new RefScanner([H1, H2]);
        s.update(data.subarray(0, cut));
        for (let i = cut; i < data.length; i += step) s.update(data.subarray(i, Math.min(i + step, data.length)));
        expect([...s.found]).toEqual([H1]);
      }
    }
  });

  it("hashes inside longer nix32 runs still match; near misses do not", () => {
    expect([...new RefScanner([H1]).update(Buffer.from(`abc${H1}def`)).found]).toEqual([H1]);
    const miss = H1.slice(0, 31) + (H1[31] === "0" ? "1" : "0");
    expect(new RefScanner([H1]).update(Buffer.from(miss)).found.size).toBe(0);
    expect(new RefScanner([H1]).update(Buffer.from(H1.slice(0, 31))).found.size).toBe(0);
  });

  it("reports offsets of every occurrence in precise mode", () => {
    const data = Buffer.concat([Buffer.alloc(100, 0x20), Buffer.from(H1), Buffer.alloc(5), Buffer.from(H1 + H2)]);
    const s = new RefScanner([H1, H2], { withOffsets: true });
    for (let i = 0; i < data.length; i += 13) s.update(data.subarray(i, i + 13));
    expect(s.offsets.get(H1)).toEqual([100, 137]);
    expect(s.offsets.get(H2)).toEqual([169]);
  });

  it("rejects candidates that are not hash parts", () => {
    expect(() => new RefScanner(["short"])).toThrow(TypeError);
  });

  it("finds the references Nix 2.8 recorded for a self-referencing output (committed NAR)", async () => {
    // tests/fixtures/format/generate-narinfo.sh: self-ref's output refers to itself, a.txt and b.txt.
    const dir = new URL("../fixtures/format/narinfo/unsigned/", import.meta.url).pathname;
    const info = parseNarInfo(readFileSync(join(dir, "lkkp4wncrpl3ny0c94bcn81di1jx5zw3.narinfo"), "utf8"));
    const nar = readFileSync(join(dir, info.url.replace("nar/", "")));
    const candidates = ["lkkp4wncrpl3ny0c94bcn81di1jx5zw3", "hk0sb467sscz979y12aimq698pw991b1", "yrzz6d902y649dyzvb65nz68z6i20lpc", "85vhdp0k7n76hvd7756cxiy9diki8rmk", H1];
    const s = await scanForReferences((async function* () { yield nar; })(), candidates);
    expect([...s.found].sort()).toEqual(info.references.map((r) => r.slice(0, 32)).sort());
  });
});

describe.skipIf(!haveTools("nix-build", "nix-store"))("reference scanning agrees with a live Nix 2.8 build", () => {
  const root = mkdtempSync(join(tmpdir(), "nixoci-refscan-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("file contents, symlink targets, file names, chunk-spanning references, unreferenced inputs", async () => {
    const expr = `
      let
        tf = builtins.toFile;
        a = tf "a" "a"; b = tf "b" "b"; c = tf "c" "c"; d = tf "d" "d"; e = tf "e" "e";
      in derivation {
        name = "refs"; system = "x86_64-linux"; builder = "/bin/sh"; unused = d;
        args = [ "-c" ''
          mkdir $out $out/sub
          ln -s \${a}/x $out/link
          head -c 65530 /dev/zero > $out/big; echo -n \${b} >> $out/big; head -c 70000 /dev/zero >> $out/big
          touch $out/sub/\${builtins.substring 11 32 c}-named
          echo $out > $out/self
          echo \${builtins.substring 11 31 e} > $out/almost
        '' ];
      }`;
    const store = join(root, "store");
    const out = runNixBuild("nix-build", ["--store", store, "--no-out-link", "-E", expr]).trim();
    const drv = execFileSync("nix-store", ["--store", store, "-q", "--deriver", out], { encoding: "utf8" }).trim();
    const inputs = execFileSync("nix-store", ["--store", store, "-q", "--references", drv], { encoding: "utf8" }).trim().split("\n").filter((p) => !p.endsWith(".drv"));
    const expected = execFileSync("nix-store", ["--store", store, "-q", "--references", out], { encoding: "utf8" }).trim().split("\n").sort();
    const ours = scanPathForReferencesSync(join(store, out), [...inputs, out]).sort();
    expect(inputs).toHaveLength(5);
    expect(ours).toEqual(expected);
    expect(ours).toHaveLength(4); // a, b, c, self (not d: unused; not e: only 31 chars)

    const hits = await findReferenceHits(join(store, out), [...inputs, out]);
    const where = (p: string) => hits.filter((h) => h.storePath === p).map((h) => `${h.in}:${h.entry}@${h.offset}`);
    const named = (n: string) => inputs.find((p) => p.endsWith(`-${n}`))!;
    expect(where(named("a"))).toEqual(["target:link@11"]);
    expect(where(named("b"))).toEqual(["contents:big@65541"]);
    expect(where(named("c"))).toEqual([`name:sub/${named("c").slice(11, 43)}-named@0`]);
    expect(where(out)).toEqual(["contents:self@11"]);
    expect(new Set(hits.map((h) => h.storePath))).toEqual(new Set(expected));
  });
});

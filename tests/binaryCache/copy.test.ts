/**
 * `nixoci store copy --to` writes caches exactly as `nix copy --to` 2.8
 * (same files, byte for byte: nix-cache-info, narinfos, NAR names and
 * compressed bytes, signatures), for file:// and HTTP PUT; Nix 2.8 reads
 * them back (`nix copy --from`, `nix store verify`). Keys from
 * `nixoci key` are Nix keys.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/store/index.js";
import { BinaryCache, Substituter, copyToCache } from "../../src/store/binaryCache/index.js";
import { haveTools } from "../helpers/tools.js";
import { buildFixtureWithNix, listFiles, nixCopyTo, removeDir, run, runAsync, serveDir, tempDir, type NixFixture } from "./helpers.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const nixoci = (args: string[], input?: string) =>
  execFileSync("node", [bin, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });

describe.skipIf(!haveTools("nix", "nix-store", "xz", "zstd", "bzip2"))("copying to caches as nix copy 2.8", () => {
  let dir: string;
  let fx: NixFixture;
  let ourRoot: string;

  beforeAll(async () => {
    dir = tempDir("copy");
    fx = buildFixtureWithNix(dir);
    // Our store gets Nix's paths (same deriver, no signatures) from an unsigned cache.
    nixCopyTo(fx, `file://${dir}/from-nix?compression=none`, [fx.outPath]);
    nixCopyTo(fx, `file://${dir}/from-nix?compression=none`, [fx.drvPath], true);
    ourRoot = join(dir, "ours");
    const store = new LocalStore({ root: ourRoot });
    const sub = new Substituter({ substituters: [`file://${dir}/from-nix`], requireSigs: false, onProgress: () => {} });
    await sub.substitute(store, [fx.outPath, fx.drvPath]);
    sub.close();
    store.close();
  });
  afterAll(() => removeDir(dir));

  function expectSameCache(ours: string, nix: string, options: { dirs?: boolean } = {}) {
    const files = (d: string) => listFiles(d).filter((f) => options.dirs !== false || !f.endsWith("/"));
    expect(files(ours)).toEqual(files(nix));
    for (const f of files(nix)) if (!f.endsWith("/")) expect(readFileSync(join(ours, f)), f).toEqual(readFileSync(join(nix, f)));
  }

  /**
   * zstd: Nix 2.8 compresses through libarchive, whose block feeding gives
   * slightly different (equally valid) frames than the zstd CLI for multi-MB
   * NARs. Everything else is identical; the NARs decompress to the same bytes.
   */
  function expectSameCacheModuloZstdFrames(ours: string, nix: string) {
    const strip = (t: string) => t.replace(/^(URL|FileHash|FileSize): .*\n/gm, "");
    const infos = (d: string) => listFiles(d).filter((f) => f.endsWith(".narinfo"));
    expect(infos(ours)).toEqual(infos(nix));
    expect(listFiles(ours).filter((f) => !f.startsWith("nar/"))).toEqual(listFiles(nix).filter((f) => !f.startsWith("nar/")));
    for (const f of infos(nix)) {
      const [a, b] = [readFileSync(join(ours, f), "utf8"), readFileSync(join(nix, f), "utf8")];
      expect(strip(a), f).toBe(strip(b));
      const nar = (d: string, t: string) => run("sh", ["-c", `zstd -dcq '${join(d, t.match(/^URL: (.*)$/m)![1])}' | sha256sum`]);
      expect(nar(ours, a), f).toBe(nar(nix, b));
    }
  }

  for (const params of ["", "?compression=zstd", "?compression=bzip2", "?compression=none"])
    it(`nixoci store copy --to 'file://…${params || " (xz)"}' with secret-key: byte-identical to Nix's cache`, () => {
      const tag = params.replace(/\W/g, "") || "xz";
      const sep = params ? "&" : "?";
      nixCopyTo(fx, `file://${dir}/nix-${tag}${params}${sep}secret-key=${fx.secretKeyFile}`, [fx.outPath]);
      const out = nixoci(["store", "copy", "--store", ourRoot, "--to", `file://${dir}/ours-${tag}${params}${sep}secret-key=${fx.secretKeyFile}`, fx.outPath]);
      expect(out).toBe("");
      const check = tag === "compressionzstd" ? expectSameCacheModuloZstdFrames : expectSameCache;
      check(join(dir, `ours-${tag}`), join(dir, `nix-${tag}`));
      if (tag === "xz") {
        // A second copy (without the key) finds everything there and writes nothing.
        nixoci(["store", "copy", "--store", ourRoot, "--to", `file://${dir}/ours-${tag}${params}`, fx.outPath]);
        check(join(dir, `ours-${tag}`), join(dir, `nix-${tag}`));
      }
    });

  it("derivations (content-addressed text paths, CA field): byte-identical to nix copy --derivation", () => {
    nixCopyTo(fx, `file://${dir}/nix-drv?secret-key=${fx.secretKeyFile}`, [fx.drvPath], true);
    nixoci(["store", "copy", "--store", ourRoot, "--to", `file://${dir}/ours-drv?secret-key=${fx.secretKeyFile}`, fx.drvPath]);
    expectSameCache(join(dir, "ours-drv"), join(dir, "nix-drv"));
    expect(listFiles(join(dir, "ours-drv")).filter((f) => f.endsWith(".narinfo"))).toHaveLength(6);
  });

  it("Nix 2.8 reads a nixoci cache: nix copy --from, then nix store verify with the public key", () => {
    const url = `file://${dir}/ours-for-nix`;
    nixoci(["store", "copy", "--store", ourRoot, "--to", `${url}?secret-key=${fx.secretKeyFile}`, fx.outPath]);
    const y = join(dir, "nix-y");
    run("nix", ["copy", "--store", y, "--from", url, "--trusted-public-keys", fx.publicKey, fx.outPath]);
    expect(run("nix", ["store", "verify", "--store", y, "--trusted-public-keys", fx.publicKey, "-r", fx.outPath])).toBe("");
    // A wrong key: Nix refuses the signatures.
    expect(() =>
      run("nix", ["store", "verify", "--store", y, "--trusted-public-keys", "other:" + Buffer.alloc(32, 7).toString("base64"), fx.outPath]),
    ).toThrow(/untrusted/);
  });

  it("HTTP cache with PUT and a key from nixoci key: same files as Nix's file:// cache; Nix substitutes from it", async () => {
    const sk = nixoci(["key", "generate-secret", "--key-name", "nixoci-http-1"]);
    expect(sk).toMatch(/^nixoci-http-1:[A-Za-z0-9+/]{86}==$/);
    const pk = nixoci(["key", "convert-secret-to-public"], sk);
    expect(pk).toBe(run("nix", ["key", "convert-secret-to-public"], sk));
    const skFile = join(dir, "http-sk");
    writeFileSync(skFile, sk);

    const served = join(dir, "served");
    const server = await serveDir(served, { allowPut: true });
    const store = new LocalStore({ root: ourRoot });
    const cache = new BinaryCache(`${server.url}/cache?secret-key=${skFile}`);
    try {
      const written = await copyToCache(store, cache, [fx.outPath], { onProgress: () => {} });
      expect(written).toHaveLength(6);
      expect(server.requests.filter((r) => r.startsWith("PUT"))).toHaveLength(1 + 6 + 6);
      nixCopyTo(fx, `file://${dir}/nix-http-ref?secret-key=${skFile}`, [fx.outPath]);
      expectSameCache(join(served, "cache"), join(dir, "nix-http-ref"), { dirs: false });
      const z = join(dir, "nix-z");
      await runAsync("nix", ["copy", "--store", z, "--from", `${server.url}/cache`, "--trusted-public-keys", pk, fx.outPath]);
      expect(run("nix", ["store", "verify", "--store", z, "--trusted-public-keys", pk, "-r", fx.outPath])).toBe("");
    } finally {
      cache.close();
      store.close();
      await server.close();
    }
  });

  it("nixoci store copy --from a cache into a fresh store; usage errors", () => {
    const root = join(dir, "from-cli");
    nixoci(["store", "copy", "--store", root, "--from", `file://${dir}/ours-for-nix`, "--trusted-public-keys", fx.publicKey, fx.outPath]);
    expect(nixoci(["store", "query", "--store", root, "--requisites", fx.outPath]).trim().split("\n")).toHaveLength(6);
    expect(() => nixoci(["store", "copy", "--store", join(dir, "from-cli-2"), "--from", `file://${dir}/ours-for-nix`, fx.outPath])).toThrow(
      /is not signed by any of the keys in 'trusted-public-keys'/,
    );
    expect(() => nixoci(["store", "copy", fx.outPath])).toThrow(/exactly one of --to and --from/);
  });
});

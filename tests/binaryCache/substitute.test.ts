/**
 * Substitution from caches written by Nix 2.8 (`nix copy --to file://…`,
 * signed / unsigned, xz / none / zstd / bzip2), served over HTTP on 127.0.0.1 and read
 * as file://: the closure lands in a fresh nixoci store with exactly Nix's
 * narHash, narSize, references and deriver.
 */
import { cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, buildDerivations } from "../../src/store/index.js";
import { Substituter } from "../../src/store/binaryCache/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { FIXTURE, buildFixtureWithNix, nixCopyTo, nixPathInfo, removeDir, run, serveDir, tempDir, type NixFixture, type StaticServer } from "./helpers.js";

const quiet = () => {};
const sri = (h: string) => printHash(parseHashAny(h, "sha256"), "sri", true);

describe.skipIf(!haveTools("nix", "nix-store", "xz", "zstd", "bzip2"))("substitute from caches written by Nix 2.8", () => {
  let dir: string;
  let fx: NixFixture;
  let server: StaticServer;
  let expected: Map<string, { narHash: string; narSize: number; references: string[]; deriver?: string }>;

  beforeAll(() => {
    dir = tempDir("subst");
    fx = buildFixtureWithNix(dir);
    nixCopyTo(fx, `file://${dir}/signed?secret-key=${fx.secretKeyFile}`, [fx.outPath]);
    nixCopyTo(fx, `file://${dir}/signed?secret-key=${fx.secretKeyFile}`, [fx.drvPath], true);
    for (const c of ["none", "zstd", "bzip2"]) nixCopyTo(fx, `file://${dir}/unsigned-${c}?compression=${c}`, [fx.outPath]);
    expected = new Map(nixPathInfo(fx.nixRoot, [fx.outPath]).map((i) => [i.path, i]));
    expect(expected.size).toBe(6);
  });
  beforeAll(async () => {
    server = await serveDir(dir);
  });
  afterAll(async () => {
    await server?.close();
    removeDir(dir);
  });

  function expectSameAsNix(store: LocalStore) {
    for (const [path, info] of expected) {
      const ours = store.queryPathInfo(path);
      expect(sri(ours.narHash), path).toBe(info.narHash);
      expect(ours.narSize, path).toBe(info.narSize);
      expect([...ours.references].sort(), path).toEqual([...info.references].sort());
      expect(ours.deriver, path).toBe(info.deriver);
    }
  }

  function storeTemps(store: LocalStore): string[] {
    return readdirSync(store.location.realStoreDir).filter((e) => e.startsWith("."));
  }

  it("signed xz cache over http: the closure equals Nix's path infos, with the cache's signatures", async () => {
    const store = new LocalStore({ root: join(dir, "s1") });
    const lines: string[] = [];
    const sub = new Substituter({ substituters: [`${server.url}/signed`], trustedPublicKeys: [fx.publicKey], onProgress: (l) => lines.push(l) });
    try {
      const fetched = await sub.substitute(store, [fx.outPath]);
      expect(fetched.sort()).toEqual([...expected.keys()].sort());
      expectSameAsNix(store);
      expect(store.queryPathInfo(fx.outPath).sigs).toHaveLength(1);
      expect(store.queryPathInfo(fx.outPath).sigs[0]).toMatch(/^nixoci-test-1:/);
      expect(lines).toContain(`copying path '${fx.outPath}' from '${server.url}/signed'...`);
      expect(storeTemps(store)).toEqual([]);
      // Already valid: nothing to fetch.
      expect(await sub.substitute(store, [fx.outPath])).toEqual([]);
    } finally {
      sub.close();
      store.close();
    }
    // Nix reads the store we wrote: its own verification of every path's contents passes.
    const check = run("nix", ["store", "verify", "--store", join(dir, "s1"), "--no-trust", "-r", fx.outPath]);
    expect(check).toBe("");
  });

  for (const c of ["none", "zstd", "bzip2"])
    it(`unsigned ${c} cache with require-sigs = false (file:// and http)`, async () => {
      for (const url of [`file://${dir}/unsigned-${c}`, `${server.url}/unsigned-${c}`]) {
        const root = join(dir, `s-${c}-${url.startsWith("file") ? "file" : "http"}`);
        const store = new LocalStore({ root });
        const sub = new Substituter({ substituters: [url], requireSigs: false, onProgress: quiet });
        try {
          await sub.substitute(store, [fx.outPath]);
          expectSameAsNix(store);
        } finally {
          sub.close();
          store.close();
        }
      }
    });

  it(".drv files are content-addressed: trusted without a signature, and the build is then substituted", async () => {
    const store = new LocalStore({ root: join(dir, "s-drv") });
    const sub = new Substituter({ substituters: [`${server.url}/signed`], trustedPublicKeys: [], onProgress: quiet });
    try {
      await sub.substitute(store, [fx.drvPath]);
      expect(store.isValidPath(fx.drvPath)).toBe(true);
      expect(store.queryPathInfo(fx.drvPath).ca).toMatch(/^text:sha256:/);
      // No trusted key for the outputs: buildDerivations would build; with the key, outputs are fetched.
      const withKey = new Substituter({ substituters: [`${server.url}/signed`], trustedPublicKeys: [fx.publicKey], onProgress: quiet });
      let built = 0;
      const results = await buildDerivations(store, [fx.drvPath], { substituter: withKey, onBuildStart: () => built++ });
      withKey.close();
      expect(built).toBe(0);
      expect(results.get(fx.drvPath)!.get("out")).toBe(fx.outPath);
      expectSameAsNix(store);
    } finally {
      sub.close();
      store.close();
    }
  });

  it("several caches: one without the path is skipped; of two that have it, the lower Priority wins", async () => {
    // Without a Priority line a cache has Nix's default 0, which beats every cache that has one.
    for (const [name, prio] of [["signed-prio", 10], ["signed-30", 30]] as const) {
      cpSync(join(dir, "signed"), join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, "nix-cache-info"), `StoreDir: /nix/store\nPriority: ${prio}\n`);
    }
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "empty", "nix-cache-info"), "StoreDir: /nix/store\n");
    const store = new LocalStore({ root: join(dir, "s-multi") });
    const lines: string[] = [];
    const caches = [`${server.url}/empty`, `${server.url}/signed-30`, `file://${dir}/signed-prio`];
    const sub = new Substituter({ substituters: caches, trustedPublicKeys: [fx.publicKey], onProgress: (l) => lines.push(l) });
    try {
      await sub.substitute(store, [fx.outPath]);
      expect(lines).toHaveLength(6);
      for (const l of lines) expect(l).toMatch(new RegExp(`from 'file://${dir}/signed-prio'\\.\\.\\.$`));
      expectSameAsNix(store);
    } finally {
      sub.close();
      store.close();
    }
  });

  // (Only bc-big and bc-self: nixoci's sandbox cannot yet bind an input whose store object is a symlink, bc-link.)
  it("substituted outputs equal outputs nixoci builds itself", async () => {
    const local = new LocalStore({ root: join(dir, "s-built") });
    const sub = new Substituter({ substituters: [`${server.url}/signed`], trustedPublicKeys: [fx.publicKey], onProgress: quiet });
    try {
      const drvs = ["big", "self"].map((a) => run("nix-instantiate", ["--store", fx.nixRoot, FIXTURE, "-A", a]).trim());
      await sub.substitute(local, drvs); // only the .drv closures; outputs are built below
      let built = 0;
      const results = await buildDerivations(local, drvs, { onBuildStart: () => built++ });
      expect(built).toBe(3);
      for (const d of drvs) {
        const out = results.get(d)!.get("out")!;
        expect(sri(local.queryPathInfo(out).narHash)).toBe(expected.get(out)!.narHash);
        expect(local.queryPathInfo(out).narSize).toBe(expected.get(out)!.narSize);
      }
    } finally {
      sub.close();
      local.close();
    }
  });
});

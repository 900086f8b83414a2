/**
 * Refusals: a tampered NAR (compressed or not, with or without a matching
 * FileHash), a wrong signature, no trusted key, a cache for another store
 * dir, a missing path. Each is a typed error naming the cache and the path,
 * and leaves nothing registered and no temp object in the store.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/store/index.js";
import {
  BinaryCacheError,
  CacheIntegrityError,
  Substituter,
  SubstituteNotFoundError,
  UntrustedNarInfoError,
} from "../../src/store/binaryCache/index.js";
import { generateSecretKey, hashData, parseNarInfo, signNarInfo, writeNarInfo } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { buildFixtureWithNix, nixCopyTo, removeDir, serveDir, tempDir, type NixFixture, type StaticServer } from "./helpers.js";

const quiet = () => {};

describe.skipIf(!haveTools("nix", "nix-store", "xz"))("refusing corrupt or untrusted substitutes", () => {
  let dir: string;
  let fx: NixFixture;
  let server: StaticServer;
  let bigPath: string;
  let n = 0;

  beforeAll(async () => {
    dir = tempDir("reject");
    fx = buildFixtureWithNix(dir);
    nixCopyTo(fx, `file://${dir}/xz?secret-key=${fx.secretKeyFile}`, [fx.outPath]);
    nixCopyTo(fx, `file://${dir}/none?compression=none&secret-key=${fx.secretKeyFile}`, [fx.outPath]);
    const bigInfo = readdirSync(join(dir, "none")).find((f) => f.endsWith(".narinfo") && readFileSync(join(dir, "none", f), "utf8").includes("-bc-big\n"))!;
    bigPath = parseNarInfo(readFileSync(join(dir, "none", bigInfo), "utf8")).storePath;
    server = await serveDir(dir);
  });
  afterAll(async () => {
    await server?.close();
    removeDir(dir);
  });

  /** A copy of cache `from` in which `edit` changes the files of bc-big. */
  function tampered(from: string, edit: (cache: string, narinfoFile: string) => void): string {
    const name = `${from}-tampered-${n++}`;
    cpSync(join(dir, from), join(dir, name), { recursive: true });
    const narinfo = join(dir, name, `${bigPath.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`);
    edit(join(dir, name), narinfo);
    return name;
  }

  async function attempt(cache: string, keys = [fx.publicKey]): Promise<{ error: unknown; store: LocalStore; requests: string[] }> {
    const store = new LocalStore({ root: join(dir, `store-${n++}`) });
    const sub = new Substituter({ substituters: [`${server.url}/${cache}`], trustedPublicKeys: keys, onProgress: quiet });
    const before = server.requests.length;
    let error: unknown;
    try {
      await sub.substitute(store, [fx.outPath]);
    } catch (e) {
      error = e;
    } finally {
      sub.close();
    }
    return { error, store, requests: server.requests.slice(before) };
  }

  function expectNothingOf(store: LocalStore, paths: string[]) {
    for (const p of paths) expect(store.isValidPath(p), p).toBe(false);
    expect(readdirSync(store.location.realStoreDir).filter((e) => e.startsWith(".") || e.includes("bc-big") || e.includes("bc-top"))).toEqual([]);
    store.close();
  }

  const flipMiddleByte = (file: string) => {
    const b = readFileSync(file);
    b[b.length >> 1] ^= 0x01;
    writeFileSync(file, b);
  };
  const narFileOf = (cache: string, narinfo: string) => join(cache, parseNarInfo(readFileSync(narinfo, "utf8")).url);

  it("a flipped byte in an uncompressed NAR: FileHash mismatch", async () => {
    const cache = tampered("none", (c, ni) => flipMiddleByte(narFileOf(c, ni)));
    const { error, store } = await attempt(cache);
    expect(error).toBeInstanceOf(CacheIntegrityError);
    expect((error as CacheIntegrityError).storePath).toBe(bigPath);
    expect((error as CacheIntegrityError).cacheUrl).toBe(`${server.url}/${cache}`);
    expect((error as Error).message).toContain("file hash mismatch");
    expect((error as Error).message).toContain(bigPath);
    expectNothingOf(store, [bigPath, fx.outPath]);
  });

  it("a flipped byte with FileHash/FileSize updated to match (the signature does not cover them): NarHash mismatch", async () => {
    const cache = tampered("none", (c, ni) => {
      const nar = narFileOf(c, ni);
      flipMiddleByte(nar);
      const info = parseNarInfo(readFileSync(ni, "utf8"));
      writeFileSync(ni, writeNarInfo({ ...info, fileHash: hashData("sha256", readFileSync(nar)) }));
    });
    const { error, store } = await attempt(cache);
    expect(error).toBeInstanceOf(CacheIntegrityError);
    expect((error as Error).message).toContain("NAR hash mismatch");
    expectNothingOf(store, [bigPath, fx.outPath]);
  });

  it("a flipped byte in an xz NAR: refused (corrupt stream or hash mismatch)", async () => {
    const cache = tampered("xz", (c, ni) => flipMiddleByte(narFileOf(c, ni)));
    const { error, store } = await attempt(cache);
    expect(error).toBeInstanceOf(CacheIntegrityError);
    expect((error as CacheIntegrityError).storePath).toBe(bigPath);
    expectNothingOf(store, [bigPath, fx.outPath]);
  });

  it("an unsupported Compression: refused with the cache and path named", async () => {
    const cache = tampered("xz", (_c, ni) => writeFileSync(ni, readFileSync(ni, "utf8").replace("Compression: xz", "Compression: br")));
    const { error, store } = await attempt(cache);
    expect(error).toBeInstanceOf(BinaryCacheError);
    expect((error as BinaryCacheError).storePath).toBe(bigPath);
    expect((error as Error).message).toBe(`cannot substitute path '${bigPath}' from '${server.url}/${cache}': unknown compression method 'br'`);
    expectNothingOf(store, [bigPath, fx.outPath]);
  });

  it("a narinfo whose NarHash was changed and re-signed with another key of the same name: untrusted, nothing downloaded", async () => {
    const other = generateSecretKey("nixoci-test-1");
    const cache = tampered("xz", (_c, ni) => {
      const info = parseNarInfo(readFileSync(ni, "utf8"));
      const forged = { ...info, narHash: hashData("sha256", "forged"), sigs: [] };
      writeFileSync(ni, writeNarInfo(signNarInfo(forged, other)));
    });
    const { error, store, requests } = await attempt(cache);
    expect(error).toBeInstanceOf(UntrustedNarInfoError);
    expect((error as Error).message).toBe(
      `the substitute for '${bigPath}' from '${server.url}/${cache}' is not signed by any of the keys in 'trusted-public-keys'`,
    );
    expect(requests.filter((r) => r.includes("/nar/"))).toEqual([]);
    expectNothingOf(store, [bigPath, fx.outPath]);
  });

  it("no trusted key (require-sigs): untrusted; without require-sigs it is accepted", async () => {
    const { error, store } = await attempt("xz", []);
    expect(error).toBeInstanceOf(UntrustedNarInfoError);
    expectNothingOf(store, [fx.outPath]);
    const ok = new LocalStore({ root: join(dir, "store-nosigs") });
    const sub = new Substituter({ substituters: [`${server.url}/xz`], requireSigs: false, onProgress: quiet });
    await sub.substitute(ok, [fx.outPath]);
    sub.close();
    expect(ok.isValidPath(fx.outPath)).toBe(true);
    ok.close();
  });

  it("a cache for another store dir, a missing path", async () => {
    const cache = tampered("xz", (c) => writeFileSync(join(c, "nix-cache-info"), "StoreDir: /gnu/store\n"));
    const { error, store } = await attempt(cache);
    expect(error).toBeInstanceOf(BinaryCacheError);
    expect((error as Error).message).toBe(`binary cache '${server.url}/${cache}' is for Nix stores with prefix '/gnu/store', not '/nix/store'`);
    store.close();
    // As Nix's configured substituters: with skipBrokenCaches the bad cache (and a refused port) are skipped with a warning.
    const lines: string[] = [];
    const caches = [`${server.url}/${cache}`, "http://127.0.0.1:1", `${server.url}/xz`];
    const sub = new Substituter({ substituters: caches, trustedPublicKeys: [fx.publicKey], skipBrokenCaches: true, onProgress: (l) => lines.push(l) });
    const ok = new LocalStore({ root: join(dir, "store-skip") });
    await sub.substitute(ok, [fx.outPath]);
    sub.close();
    expect(ok.isValidPath(fx.outPath)).toBe(true);
    ok.close();
    // Reported as each cache fails (in no fixed order).
    const warnings = lines.filter((l) => l.startsWith("warning: ignoring substituter"));
    expect(warnings).toHaveLength(2);
    expect(warnings).toContain(
      `warning: ignoring substituter '${server.url}/${cache}': binary cache '${server.url}/${cache}' is for Nix stores with prefix '/gnu/store', not '/nix/store'`,
    );
    const refused = warnings.find((w) => w.startsWith("warning: ignoring substituter 'http://127.0.0.1:1': GET 'http://127.0.0.1:1/nix-cache-info' failed:"));
    expect(refused).toContain("ECONNREFUSED");

    const missing = tampered("xz", (_c, ni) => removeDir(ni));
    const r = await attempt(missing);
    expect(r.error).toBeInstanceOf(SubstituteNotFoundError);
    expect((r.error as SubstituteNotFoundError).storePath).toBe(bigPath);
    expectNothingOf(r.store, [fx.outPath]);
  });

});

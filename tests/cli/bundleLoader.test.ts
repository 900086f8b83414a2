// bin/bundleLoader.cjs: the CLI's CommonJS bundles load from V8's code cache that scripts/bundle.mjs
// wrote, and from source alone when that cache is missing or made for another source.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const { loadBundle } = require("../../bin/bundleLoader.cjs") as {
  loadBundle(file: string): { exports: Record<string, unknown>; cacheUsed: boolean; writeCache(): void };
};
const bundles = new URL("../../dist/bundle/", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "nixoci-bundle-loader-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("bundleLoader", () => {
  it.each(["noopBuild", "instantiate", "pushPlain"])("the build wrote a code cache for %s.cjs that V8 takes", (name) => {
    const b = loadBundle(join(bundles, `${name}.cjs`));
    expect(b.cacheUsed).toBe(true);
    expect(Object.keys(b.exports).length).toBeGreaterThan(0);
    expect(require.cache[join(bundles, `${name}.cjs`)]?.exports).toBe(b.exports);
  });

  it("a bundle without a cache, or with a cache for another source, loads from source", () => {
    // (instantiate.cjs reads no file beside it while loading, so a copy elsewhere runs.)
    const file = join(tmp, "copy.cjs");
    copyFileSync(join(bundles, "instantiate.cjs"), file);
    expect(loadBundle(file)).toMatchObject({ cacheUsed: false });
    // The cache of the real bundle, under an edited copy of it (same length, other hash comment).
    const source = readFileSync(file, "utf8");
    writeFileSync(file, source.slice(0, -64) + "0".repeat(64));
    copyFileSync(join(bundles, "instantiate.cjs.cache"), `${file}.cache`);
    const b = loadBundle(file);
    expect(b.cacheUsed).toBe(false);
    expect(typeof b.exports.instantiatePlain).toBe("function");
    // writeCache stores a cache for this source, which the next load takes.
    b.writeCache();
    expect(loadBundle(file).cacheUsed).toBe(true);
  });

  it("a cache V8 rejects (corrupt data) leaves the bundle working", () => {
    const file = join(tmp, "instantiate.cjs");
    copyFileSync(join(bundles, "instantiate.cjs"), file);
    const cache = readFileSync(join(bundles, "instantiate.cjs.cache"));
    writeFileSync(`${file}.cache`, Buffer.concat([cache.subarray(0, 32), Buffer.alloc(cache.length - 32, 7)]));
    const b = loadBundle(file);
    expect(b.cacheUsed).toBe(false);
    expect(typeof b.exports.instantiatePlain).toBe("function");
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EvalCache, flakeFingerprint } from "../../src/evaluator/flake/evalCache.js";

describe("evaluation cache", () => {
  it("stores and returns values per fingerprint and key, across processes (reopened file)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "evalcache-")), "c.sqlite");
    const fp = flakeFingerprint({ rootNarHash: "sha256-AAA=", lockText: "{}", extra: ["x86_64-linux"] });
    const a = new EvalCache(file);
    expect(a.get(fp, "packages.x86_64-linux.default")).toBeUndefined();
    a.put(fp, "packages.x86_64-linux.default", { drvPath: "/nix/store/x.drv", outputs: { out: "/nix/store/y" } });
    a.close();
    const b = new EvalCache(file);
    expect(b.get(fp, "packages.x86_64-linux.default")).toEqual({ drvPath: "/nix/store/x.drv", outputs: { out: "/nix/store/y" } });
    expect(b.get(fp, "other")).toBeUndefined();
    b.close();
  });

  it("changes the fingerprint when the source, the lock, the subdirectory or the system changes", () => {
    const base = { rootNarHash: "sha256-AAA=", lockText: "{}", dir: "a", extra: ["x86_64-linux"] };
    const fp = flakeFingerprint(base);
    expect(flakeFingerprint({ ...base })).toBe(fp);
    expect(flakeFingerprint({ ...base, rootNarHash: "sha256-BBB=" })).not.toBe(fp);
    expect(flakeFingerprint({ ...base, lockText: '{"x":1}' })).not.toBe(fp);
    expect(flakeFingerprint({ ...base, dir: "b" })).not.toBe(fp);
    expect(flakeFingerprint({ ...base, extra: ["aarch64-linux"] })).not.toBe(fp);
  });
});

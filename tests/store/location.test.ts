import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultStoreRoot, storeLocationAt } from "../../src/store/index.js";

describe("store location", () => {
  it("lays a chroot store out as Nix does (--store DIR)", () => {
    expect(storeLocationAt("/tmp/x/")).toMatchObject({
      root: "/tmp/x",
      realStoreDir: "/tmp/x/nix/store",
      stateDir: "/tmp/x/nix/var/nix",
      logDir: "/tmp/x/nix/var/log/nix",
    });
    expect(storeLocationAt("/").realStoreDir).toBe("/nix/store");
  });

  it("takes --store, then NIXOCI_STORE, and never shares /nix/store with a real Nix database", () => {
    expect(defaultStoreRoot("/a", { NIXOCI_STORE: "/b" })).toBe("/a");
    expect(defaultStoreRoot(undefined, { NIXOCI_STORE: "/b" })).toBe("/b");
    const fallback = defaultStoreRoot(undefined, { XDG_DATA_HOME: "/data", HOME: "/home/u" });
    if (existsSync("/nix/var/nix/db")) expect(fallback).toBe("/data/nixoci/store");
    expect(defaultStoreRoot(undefined, { HOME: "/home/u" })).toMatch(/^(\/|\/home\/u\/\.local\/share\/nixoci\/store)$/);
  });
});

/** nixoci.conf parsing (nix.conf syntax), flag precedence, cache URLs and nix-cache-info. */
import { describe, expect, it } from "vitest";
import {
  CacheConfigError,
  parseCacheInfo,
  parseCacheUrl,
  parseConfig,
  resolveSettings,
  writeCacheInfo,
} from "../../src/store/binaryCache/index.js";

describe("substituter settings", () => {
  const conf = parseConfig(
    [
      "# comment",
      "substituters = https://a.example  file:///b # trailing comment",
      "extra-substituters = http://c",
      "trusted-public-keys = k1:AAAA",
      "extra-trusted-public-keys = k2:BBBB",
      "require-sigs = false",
      "max-jobs = 4",
      "",
    ].join("\n"),
  );

  it("reads lists, extra- settings and booleans; ignores other settings", () => {
    expect(conf).toEqual({ substituters: ["https://a.example", "file:///b", "http://c"], trustedPublicKeys: ["k1:AAAA", "k2:BBBB"], requireSigs: false });
  });

  it("flags override the file; no file means no substituters and require-sigs on", () => {
    expect(resolveSettings({ substituters: "http://x http://y" }, conf).substituters).toEqual(["http://x", "http://y"]);
    expect(resolveSettings({ requireSigs: true }, conf).requireSigs).toBe(true);
    expect(resolveSettings({}, conf).trustedPublicKeys).toEqual(["k1:AAAA", "k2:BBBB"]);
    expect(resolveSettings({}, parseConfig(""))).toEqual({ substituters: [], trustedPublicKeys: [], requireSigs: true });
  });

  it("rejects malformed lines and booleans", () => {
    expect(() => parseConfig("substituters")).toThrow(CacheConfigError);
    expect(() => parseConfig("require-sigs = maybe")).toThrow(/invalid value 'maybe'/);
  });
});

describe("cache URLs and nix-cache-info", () => {
  it("splits parameters off and normalises the URI as Nix prints it", () => {
    const u = parseCacheUrl("file:///tmp/c/?compression=none&secret-key=/k");
    expect(u).toMatchObject({ uri: "file:///tmp/c", scheme: "file", path: "/tmp/c" });
    expect(Object.fromEntries(u.params)).toEqual({ compression: "none", "secret-key": "/k" });
    expect(parseCacheUrl("https://cache.example.org/prefix").uri).toBe("https://cache.example.org/prefix");
    expect(() => parseCacheUrl("s3://bucket")).toThrow(CacheConfigError);
  });

  it("nix-cache-info as Nix 2.8 reads and writes it", () => {
    expect(writeCacheInfo("/nix/store")).toBe("StoreDir: /nix/store\n");
    expect(parseCacheInfo("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\nbogus\n")).toEqual({
      storeDir: "/nix/store",
      wantMassQuery: true,
      priority: 40,
    });
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  countValidSignatures,
  formatKey,
  generateSecretKey,
  hashData,
  narInfoFingerprint,
  NarInfoParseError,
  parseNarInfo,
  parsePublicKey,
  parseSecretKey,
  printHash,
  publicKeyOf,
  signDetached,
  signNarInfo,
  SignatureKeyError,
  verifyDetached,
  writeNarInfo,
} from "../../src/store/format/index.js";

// Written by Nix 2.8's `nix copy --to file://` (tests/fixtures/format/generate-narinfo.sh).
const dir = new URL("../fixtures/format/narinfo/", import.meta.url).pathname;
const read = (p: string) => readFileSync(join(dir, p), "utf8");
const files = (sub: string) => readdirSync(join(dir, sub)).filter((f) => f.endsWith(".narinfo")).map((f) => `${sub}/${f}`);
const secret = parseSecretKey(read("secret-key"));
const pub = parsePublicKey(read("public-key"));
const pathInfo = JSON.parse(read("path-info.json")) as { path: string; narHash: string; narSize: number; references: string[] }[];

describe("narinfo from nix copy round-trips byte-identically", () => {
  it.each([...files("signed"), ...files("unsigned")].map((f) => [f]))("%s", (f) => {
    const text = read(f);
    const info = parseNarInfo(text, { source: f });
    expect(writeNarInfo(info)).toBe(text);
    const pi = pathInfo.find((p) => p.path === info.storePath)!;
    expect(printHash(info.narHash, "sri")).toBe(pi.narHash);
    expect(info.narSize).toBe(pi.narSize);
    expect(info.references.map((r) => `/nix/store/${r}`)).toEqual(pi.references);
  });

  it("unsigned, uncompressed caches: FileHash and NarHash are the hash of the NAR file", () => {
    for (const f of files("unsigned")) {
      const info = parseNarInfo(read(f));
      const nar = readFileSync(join(dir, "unsigned", info.url.replace(/^nar\//, "")));
      expect(printHash(hashData("sha256", nar), "nix32")).toBe(printHash(info.narHash, "nix32"));
      expect(info.fileHash && printHash(info.fileHash, "nix32")).toBe(printHash(info.narHash, "nix32"));
      expect(nar.length).toBe(info.narSize);
      expect(info.sigs).toEqual([]);
    }
  });

  it("empty References keeps its trailing space", () => {
    const empty = [...files("signed")].map(read).find((t) => t.includes("References: \n"));
    expect(empty).toBeDefined();
    expect(writeNarInfo(parseNarInfo(empty!))).toContain("References: \n");
  });
});

describe("signatures", () => {
  it("keys parse and the public key derives from the secret key", () => {
    expect(formatKey(publicKeyOf(secret))).toBe(read("public-key").trim());
    expect(formatKey(secret)).toBe(read("secret-key").trim());
  });

  it.each(files("signed").map((f) => [f]))("%s: Nix's signature verifies, and ours is identical", (f) => {
    const info = parseNarInfo(read(f));
    expect(info.sigs).toHaveLength(1);
    expect(verifyDetached(narInfoFingerprint(info), info.sigs[0]!, [pub])).toBe(true);
    expect(countValidSignatures(info, [pub])).toBe(1);
    // ed25519 is deterministic: re-signing the fingerprint gives Nix's exact signature.
    expect(signNarInfo({ ...info, sigs: [] }, secret).sigs).toEqual(info.sigs);
  });

  it("rejects tampered data and unknown keys", () => {
    const info = parseNarInfo(read(files("signed")[0]!));
    expect(countValidSignatures({ ...info, narSize: info.narSize + 1 }, [pub])).toBe(0);
    const other = generateSecretKey("test-key-1");
    expect(countValidSignatures(info, [publicKeyOf(other)])).toBe(0);
    expect(verifyDetached("x", signDetached(other, "x"), [publicKeyOf(other)])).toBe(true);
    expect(verifyDetached("x", "nobody:AAAA", [pub])).toBe(false);
    expect(() => verifyDetached("x", "test-key-1:AAAA", [pub])).toThrow(SignatureKeyError);
  });

  it("fingerprint format", () => {
    const info = parseNarInfo(read(files("signed").find((f) => read(f).includes("self-ref"))!));
    const fp = narInfoFingerprint(info);
    expect(fp.startsWith(`1;${info.storePath};sha256:`)).toBe(true);
    expect(fp.split(";")[4]!.split(",")).toEqual(info.references.map((r) => `/nix/store/${r}`));
  });

  it("malformed keys are typed errors", () => {
    expect(() => parseSecretKey("nocolon")).toThrow(SignatureKeyError);
    expect(() => parseSecretKey("name:AAAA")).toThrow("secret key is not valid");
    expect(() => parsePublicKey(":AAAA")).toThrow("public key is corrupt");
  });
});

describe("malformed narinfo gives typed errors with line numbers", () => {
  const good = read(files("signed")[0]!);
  const lines = good.split("\n");
  const withLine = (i: number, l: string) => lines.map((x, j) => (j === i ? l : x)).join("\n");
  it.each([
    ["bad NarHash", withLine(5, "NarHash: sha256:nothash"), 6],
    ["bad NarSize", withLine(6, "NarSize: 12x"), 7],
    ["no colon", withLine(2, "Compression xz"), 3],
    ["bad reference", withLine(7, "References: not-a-path"), 8],
    ["bad store path", withLine(0, "StorePath: /tmp/x"), 1],
    ["missing newline", good.slice(0, -1), lines.length - 1],
  ])("%s", (_, text, line) => {
    let err: unknown;
    try {
      parseNarInfo(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NarInfoParseError);
    expect((err as NarInfoParseError).line).toBe(line);
  });
  it("missing required fields", () => {
    expect(() => parseNarInfo(lines.filter((l) => !l.startsWith("URL")).join("\n"))).toThrow("missing URL");
  });
});

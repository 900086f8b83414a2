import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blobFile, writeLayerBlob } from "../../src/oci/layerBlob.js";
import { LayerCache } from "../../src/oci/layerCache.js";
import { LayerInputError, storePathEntries, type TarEntry } from "../../src/oci/tarEntries.js";
import { makeClosure, BUSYBOX, DATA, HELLO } from "./closure.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "nixoci-layer-"));
const sha = (file: string, decompress = false): string =>
  `sha256:${execFileSync("sh", ["-c", decompress ? `gzip -dc "$1" | sha256sum` : `sha256sum < "$1"`, "sh", file]).toString().split(" ")[0]}`;

describe("layer tar", () => {
  const closure = makeClosure();

  it("is a tar GNU tar reads: sorted, root-owned, fixed mtime, hard links, symlinks, long names", async () => {
    const out = tmp();
    const info = await writeLayerBlob(storePathEntries([HELLO, DATA, BUSYBOX], closure.roots), out, { mtime: 1700000000 });
    const file = blobFile(out, info.digest);
    expect(sha(file)).toBe(info.digest);
    expect(sha(file, true)).toBe(info.diffId);
    expect(info.size).toBe(readFileSync(file).length);

    const listing = execFileSync("tar", ["-tvzf", file, "--numeric-owner", "--full-time", "--quoting-style=literal"], { env: { TZ: "UTC" } })
      .toString()
      .trim()
      .split("\n");
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(" "));
    expect(names.slice(0, 3)).toEqual(["nix/", "nix/store/", `${BUSYBOX.slice(1)}/`]);
    expect(names).toContain(`${BUSYBOX.slice(1)}/bin/sh -> busybox`);
    expect(names).toContain(`${DATA.slice(1)}/second link to ${DATA.slice(1)}/first`);
    expect(names.some((n) => n.endsWith(`${"long-name-".repeat(12)}.txt`))).toBe(true);
    expect(names).toContain(`${DATA.slice(1)}/unicodé-ñame`);
    // Paths are in order, parents first.
    const paths = names.map((n) => n.split(" ")[0]!);
    const idx = (p: string): number => paths.indexOf(p);
    expect(idx(`${BUSYBOX.slice(1)}/`)).toBeLessThan(idx(`${HELLO.slice(1)}/`));
    expect(idx(`${HELLO.slice(1)}/`)).toBeLessThan(idx(`${DATA.slice(1)}/`));
    for (const l of listing) {
      expect(l).toMatch(/^[-dlh][-rwxsStT]{9} 0\/0 /);
      expect(l).toContain("2023-11-14 22:13:20");
    }
    expect(listing.find((l) => l.endsWith("bin/busybox"))).toMatch(/^-r-xr-xr-x /);
    // Owner names are root, not the host's.
    const verbose = execFileSync("tar", ["-tvzf", file]).toString();
    expect(verbose.split("\n").filter((l) => l !== "").every((l) => l.includes(" root/root "))).toBe(true);
  });

  it("gives the same bytes for the same input from another place and another time", async () => {
    const a = await writeLayerBlob(storePathEntries([HELLO, BUSYBOX], closure.roots), tmp(), { mtime: 1 });
    const other = makeClosure();
    const b = await writeLayerBlob(storePathEntries([BUSYBOX, HELLO], other.roots), tmp(), { mtime: 1 });
    expect(b).toEqual(a);
    const c = await writeLayerBlob(storePathEntries([BUSYBOX, HELLO], other.roots), tmp(), { mtime: 2 });
    expect(c.digest).not.toBe(a.digest);
  });

  it("supports zstd and uncompressed layers", async () => {
    const out = tmp();
    const z = await writeLayerBlob(storePathEntries([HELLO], closure.roots), out, { compression: "zstd" });
    const n = await writeLayerBlob(storePathEntries([HELLO], closure.roots), out, { compression: "none" });
    expect(z.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
    expect(n.mediaType).toBe("application/vnd.oci.image.layer.v1.tar");
    expect(z.diffId).toBe(n.diffId);
    expect(n.digest).toBe(n.diffId);
    const zsum = execFileSync("sh", ["-c", `zstd -dc "$1" | sha256sum`, "sh", blobFile(out, z.digest)]).toString().split(" ")[0];
    expect(`sha256:${zsum}`).toBe(z.diffId);
  });

  it("fails with a typed error for a missing path or a special file and leaves no blob", async () => {
    const out = tmp();
    await expect(writeLayerBlob(storePathEntries(["/nix/store/zzz-missing"], closure.roots), out)).rejects.toThrow(LayerInputError);
    // Root can read a mode-000 file, so use what no user can pack: a FIFO inside a store path.
    const c2 = makeClosure();
    execFileSync("mkfifo", [join(c2.storeRoot, HELLO.slice("/nix/store/".length), "etc", "pipe")]);
    await expect(writeLayerBlob(storePathEntries([HELLO], c2.roots), out)).rejects.toThrow(/etc\/pipe.*not a regular file/);
    const left = existsSync(join(out, "sha256")) ? readdirSync(join(out, "sha256")) : [];
    expect(left).toEqual([]);
  });
});

describe("layer tar errors", () => {
  it("a file that cannot be opened ends the tar with a typed error naming it", async () => {
    async function* entries(): AsyncGenerator<TarEntry> {
      yield { type: "directory", path: "/x", mode: 0o755 };
      yield { type: "file", path: "/x/gone", mode: 0o644, size: 3, source: "/nonexistent/nixoci/gone" };
    }
    const out = tmp();
    const err = await writeLayerBlob(entries(), out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerInputError);
    expect((err as LayerInputError).message).toBe("cannot read '/nonexistent/nixoci/gone' (for /x/gone): ENOENT");
    expect(readdirSync(join(out, "sha256"))).toEqual([]);
  });
});

describe("layer cache", () => {
  const closure = makeClosure();

  it("tars a layer once and reuses it", async () => {
    const dir = tmp();
    const cache = new LayerCache(dir);
    const make = () => cache.layer({ paths: [HELLO] }, () => storePathEntries([HELLO], closure.roots));
    const first = await make();
    expect(cache.stats).toEqual({ built: 1, reused: 0 });
    const again = new LayerCache(dir);
    const second = await again.layer({ paths: [HELLO] }, () => {
      throw new Error("must not re-tar");
    });
    expect(again.stats).toEqual({ built: 0, reused: 1 });
    expect(await second.digest()).toBe(await first.digest());
    expect(await second.diffId()).toBe(await first.diffId());
  });
});

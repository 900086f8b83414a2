import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  narChunks,
  narHashPath,
  narHashPathSync,
  narOfContents,
  NarParseError,
  narStream,
  narStreamHashed,
  parseNar,
  printHash,
  unpackNar,
  type NarEntry,
} from "../../src/store/format/index.js";
import { hasTool } from "../helpers/tools.js";
import { pathVectors } from "./pathsFixture.js";

const fixtureTree = new URL("../fixtures/format/src-tree", import.meta.url).pathname;
// Nix 2.8's `nix-store --dump` of src-tree (tests/fixtures/format/generate-nar.sh).
const fixtureNar = readFileSync(new URL("../fixtures/format/src-tree.nar", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "nixoci-nar-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const collect = (path: string) => Buffer.concat([...narChunks(path)]);
const chunked = (b: Buffer, size: number) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
})());

/** A tree with every kind of entry and the awkward cases. */
function makeTree(root: string): void {
  mkdirSync(root);
  writeFileSync(join(root, "empty"), "");
  writeFileSync(join(root, "exe"), "#!/bin/sh\n");
  chmodSync(join(root, "exe"), 0o755);
  writeFileSync(join(root, "owner-exec-only"), "x");
  chmodSync(join(root, "owner-exec-only"), 0o700);
  writeFileSync(join(root, "group-exec-only"), "x");
  chmodSync(join(root, "group-exec-only"), 0o654);
  writeFileSync(join(root, "seven"), "1234567");
  writeFileSync(join(root, "eight"), "12345678");
  // 3 MiB + 3: crosses the serialiser's chunk size and needs padding.
  writeFileSync(join(root, "big"), Buffer.alloc(3 * 1024 * 1024 + 3, 0xab));
  // UTF-16 order differs from byte order for these two (surrogate pair vs U+FFFD).
  writeFileSync(join(root, "\u{1D11E}"), "clef");
  writeFileSync(join(root, "\uFFFD"), "replacement");
  writeFileSync(join(root, "ünïcødé"), "u");
  writeFileSync(join(root, "Upper"), "U");
  writeFileSync(join(root, "lower"), "l");
  writeFileSync(Buffer.from([...Buffer.from(root + "/"), 0xff, 0x41]), "not utf-8 name");
  symlinkSync("exe", join(root, "link"));
  symlinkSync("/does/not/exist", join(root, "dangling"));
  symlinkSync("ünï/" + "x".repeat(300), join(root, "long-target"));
  mkdirSync(join(root, "empty-dir"));
  let deep = join(root, "deep");
  for (let i = 0; i < 60; i++) deep = join(deep, `d${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "bottom"), "deep");
}

describe("NAR serialisation", () => {
  it("matches the committed Nix 2.8 dump of src-tree and its narHash", async () => {
    expect(collect(fixtureTree).equals(fixtureNar)).toBe(true);
    const tree = pathVectors.source.find((s) => s.case === "tree")!;
    const sync = narHashPathSync(fixtureTree);
    expect(printHash(sync.hash, "sri")).toBe(tree.narHash);
    expect(sync.size).toBe(tree.narSize);
    const async = await narHashPath(fixtureTree);
    expect(printHash(async.hash, "sri")).toBe(tree.narHash);
    const hashed = narStreamHashed(fixtureTree);
    expect(Buffer.concat(await hashed.stream.toArray()).equals(fixtureNar)).toBe(true);
    expect(printHash(hashed.result().hash, "sri")).toBe(tree.narHash);
    expect(hashed.result().size).toBe(fixtureNar.length);
  });

  it("filters entries like builtins.path (filter never sees the root)", () => {
    const filtered = pathVectors.source.find((s) => s.case === "filtered")!;
    const seen: string[] = [];
    const r = narHashPathSync(fixtureTree, { filter: (p, t) => (seen.push(p), t !== "symlink") });
    expect(printHash(r.hash, "sri")).toBe(filtered.narHash);
    expect(seen).not.toContain(fixtureTree);
    expect(seen).toContain(join(fixtureTree, "sub", "deeper", "a"));
  });

  it("narOfContents is the NAR of a single file", () => {
    expect(narOfContents("hello\n").equals(collect(join(fixtureTree, "hello.txt")))).toBe(true);
    expect(narOfContents("#!/bin/sh\necho hi\n", true).equals(collect(join(fixtureTree, "run.sh")))).toBe(true);
  });
});

describe.skipIf(!hasTool("nix-store"))("NAR byte-identical to live nix-store --dump", () => {
  const tree = join(work, "tree");
  makeTree(tree);
  const nixDump = (p: string) => execFileSync("nix-store", ["--dump", p], { maxBuffer: 1 << 26 });

  it("varied tree (all entry kinds, unicode and non-UTF-8 names, empty, deep, big)", async () => {
    const ours = Buffer.concat(await Readable.from(narStream(tree)).toArray());
    expect(ours.equals(nixDump(tree))).toBe(true);
    // Bounded memory: the 3 MiB file arrives in chunks of at most 1 MiB.
    expect(Math.max(...[...narChunks(tree)].map((c) => c.length))).toBeLessThanOrEqual(1 << 20);
  });

  it.each(["empty", "exe", "big", "link", "empty-dir", "owner-exec-only", "group-exec-only"])("single entry %s", (name) => {
    expect(collect(join(tree, name)).equals(nixDump(join(tree, name)))).toBe(true);
  });

  it("unpacking Nix's NAR and dumping again gives the same bytes", async () => {
    const nar = nixDump(tree);
    const dest = join(work, "unpacked");
    const r = await unpackNar(chunked(nar, 4093), dest);
    expect(r.size).toBe(nar.length);
    expect(nixDump(dest).equals(nar)).toBe(true);
    expect(statSync(join(dest, "exe")).mode & 0o111).toBe(0o111);
    expect(readlinkSync(join(dest, "dangling"))).toBe("/does/not/exist");
    expect(readdirSync(join(dest, "empty-dir"))).toEqual([]);
  });
});

describe("NAR parsing", () => {
  it("lists entries in order and streams contents", async () => {
    const entries: { type: string; path: string; size?: number; text?: string }[] = [];
    const nar = parseNar(chunked(fixtureNar, 7));
    for await (const e of nar) {
      const item: { type: string; path: string; size?: number; text?: string } = { type: e.type, path: e.path };
      if (e.type === "regular" && e.path === "hello.txt") item.text = Buffer.concat(await Readable.from(e.contents).toArray()).toString();
      entries.push(item);
    }
    expect(entries.map((e) => e.path)).toEqual([
      "", "empty", "hello.txt", "link", "run.sh", "sub", "sub/dangling", "sub/deeper", "sub/deeper/B", "sub/deeper/a", "sub/ünï name",
    ]);
    expect(entries.find((e) => e.path === "hello.txt")!.text).toBe("hello\n");
    expect(printHash(nar.result().hash, "sri")).toBe(pathVectors.source.find((s) => s.case === "tree")!.narHash);
  });

  async function parseError(bytes: Buffer): Promise<NarParseError> {
    try {
      for await (const e of parseNar(chunked(bytes, 5)) as AsyncIterable<NarEntry>) {
        if (e.type === "regular") for await (const _ of e.contents) void _;
      }
    } catch (err) {
      expect(err).toBeInstanceOf(NarParseError);
      return err as NarParseError;
    }
    throw new Error("no error");
  }

  const str = (s: string | Buffer) => {
    const b = typeof s === "string" ? Buffer.from(s) : s;
    const len = Buffer.alloc(8);
    len.writeUInt32LE(b.length);
    return Buffer.concat([len, b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
  };
  const nar = (...tokens: (string | Buffer)[]) => Buffer.concat(tokens.map(str));
  const dir = (...entries: [string, Buffer][]) =>
    Buffer.concat([nar("nix-archive-1", "(", "type", "directory"), ...entries.map(([n, node]) => Buffer.concat([nar("entry", "(", "name", n, "node"), node, nar(")")])), nar(")")]);
  const file = (c: string) => nar("(", "type", "regular", "contents", c, ")");

  it("our token builders reproduce a real NAR", () => {
    expect(nar("nix-archive-1").equals(fixtureNar.subarray(0, 24))).toBe(true);
  });

  it.each([
    ["bad magic", nar("nix-archive-2", "(", "type", "regular", ")"), 0, "doesn't look like a Nix archive"],
    ["not a NAR at all", Buffer.from("hello"), 0, "doesn't look like a Nix archive"],
    ["unsorted", dir(["b", file("1")], ["a", file("2")]), 0, "not sorted"],
    ["duplicate", dir(["a", file("1")], ["a", file("2")]), 0, "duplicate entry 'a'"],
    ["name with slash", dir(["a/b", file("1")]), 0, "invalid file name 'a/b'"],
    ["dot-dot name", dir(["..", file("1")]), 0, "invalid file name '..'"],
    ["unknown type", nar("nix-archive-1", "(", "type", "fifo", ")"), 0, "unknown file type fifo"],
    ["unknown field", nar("nix-archive-1", "(", "type", "regular", "mode", "x", ")"), 0, "unknown field mode"],
    ["trailing data", Buffer.concat([nar("nix-archive-1"), file("x"), Buffer.from("junk")]), 0, "trailing data"],
  ])("%s", async (_, bytes, _offset, message) => {
    const err = await parseError(bytes);
    expect(err.message).toContain(message);
  });

  it("reports the offset of bad padding", async () => {
    const good = Buffer.concat([nar("nix-archive-1"), file("abc")]);
    const bad = Buffer.from(good);
    const contentsAt = good.indexOf(Buffer.from("abc"));
    bad[contentsAt + 3] = 1;
    const err = await parseError(bad);
    expect(err.message).toContain("non-zero padding");
    expect(err.offset).toBe(contentsAt + 3);
  });

  it("reports the offset of an unsorted entry name", async () => {
    const bytes = dir(["b", file("1")], ["a", file("2")]);
    const err = await parseError(bytes);
    // Offset of the second name token (its length field).
    const second = bytes.lastIndexOf(str("a"));
    expect(err.offset).toBe(second);
  });

  it("every truncation of a real NAR is an error, never a hang", async () => {
    // Every cut through the header and first entries, then every 7th byte (keeps the test fast).
    for (let cut = 0; cut < fixtureNar.length; cut += cut < 400 ? 1 : 7) {
      const err = await parseError(fixtureNar.subarray(0, cut));
      expect(err.offset).toBeLessThanOrEqual(cut);
    }
  });
});

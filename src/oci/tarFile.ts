/**
 * Plain tar files for archives (oci-archive, docker-archive): writing from a
 * list of named blobs, streamed, atomically; and random access for reading
 * (one pass to index entry offsets, then blobs are read in place with
 * ranged file streams, never extracted).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { NixociError } from "../errors.js";
import { writeAtomically } from "./tempFiles.js";

export type TarFileEntry =
  | { name: string; data: Buffer }
  | { name: string; size: number; open: () => Readable }
  | { name: string; directory: true };

export class ArchiveError extends NixociError {}

/** Writes `entries` in the given order as a tar at `dest` (temp file, then rename). mtime fixed, root-owned. */
export async function writeTarFile(dest: string, entries: Iterable<TarFileEntry> | AsyncIterable<TarFileEntry>, mtime = 1): Promise<void> {
  await writeAtomically(dest, async (tmp) => {
    const pack = tar.pack();
    const date = new Date(mtime * 1000);
    const feed = async (): Promise<void> => {
      for await (const e of entries) {
        const base = { name: e.name, mtime: date, uid: 0, gid: 0, uname: "root", gname: "root" };
        if ("directory" in e) {
          await new Promise<void>((res, rej) => pack.entry({ ...base, name: e.name.endsWith("/") ? e.name : `${e.name}/`, type: "directory", mode: 0o755 }, (err) => (err ? rej(err) : res())));
        } else if ("data" in e) {
          await new Promise<void>((res, rej) => pack.entry({ ...base, type: "file", mode: 0o644, size: e.data.length }, e.data, (err) => (err ? rej(err) : res())));
        } else {
          let sink!: ReturnType<typeof pack.entry>;
          const done = new Promise<void>((res, rej) => {
            sink = pack.entry({ ...base, type: "file", mode: 0o644, size: e.size }, (err) => (err ? rej(err) : res()));
          });
          // Failures arrive through the entry callback; these keep an abandoned entry from crashing the process.
          sink.on("error", () => {});
          done.catch(() => {});
          for await (const chunk of e.open()) {
            if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once("drain", () => r()));
          }
          (sink as unknown as { end(): void }).end();
          await done.catch((err: Error) => {
            throw new ArchiveError(`writing ${e.name} into ${dest}: ${err.message === "Size mismatch" ? "blob has a different size than announced" : err.message}`, { cause: err });
          });
        }
      }
      pack.finalize();
    };
    const feeding = feed().catch((err: unknown) => {
      pack.destroy(err as Error);
      throw err;
    });
    await Promise.all([pipeline(pack as unknown as Readable, createWriteStream(tmp)), feeding]);
  });
}

export interface TarIndexEntry {
  /** Byte offset of the entry's data in the file. */
  start: number;
  size: number;
  type: string;
  linkname?: string;
}

/** Names (without leading ./) → where their data is. Reads headers only; data is skipped through. */
export async function indexTarFile(file: string): Promise<Map<string, TarIndexEntry>> {
  const index = new Map<string, TarIndexEntry>();
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), extract as unknown as NodeJS.WritableStream).catch((err: Error) => {
    throw new ArchiveError(`${file}: not a readable tar archive: ${err.message}`, { cause: err });
  });
  for await (const entry of extract) {
    const h = entry.header;
    const name = h.name.replace(/^\.\//, "").replace(/\/$/, "");
    index.set(name, { start: entry.offset + 512, size: h.size ?? 0, type: h.type ?? "file", ...(h.linkname ? { linkname: h.linkname } : {}) });
    entry.resume();
  }
  await reading;
  return index;
}

/** Random access to the files of a directory or of a tar archive. */
export interface FileSource {
  readonly description: string;
  has(name: string): Promise<boolean>;
  read(name: string): Promise<Buffer>;
  open(name: string): Readable;
  /** The local file holding exactly this entry, when there is one (a directory source). */
  localPath?(name: string): string | undefined;
}

export async function tarSource(file: string): Promise<FileSource> {
  const index = await indexTarFile(file);
  const find = (name: string): TarIndexEntry => {
    let e = index.get(name.replace(/^\.\//, ""));
    // Docker archives may store layers as symlinks to another entry.
    for (let hops = 0; e !== undefined && e.type === "symlink" && e.linkname !== undefined && hops < 8; hops++) {
      const dir = name.includes("/") ? name.slice(0, name.lastIndexOf("/") + 1) : "";
      name = e.linkname.startsWith("/") ? e.linkname.slice(1) : normalise(dir + e.linkname);
      e = index.get(name);
    }
    if (e === undefined) throw new ArchiveError(`${file}: no entry '${name}'`);
    return e;
  };
  return {
    description: file,
    has: async (name) => index.has(name.replace(/^\.\//, "")),
    read: async (name) => {
      const e = find(name);
      const chunks: Buffer[] = [];
      for await (const c of open(e)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    open: (name) => open(find(name)),
  };
  function open(e: TarIndexEntry): Readable {
    if (e.size === 0) return Readable.from([]);
    return createReadStream(file, { start: e.start, end: e.start + e.size - 1 });
  }
}

function normalise(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

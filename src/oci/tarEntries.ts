/**
 * The entries of a layer tar, before they become headers: a plain
 * description of directories, files, symlinks and hard links at absolute
 * paths inside the image. Producers (a walk of store paths, the
 * customisation layer) yield them in tar order; `layerTar.ts` writes them.
 */
import { lstat, readdir, readlink } from "node:fs/promises";
import { NixociError } from "../errors.js";

export interface Owner {
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

interface EntryBase {
  /** Absolute path in the image, e.g. `/nix/store/…-hello/bin/hello`. */
  path: string;
  /** Permission and special bits (0o7777); the file type bits are never written from the host. */
  mode: number;
  owner?: Partial<Owner>;
}

export type TarEntry =
  | (EntryBase & { type: "directory" })
  | (EntryBase & { type: "file"; size: number; /** host file to copy, or the bytes */ source: string | Buffer })
  | (EntryBase & { type: "symlink"; target: string })
  | (EntryBase & { type: "link"; /** an earlier entry's path in the same layer */ target: string });

/** A file of the input closure could not be read. Carries the host path and the image path. */
export class LayerInputError extends NixociError {
  constructor(
    message: string,
    readonly hostPath: string,
    readonly imagePath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where the files of image paths live on this machine: longest matching prefix wins. */
export type RootMap = Record<string, string>;

export function hostPathOf(imagePath: string, roots: RootMap | undefined): string {
  if (roots === undefined) return imagePath;
  let best = "";
  for (const prefix of Object.keys(roots)) {
    if ((imagePath === prefix || imagePath.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`)) && prefix.length > best.length) {
      best = prefix;
    }
  }
  return best === "" ? imagePath : roots[best] + imagePath.slice(best.length);
}

/** Byte-wise (UTF-8) order, as Nix orders directory entries in a NAR. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Path order in which every directory precedes its contents: component by component. */
export function comparePaths(a: string, b: string): number {
  const as = a.split("/");
  const bs = b.split("/");
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareNames(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

/** `/a/b/c` → [`/a`, `/a/b`]. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join("/")}`);
  return out;
}

export function normaliseImagePath(p: string): string {
  if (!p.startsWith("/")) throw new NixociError(`'${p}' is not an absolute path`);
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw new NixociError(`'${p}' must not contain '..'`);
    parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Entries of whole store paths (files, directories, symlinks), read from the
 * host through `roots`. Order: the missing ancestor directories (`/nix`,
 * `/nix/store`, mode 0755), then each path and its tree depth-first with names
 * in byte order. Files with several links that share dev+ino become tar hard
 * links to the first name. Only one directory listing is held per level.
 */
export async function* storePathEntries(paths: string[], roots?: RootMap): AsyncGenerator<TarEntry> {
  const sorted = [...new Set(paths.map(normaliseImagePath))].sort(comparePaths);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (sorted[i]!.startsWith(`${prev}/`)) throw new NixociError(`layer paths overlap: '${prev}' contains '${sorted[i]}'`);
  }
  const dirs = new Set<string>();
  for (const p of sorted) for (const a of ancestorsOf(p)) dirs.add(a);
  const seenInodes = new Map<string, string>();
  const topLevel = [...dirs, ...sorted].sort(comparePaths);
  const pathSet = new Set(sorted);
  for (const p of topLevel) {
    if (pathSet.has(p)) yield* walk(p, hostPathOf(p, roots), seenInodes);
    else yield { type: "directory", path: p, mode: 0o755 };
  }
}

async function* walk(imagePath: string, hostPath: string, seen: Map<string, string>): AsyncGenerator<TarEntry> {
  const st = await lstat(hostPath, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
    throw new LayerInputError(`cannot read '${hostPath}' (for ${imagePath}): ${err.code ?? err.message}`, hostPath, imagePath, { cause: err });
  });
  const mode = Number(st.mode & 0o7777n);
  if (st.isDirectory()) {
    yield { type: "directory", path: imagePath, mode };
    const names = await readdir(hostPath).catch((err: NodeJS.ErrnoException) => {
      throw new LayerInputError(`cannot list '${hostPath}' (for ${imagePath}): ${err.code ?? err.message}`, hostPath, imagePath, { cause: err });
    });
    names.sort(compareNames);
    for (const name of names) yield* walk(`${imagePath}/${name}`, `${hostPath}/${name}`, seen);
  } else if (st.isSymbolicLink()) {
    yield { type: "symlink", path: imagePath, mode: 0o777, target: await readlink(hostPath) };
  } else if (st.isFile()) {
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) {
        yield { type: "link", path: imagePath, mode, target: first };
        return;
      }
      seen.set(key, imagePath);
    }
    yield { type: "file", path: imagePath, mode, size: Number(st.size), source: hostPath };
  } else {
    throw new LayerInputError(`'${hostPath}' (for ${imagePath}) is not a regular file, directory or symlink`, hostPath, imagePath);
  }
}
